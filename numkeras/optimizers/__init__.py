"""Optimizers with Keras 3's names, defaults, update rules, configs and variable order."""

from numkeras.optimizers import schedules
from numkeras.optimizers.adafactor import Adafactor
from numkeras.optimizers.adam import Adam, Adamax, AdamW, Nadam
from numkeras.optimizers.base_optimizer import Optimizer
from numkeras.optimizers.ftrl import Ftrl
from numkeras.optimizers.lamb import Lamb
from numkeras.optimizers.lion import Lion
from numkeras.optimizers.loss_scale_optimizer import LossScaleOptimizer
from numkeras.optimizers.multi_optimizer import MultiOptimizer, OptimizerMap
from numkeras.optimizers.muon import Muon
from numkeras.optimizers.rmsprop import Adadelta, Adagrad, RMSprop
from numkeras.optimizers.schedule_free_adamw import ScheduleFreeAdamW
from numkeras.optimizers.sgd import SGD

ALL_OBJECTS = (
    Adadelta,
    Adafactor,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Ftrl,
    Lamb,
    Lion,
    Muon,
    Nadam,
    RMSprop,
    ScheduleFreeAdamW,
    SGD,
)
# Keras looks names up lowercased, so "Adam", "adam" and "RMSprop" all work.
ALL_OBJECTS_DICT = {
    cls.__name__.lower(): cls
    for cls in ALL_OBJECTS + (LossScaleOptimizer, MultiOptimizer, OptimizerMap)
}


def serialize(optimizer):
    """The optimizer as Keras writes it into `compile_config`:
    `{"module": "keras.optimizers", "class_name", "config", "registered_name"}`.

    >>> serialize(SGD(name="sgd"))["config"]["learning_rate"]
    0.009999999776482582
    """
    from numkeras.saving.object_registration import get_registered_name

    cls = type(optimizer)
    builtin = ALL_OBJECTS_DICT.get(cls.__name__.lower()) is cls
    return {
        "module": "keras.optimizers" if builtin else cls.__module__,
        "class_name": cls.__name__,
        "config": optimizer.get_config(),
        "registered_name": None if builtin else get_registered_name(cls),
    }


def deserialize(config, custom_objects=None):
    """Rebuild an optimizer from `serialize`'s dict (`{"class_name": ..., "config": ...}`)."""
    from numkeras.saving.object_registration import get_registered_object

    name = config["class_name"]
    cls = (
        get_registered_object(config.get("registered_name") or name, custom_objects)
        or get_registered_object(name, custom_objects)
        or ALL_OBJECTS_DICT.get(name.lower())
    )
    if cls is None:
        raise ValueError(
            f"Unknown optimizer: {name!r}. Valid names are: {', '.join(sorted(ALL_OBJECTS_DICT))}."
        )
    return cls.from_config(dict(config.get("config") or {}), custom_objects=custom_objects)


def get(identifier):
    """An optimizer from a name (`"adam"`), a `serialize` dict or an instance (returned as is).

    >>> get("adam").get_config()["beta_1"]
    0.9
    """
    if identifier is None or isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return deserialize({"class_name": identifier, "config": {}})
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(
        f"Could not interpret optimizer identifier: {identifier!r}. Expected a name such as "
        "'adam', a config dict or an Optimizer instance."
    )


__all__ = [
    "Adadelta",
    "Adafactor",
    "Ftrl",
    "Lamb",
    "LossScaleOptimizer",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Lion",
    "MultiOptimizer",
    "Muon",
    "Nadam",
    "Optimizer",
    "OptimizerMap",
    "RMSprop",
    "SGD",
    "ScheduleFreeAdamW",
    "deserialize",
    "get",
    "schedules",
    "serialize",
]
