"""`layers.serialize` / `layers.deserialize`: a layer to Keras's config dict and back."""


def serialize(layer):
    """Keras's `{"module", "class_name", "config", "registered_name"}` dict for a layer."""
    from numkeras.saving.serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config, custom_objects=None):
    """The layer a `serialize` dict (ours or real Keras's) describes; never runs code.

    >>> from numkeras.layers import Dense
    >>> deserialize(serialize(Dense(3, name="d"))).units
    3
    """
    from numkeras.layers.layer import Layer
    from numkeras.saving.serialization import deserialize_keras_object

    layer = deserialize_keras_object(config, custom_objects=custom_objects)
    if not isinstance(layer, Layer):
        raise ValueError(
            "`numkeras.layers.deserialize` was passed a `config` object that is "
            f"not a `Layer`. Received: {config}"
        )
    return layer
