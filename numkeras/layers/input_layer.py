"""Input and InputLayer: the entry point of Sequential and functional models."""

from numkeras.layers.keras_tensor import KerasTensor, Node
from numkeras.layers.layer import Layer
from numkeras.saving.serialization import register_base_classes


class InputLayer(Layer):
    """Holds the model's input shape; calling a model starts from its KerasTensor.

    Args:
        shape: the shape of one sample, without the batch axis.
        batch_size: an optional fixed batch size.
        dtype: the input dtype (float32).
        batch_shape: the full shape, batch axis included (instead of shape and batch_size).
    """

    def __init__(
        self,
        shape=None,
        batch_size=None,
        dtype=None,
        batch_shape=None,
        name=None,
        sparse=None,
        ragged=None,
        optional=False,
        **kwargs,
    ):
        if "input_shape" in kwargs:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is None:
            if shape is None:
                raise ValueError("InputLayer: pass `shape` (the shape of one sample).")
            shape = (shape,) if isinstance(shape, int) else tuple(shape)
            batch_shape = (batch_size,) + shape
        batch_shape = tuple(batch_shape)
        for d in batch_shape[1:]:
            if d is not None and (not isinstance(d, int) or d <= 0):
                raise ValueError(
                    f'InputLayer "{self.name}": shape dimensions must be positive integers or '
                    f"None, got shape={batch_shape[1:]}."
                )
        self.batch_shape = batch_shape
        self.built = True
        # the graph's entry: a node without inputs whose output is the model's input tensor
        Node(self, outputs=KerasTensor(batch_shape, self.dtype, name=name))

    def get_config(self):
        return {
            "batch_shape": list(self.batch_shape),
            "dtype": self.dtype,
            "sparse": False,
            "ragged": False,
            "name": self.name,
            "optional": False,
        }


register_base_classes(InputLayer=InputLayer)


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None, **kwargs):
    """A symbolic input tensor: `Input(shape=(28, 28, 1))`, the start of a functional model."""
    layer = InputLayer(
        shape=shape,
        batch_size=batch_size,
        dtype=dtype,
        batch_shape=batch_shape,
        name=name,
        **kwargs,
    )
    return layer.output
