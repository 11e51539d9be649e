"""Sequential: a plain stack of layers, each feeding the next."""

import numpy as np

from numkeras.backend.traceback_utils import checking_arguments
from numkeras.layers.input_layer import InputLayer
from numkeras.layers.keras_tensor import KerasTensor
from numkeras.layers.layer import Layer, shape_str
from numkeras.models import argument_checks, fusion, model_config
from numkeras.models.model import Model
from numkeras.saving.serialization import register_base_classes
from numkeras.tree import flatten


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
        self._set_input_layer(None)  # the graph's entry, once the input shape is known
        self._graph = None  # (input tensor, output tensor) of the layers' symbolic calls
        for layer in layers or []:
            self.add(layer, rebuild=False)
        if self._input_batch_shape is not None and self._stack:
            self._rebuild()

    def add(self, layer, rebuild=True):
        """Append a layer (or an `Input`, which fixes the input shape)."""
        if isinstance(layer, KerasTensor):
            layer = layer._keras_history[0]
        if isinstance(layer, InputLayer):
            if self._stack or self._input_batch_shape is not None:
                raise ValueError(
                    f'Sequential model "{self.name}": an Input can only be the first layer.'
                )
            self._input_batch_shape = layer.batch_shape
            self._set_input_layer(layer)
            return
        if not isinstance(layer, Layer):
            raise TypeError(
                f"Sequential.add expects a Layer, got {layer!r} of type {type(layer).__name__}."
            )
        if any(existing.name == layer.name for existing in self._stack):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names. Name "
                f'"{layer.name}" is already the name of a layer in this model.'
            )
        before = self._stack, self.built, self._graph, self._input_batch_shape
        if not self._stack and self._input_batch_shape is None:
            self._input_batch_shape = layer._batch_input_shape
        self._stack = self._stack + [layer]
        self.built, self._graph = False, None
        if rebuild and self._input_batch_shape is not None:
            try:
                self._rebuild()
            except ValueError:
                self._stack, self.built, self._graph, self._input_batch_shape = before
                raise  # the layer is left out

    def _set_input_layer(self, layer):
        object.__setattr__(self, "_input_layer", layer)  # not a sublayer: it has no state

    def _rebuild(self):
        """Build the layers symbolically from the known input shape, as Keras does."""
        with checking_arguments(ValueError):  # a layer that does not fit: raised from here
            self.build(self._input_batch_shape)

    def pop(self, rebuild=True):
        """Remove the last layer."""
        if not self._stack:
            raise TypeError("There are no layers in the model.")
        layer = self._stack[-1]
        self._stack = self._stack[:-1]
        self.built, self._graph = False, None
        if rebuild and self._stack and self._input_batch_shape is not None:
            self._rebuild()
        return layer

    @property
    def layers(self):
        return list(self._stack)

    def build(self, input_shape=None):
        """Call each layer on a symbolic input of `input_shape` (batch axis None): this builds
        them and makes the graph behind `inputs`, `outputs` and each layer's `output`."""
        shape = tuple(input_shape if input_shape is not None else self._input_batch_shape)
        shape = (None,) + shape[1:]
        if self._input_layer is None or tuple(self._input_layer.batch_shape) != shape:
            self._set_input_layer(InputLayer(batch_shape=shape, dtype=self.dtype))
        self._input_batch_shape = shape
        x = inputs = self._input_layer.output
        for layer in self._stack:
            x = layer(x)
            layer._built_output_shape = (
                x.shape if isinstance(x, KerasTensor) else [t.shape for t in flatten(x)]
            )
        self._graph = (inputs, x)
        self.built = True

    def _graph_part(self, index, what):
        if self._graph is None:
            raise AttributeError(f"'Sequential' object has no attribute '{what}'")
        return self._graph[index]

    @property
    def inputs(self):
        return [self._graph_part(0, "inputs")]

    @property
    def outputs(self):
        return [self._graph_part(1, "outputs")]

    @property
    def input(self):
        return self._graph_part(0, "input")

    @property
    def output(self):
        return self._graph_part(1, "output")

    @property
    def input_shape(self):
        return self._graph_part(0, "input_shape").shape

    @property
    def output_shape(self):
        return self._graph_part(1, "output_shape").shape

    def call(self, inputs, training=None, mask=None):
        return fusion.run_stack(self._stack, inputs, training)  # fused chains as one op

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
        received = x.shape
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
        raise ValueError(
            f'Input 0 of layer "{first}" is incompatible with the layer: expected shape '
            f"{shape_str(expected)}, got {shape_str(got)}"
            + argument_checks.input_mismatch_hint(expected, received)
        )

    def get_config(self):
        """Keras 3's config: serialized layers, an `InputLayer` entry first when the input
        shape is known."""

        return model_config.sequential_config(self)

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from numkeras.saving.serialization import custom_object_scope

        with custom_object_scope(custom_objects):
            return model_config.sequential_from_config(cls, config)


register_base_classes(Sequential=Sequential)
