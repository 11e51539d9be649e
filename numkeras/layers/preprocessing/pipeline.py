"""Pipeline: a sequence of (preprocessing) layers applied one after the other."""

import inspect

from numkeras.layers.layer import Layer


class Pipeline(Layer):
    """Applies `layers` in order, passing `training` and the previous output's mask on.

    Unlike Sequential it is a plain layer (no model API), meant for preprocessing chains.

    >>> import numpy as np
    >>> from numkeras.layers import Rescaling, Resizing
    >>> Pipeline([Rescaling(1 / 255), Resizing(4, 4)])(np.zeros((1, 8, 8, 3), "float32")).shape
    (1, 4, 4, 3)
    """

    def __init__(self, layers, name=None):
        super().__init__(name=name)
        self._pipeline_layers = list(layers)

    @property
    def layers(self):
        return self._pipeline_layers

    def call(self, inputs, training=True, mask=None):
        for layer in self._pipeline_layers:
            params = inspect.signature(layer.call).parameters
            kwargs = {}
            if "mask" in params:
                kwargs["mask"] = mask
            if "training" in params and training is not None:
                kwargs["training"] = training
            inputs = layer(inputs, **kwargs)
            mask = getattr(inputs, "_keras_mask", None)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self._pipeline_layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        from numkeras.saving.serialization import serialize_keras_object

        return {
            "layers": [serialize_keras_object(layer) for layer in self._pipeline_layers],
            "name": self.name,
        }

    @classmethod
    def from_config(cls, config):
        from numkeras.saving.serialization import deserialize_keras_object

        layers = config.get("layers")
        if not isinstance(layers, (list, tuple)):
            raise ValueError(
                "`Pipeline` config must contain a `layers` key mapping to a list "
                f"of serialized layers. Received config with layers={layers}."
            )
        return cls([deserialize_keras_object(x) for x in layers], name=config.get("name"))
