"""TimeDistributed: applies one layer (one set of weights) to every time step of its input."""

from numkeras import ops
from numkeras.layers.layer import Layer, shape_str
from numkeras.layers.rnn.rnn import prefix_paths, time_steps


class TimeDistributed(Layer):
    """Applies `layer` to each slice `inputs[:, t]` of a (batch, time, ...) input.

    The time axis is folded into the batch, so the wrapped layer runs once on
    (batch * time, ...) inputs. A layer with non-trainable state (BatchNormalization's
    moving statistics) instead runs once per time step, as Keras runs every layer, so its
    batch statistics and updates are per step.

    Args:
        layer: a Layer instance (Dense, Conv2D, ...).

    Call arguments: `inputs` (batch, time, ...), `training`, and `mask` ((batch, time)
    booleans, passed to the wrapped layer if its `call` takes one, and passed on).

    >>> import numpy as np
    >>> from numkeras.layers import Dense
    >>> TimeDistributed(Dense(8))(np.ones((2, 10, 3), "float32")).shape
    (2, 10, 8)
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, layer, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"TimeDistributed: `layer` must be a Layer instance, received layer={layer!r}."
            )
        super().__init__(**kwargs)
        self.layer = layer

    def _child_shape(self, input_shape):
        if not isinstance(input_shape, (tuple, list)) or len(input_shape) < 3:
            raise ValueError(
                f'Layer "{self.name}": TimeDistributed needs inputs of at least 3 dimensions '
                f"(batch, time, ...), received input shape {input_shape}."
            )
        return (input_shape[0],) + tuple(input_shape[2:])

    def build(self, input_shape):
        self.layer._maybe_build(self._child_shape(input_shape))
        prefix_paths(self.layer, self.name)

    def call(self, inputs, training=False, mask=None):
        if mask is None:
            mask = getattr(inputs, "_keras_mask", None)
        batch, steps = inputs.shape[0], inputs.shape[1]
        kwargs = {"training": training}
        if mask is not None:
            mask = ops.convert_to_numpy(mask)
            if mask.ndim < 2 or mask.shape[:2] != (batch, steps):
                raise ValueError(
                    f'Layer "{self.name}": the mask must start with the (batch, time) axes '
                    f"{(batch, steps)} of the inputs, received mask shape {shape_str(mask.shape)}."
                )
        if self.layer.non_trainable_weights:  # per-step state: one call per step, as Keras
            slices = time_steps(ops.swapaxes(inputs, 0, 1))
            outputs = [
                self.layer(x, **kwargs, **({} if mask is None else {"mask": mask[:, t]}))
                for t, x in enumerate(slices)
            ]
            output = ops.stack(outputs, axis=1)
        else:
            if mask is not None:
                kwargs["mask"] = mask.reshape((batch * steps,) + mask.shape[2:])
            y = self.layer(
                ops.reshape(inputs, (batch * steps,) + tuple(inputs.shape[2:])), **kwargs
            )
            output = ops.reshape(y, (batch, steps) + tuple(y.shape[1:]))
        if mask is not None:
            output._keras_mask = mask
        return output

    def compute_output_shape(self, input_shape):
        child = self.layer.compute_output_shape(self._child_shape(input_shape))
        return (child[0], input_shape[1]) + tuple(child[1:])

    def get_config(self):
        from numkeras.saving.serialization import serialize_keras_object

        return {**super().get_config(), "layer": serialize_keras_object(self.layer)}

    @classmethod
    def from_config(cls, config):
        from numkeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        if isinstance(config.get("layer"), dict):
            config["layer"] = deserialize_keras_object(config["layer"])
        return cls(**config)
