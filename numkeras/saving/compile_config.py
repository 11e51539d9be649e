"""Keras's `compile_config`: the arguments of `model.compile`, serialized, and back."""

import inspect

from numkeras.saving.object_registration import get_registered_object

__all__ = ["compile_config", "compile_from_config"]


def compile_config(model):
    """The arguments `model.compile` was called with, serialized (Keras's `compile_config`)."""
    from numkeras.saving.serialization import serialize_keras_object

    if not getattr(model, "compiled", False):
        return None
    return serialize_keras_object(dict(model._compile_config))


def compile_from_config(model, config):
    """`model.compile(**config)` with the optimizer, losses and metrics rebuilt; the optimizer
    is then built for the model's weights, so saved optimizer state can be loaded into it."""
    if not isinstance(config, dict):
        raise ValueError(f"compile_config must be a dict, got {str(config)[:200]}.")
    config = dict(config)
    if "optimizer_config" in config:  # legacy H5 training_config
        config["optimizer"] = config.pop("optimizer_config")
    optimizer = config.get("optimizer")
    if (
        isinstance(optimizer, dict)
        and str(optimizer.get("class_name")).startswith("Custom>")
        and get_registered_object(optimizer["class_name"]) is None
    ):
        # tf.keras 2.11-2.15 wrote its built-in optimizers as "Custom>Adam"
        config["optimizer"] = {**optimizer, "class_name": optimizer["class_name"][7:]}
    args = {"optimizer": _compile_item(config.get("optimizer"), ["optimizers"])}
    args["loss"] = _compile_item(config.get("loss"), ["losses"])
    for key in ("metrics", "weighted_metrics"):
        value = config.get(key)
        if isinstance(value, list) and len(value) == 1 and isinstance(value[0], list):
            value = value[0]  # Keras 2 nested single-output metrics: [[...]]
        args[key] = _compile_item(value, ["metrics", "losses"])
    accepted = set(inspect.signature(model.compile).parameters)
    for key, value in config.items():
        if key not in args and key in accepted:
            args[key] = value
    model.compile(**{k: v for k, v in args.items() if k in accepted})
    if model.built and model.optimizer is not None and not model.optimizer.built:
        model.optimizer.build(model.trainable_weights)


def _compile_item(value, namespaces):
    """Dicts with class_name become objects; names stay names (or their custom object)."""
    if isinstance(value, str):
        found = get_registered_object(value)
        return value if found is None else found
    if isinstance(value, list):
        return [_compile_item(v, namespaces) for v in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {k: _compile_item(v, namespaces) for k, v in value.items()}
    from numkeras.saving.serialization import _deserialize

    return _deserialize(value, namespaces)
