"""`numkeras.losses`: Keras 3's loss classes and functions, differentiable on the numkeras engine.

`get` turns what `compile(loss=...)` accepts into a `Loss` whose call returns a scalar Tensor:

>>> get("categorical_crossentropy")
<CategoricalCrossentropy name=categorical_crossentropy>
>>> get("mse").name
'mean_squared_error'
"""

import inspect

from numkeras.losses.circle import Circle, circle
from numkeras.losses.ctc import CTC, ctc
from numkeras.losses.loss import Loss, reduce_weighted_values, squeeze_or_expand_to_same_rank
from numkeras.losses.losses import (
    CategoricalHinge,
    CosineSimilarity,
    Hinge,
    Huber,
    LogCosh,
    LossFunctionWrapper,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    SquaredHinge,
    categorical_hinge,
    cosine_similarity,
    hinge,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    squared_hinge,
)
from numkeras.losses.overlap import Dice, Tversky, dice, tversky
from numkeras.losses.probabilistic import (
    BinaryCrossentropy,
    BinaryFocalCrossentropy,
    CategoricalCrossentropy,
    CategoricalFocalCrossentropy,
    CategoricalGeneralizedCrossEntropy,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    binary_crossentropy,
    binary_focal_crossentropy,
    categorical_crossentropy,
    categorical_focal_crossentropy,
    categorical_generalized_cross_entropy,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
)

__all__ = [
    "Loss",
    "LossFunctionWrapper",
    "BinaryCrossentropy",
    "BinaryFocalCrossentropy",
    "CategoricalCrossentropy",
    "CategoricalFocalCrossentropy",
    "CategoricalHinge",
    "CosineSimilarity",
    "Hinge",
    "Huber",
    "KLDivergence",
    "LogCosh",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredError",
    "MeanSquaredLogarithmicError",
    "Poisson",
    "SparseCategoricalCrossentropy",
    "SquaredHinge",
    "binary_crossentropy",
    "binary_focal_crossentropy",
    "categorical_crossentropy",
    "categorical_focal_crossentropy",
    "categorical_hinge",
    "cosine_similarity",
    "hinge",
    "huber",
    "kl_divergence",
    "log_cosh",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "poisson",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "reduce_weighted_values",
    "squeeze_or_expand_to_same_rank",
    "get",
    "serialize",
    "deserialize",
    "CTC",
    "Circle",
    "Dice",
    "Tversky",
    "CategoricalGeneralizedCrossEntropy",
    "ctc",
    "circle",
    "dice",
    "tversky",
    "categorical_generalized_cross_entropy",
]

# Each loss function with the class that wraps it; Keras's names and aliases map to both.
_FUNCTION_CLASSES = {
    binary_crossentropy: BinaryCrossentropy,
    binary_focal_crossentropy: BinaryFocalCrossentropy,
    categorical_crossentropy: CategoricalCrossentropy,
    categorical_focal_crossentropy: CategoricalFocalCrossentropy,
    sparse_categorical_crossentropy: SparseCategoricalCrossentropy,
    kl_divergence: KLDivergence,
    poisson: Poisson,
    mean_squared_error: MeanSquaredError,
    mean_absolute_error: MeanAbsoluteError,
    mean_absolute_percentage_error: MeanAbsolutePercentageError,
    mean_squared_logarithmic_error: MeanSquaredLogarithmicError,
    cosine_similarity: CosineSimilarity,
    huber: Huber,
    log_cosh: LogCosh,
    hinge: Hinge,
    squared_hinge: SquaredHinge,
    categorical_hinge: CategoricalHinge,
    dice: Dice,
    tversky: Tversky,
    circle: Circle,
    ctc: CTC,
    categorical_generalized_cross_entropy: CategoricalGeneralizedCrossEntropy,
}
_FUNCTIONS = {fn.__name__: fn for fn in _FUNCTION_CLASSES}
_FUNCTIONS.update(
    {
        "bce": binary_crossentropy,
        "BCE": binary_crossentropy,
        "mse": mean_squared_error,
        "MSE": mean_squared_error,
        "mae": mean_absolute_error,
        "MAE": mean_absolute_error,
        "mape": mean_absolute_percentage_error,
        "MAPE": mean_absolute_percentage_error,
        "msle": mean_squared_logarithmic_error,
        "MSLE": mean_squared_logarithmic_error,
        "kld": kl_divergence,
        "KLD": kl_divergence,
        "kullback_leibler_divergence": kl_divergence,
        "logcosh": log_cosh,
        "huber_loss": huber,
    }
)
_CLASSES = {cls.__name__: cls for cls in [Loss, LossFunctionWrapper, *_FUNCTION_CLASSES.values()]}


def get(identifier):
    """A `Loss` for a name, a config dict, a `Loss` (returned as is), a class or a function.

    Names are Keras's: function names (`"categorical_crossentropy"`), class names
    (`"CategoricalCrossentropy"`) and aliases (`"mse"`, `"mae"`, `"bce"`, ...). A plain
    function `fn(y_true, y_pred)` returning per-sample values is wrapped in a
    `LossFunctionWrapper` named after it. `None` gives `None`.

    Unlike Keras, which returns the bare function for a snake_case name, the result is always
    a `Loss`, so `get(x)(y_true, y_pred)` is always the reduced, scalar loss.
    """
    if identifier is None or isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, dict):
        identifier = deserialize(identifier)
        if isinstance(identifier, Loss):
            return identifier
    if isinstance(identifier, str):
        if identifier in _FUNCTIONS:
            return _FUNCTION_CLASSES[_FUNCTIONS[identifier]]()
        if identifier in _CLASSES and _CLASSES[identifier] not in (Loss, LossFunctionWrapper):
            return _CLASSES[identifier]()
        raise ValueError(
            f"Unknown loss {identifier!r}. Valid names: {', '.join(sorted(_valid_names()))}."
        )
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        cls = _FUNCTION_CLASSES.get(identifier)
        if cls is not None:
            return cls()
        return LossFunctionWrapper(identifier, name=getattr(identifier, "__name__", None))
    raise ValueError(
        f"Could not interpret loss identifier {identifier!r}: expected a name, a config dict, "
        "a Loss or a function."
    )


def _valid_names():
    return set(_FUNCTIONS) | (set(_CLASSES) - {"Loss", "LossFunctionWrapper"})


def serialize(loss):
    """Keras's config for a loss: a dict for a `Loss`, a function dict for a function."""
    if loss is None or isinstance(loss, str):
        return loss
    if isinstance(loss, Loss):
        return {
            "module": "keras.losses",
            "class_name": type(loss).__name__,
            "config": loss.get_config(),
            "registered_name": None,
        }
    name = getattr(loss, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize loss {loss!r}: it is neither a Loss nor a function.")
    return {
        "module": "builtins",
        "class_name": "function",
        "config": name,
        "registered_name": "function",
    }


def deserialize(config, custom_objects=None):
    """Rebuild what `serialize` wrote: a `Loss`, or a function for a function config."""
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return get(custom_objects[config])
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Cannot deserialize loss from {config!r}: expected a name or a dict.")
    name = config["class_name"]
    if name == "function":
        fn_name = config["config"]
        fn = custom_objects.get(fn_name) or _FUNCTIONS.get(fn_name)
        if fn is None:
            raise ValueError(
                f"Unknown loss function {fn_name!r}; pass it in custom_objects. "
                f"Known: {', '.join(sorted(_FUNCTIONS))}."
            )
        return fn
    cls = custom_objects.get(name) or _CLASSES.get(name)
    if cls is None:
        raise ValueError(
            f"Unknown loss class {name!r}; pass it in custom_objects. "
            f"Known: {', '.join(sorted(_CLASSES))}."
        )
    config = dict(config.get("config") or {})
    if isinstance(config.get("fn"), dict):
        config["fn"] = deserialize(config["fn"], custom_objects)
    return cls.from_config(config)
