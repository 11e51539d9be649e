"""Wrapper: the base class of layers that wrap another layer."""

from numkeras.layers.layer import Layer


class Wrapper(Layer):
    """Holds `layer`, builds it on first use and serializes it inside its own config.

    Subclasses implement `call` (for example by calling `self.layer` in a new way).

    >>> from numkeras.layers import Dense
    >>> class Twice(Wrapper):
    ...     def call(self, x):
    ...         return self.layer(self.layer(x))
    >>> import numpy as np
    >>> Twice(Dense(2))(np.ones((1, 2), "float32")).shape
    (1, 2)
    """

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Layer {layer} supplied to Wrapper isn't a supported layer type. "
                "Please ensure wrapped layer is a valid Keras layer."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape=None):
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True

    def get_config(self):
        from numkeras.saving.serialization import serialize_keras_object

        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        layer = config.pop("layer")
        if not isinstance(layer, Layer):  # a loader may have rebuilt it already
            layer = deserialize_keras_object(layer, custom_objects=custom_objects)
        return cls(layer, **config)
