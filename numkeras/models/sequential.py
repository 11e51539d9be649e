"""Sequential: a plain stack of layers, each feeding the next."""
import numpy as np

from numkeras.backend.traceback_utils import checking_arguments
from numkeras.layers.input_layer import InputLayer
from numkeras.layers.keras_tensor import KerasTensor
from numkeras.layers.layer import Layer, shape_str
from numkeras.models import fusion
from numkeras.models.model import Model


class Sequential(Model):
    """A linear stack of layers.

    >>> from numkeras import layers
    >>> model = Sequential([layers.Input((4,)), layers.Dense(2)])
    >>> model.count_params()
    10
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._stack = []
        self._input_batch_shape = None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        """Append a layer (or an `Input`, which fixes the input shape)."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if isinstance(layer, InputLayer):
            if self._stack or self._input_batch_shape is not None:
                raise ValueError(
                    f'Sequential model "{self.name}": an Input can only be the first layer.'
                )
            self._input_batch_shape = layer.batch_shape
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a Layer, got {layer!r} of type {type(layer).__name__}."
            )
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f'All layers added to a Sequential model should have unique names. Name '
                f'"{layer.name}" is already the name of a layer in this model.'
            )
        before = self._stack, self.built, self._input_batch_shape
        if not self._stack and self._input_batch_shape is None:
            self._input_batch_shape = layer._batch_input_shape
        self._stack = self._stack + [layer]
        self.built = False
        if self._input_batch_shape is not None:
            try:
                with checking_arguments(ValueError):  # a layer that does not fit: raised here
                    self.build(self._input_batch_shape)
            except ValueError:
                self._stack, self.built, self._input_batch_shape = before  # left out
                raise
            self.built = True

    def pop(self):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack[-1]
        self._stack = self._stack[:-1]
        return layer

    @property
    def layers(self):
        return list(self._stack)

    def build(self, input_shape=None):
        """Build each layer in turn from the shape the previous one outputs."""
        shape = tuple(input_shape if input_shape is not None else self._input_batch_shape)
        shape = (None,) + shape[1:]
        self._input_batch_shape = shape
        for layer in self._stack:
            layer._check_input_spec(shape)
            layer._maybe_build(shape)
            shape = layer.compute_output_shape(shape)
            layer._built_output_shape = shape

    def call(self, inputs, training=None, mask=None):
        return fusion.run_stack(self._stack, inputs, training)  # fused pairs as one op

    def __call__(self, inputs, *args, **kwargs):
        if self.built and isinstance(inputs, np.ndarray):
            inputs = self._check_model_inputs(inputs)
        return super().__call__(inputs, *args, **kwargs)

    def compute_output_shape(self, input_shape):
        shape = input_shape
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    def _check_model_inputs(self, x):
        """Check the per-sample shape; add a missing trailing axis of size 1 as Keras does."""
        expected = self._input_batch_shape
        if expected is not None and isinstance(x, (dict, list, tuple)):
            raise ValueError(
                f'Sequential model "{self.name}" takes a single input array of shape '
                f"{shape_str(expected)}, received a {type(x).__name__} of {len(x)} inputs."
            )
        if expected is None or not isinstance(x, np.ndarray):
            return x
        if x.ndim == len(expected) - 1 and expected[-1] == 1:
            x = x[..., None]
        elif x.ndim == len(expected) + 1 and x.shape[-1] == 1:  # as Keras: drop it
            x = x[..., 0]
        got = (None,) + x.shape[1:]
        if len(got) == len(expected) and all(
            e is None or e == g for e, g in zip(expected[1:], got[1:])
        ):
            return x
        first = self._stack[0].name if self._stack else self.name
        hint = ""
        if None not in expected[1:] and np.prod(expected[1:]) == np.prod(x.shape[1:]):
            hint = f" Did you mean to reshape to {shape_str((-1,) + tuple(expected[1:]))}?"
        raise ValueError(
            f'Input 0 of layer "{first}" is incompatible with the layer: expected shape '
            f"{shape_str(expected)}, got {shape_str(got)}.{hint}"
        )

    def get_config(self):
        """Keras 3's config: serialized layers, an `InputLayer` entry first when the input
        shape is known."""
        from numkeras.saving import model_config

        return model_config.sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras.saving import model_config
        from numkeras.saving.serialization import custom_object_scope

        with custom_object_scope(custom_objects):
            return model_config.sequential_from_config(cls, config)
