"""PReLU: a leaky ReLU whose negative slopes are learned."""

from numkeras import initializers, ops, regularizers
from numkeras.layers.layer import InputSpec, Layer, shape_str


class PReLU(Layer):
    """`x` for `x >= 0`, else `alpha * x`, with `alpha` a weight shaped like one example.

    Args:
        alpha_initializer: the slopes' initializer ('Zeros', so it starts as a ReLU).
        alpha_regularizer: an optional penalty on the slopes.
        shared_axes: axes (1-based, not the batch) along which one slope is shared, e.g.
            [1, 2] for one slope per channel of (batch, height, width, channels) images.

    >>> import numpy as np
    >>> layer = PReLU(shared_axes=[1, 2])
    >>> layer(np.zeros((1, 4, 4, 3), "float32")).shape, layer.alpha.shape
    ((1, 4, 4, 3), (1, 1, 3))
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(
        self,
        alpha_initializer="Zeros",
        alpha_regularizer=None,
        alpha_constraint=None,
        shared_axes=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        axes = [shared_axes] if isinstance(shared_axes, int) else shared_axes
        if axes is not None and (
            not isinstance(axes, (list, tuple))
            or any(isinstance(a, bool) or not isinstance(a, int) or a < 1 for a in axes)
        ):
            raise ValueError(
                "PReLU: `shared_axes` must be None or a list of positive (non-batch) axes, "
                f"received shared_axes={shared_axes!r}."
            )
        self.shared_axes = None if axes is None else list(axes)

    def build(self, input_shape):
        shape = list(input_shape[1:])
        for axis in self.shared_axes or []:
            if axis >= len(input_shape):
                raise ValueError(
                    f'Layer "{self.name}": shared axis {axis} is out of bounds for an input of '
                    f"shape {shape_str(input_shape)}."
                )
            shape[axis - 1] = 1
        if None in shape:
            raise ValueError(
                f'Layer "{self.name}": every non-shared axis must be known; input shape '
                f"{shape_str(input_shape)}, shared_axes={self.shared_axes}."
            )
        self.alpha = self.add_weight(
            shape=tuple(shape),
            name="alpha",
            initializer=self.alpha_initializer,
            regularizer=self.alpha_regularizer,
        )
        axes = {
            i: input_shape[i]
            for i in range(1, len(input_shape))
            if i not in (self.shared_axes or [])
        }
        self.input_spec = InputSpec(ndim=len(input_shape), axes=axes)

    def call(self, inputs):
        return ops.relu(inputs) - self.alpha * ops.relu(-inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": None,
            "shared_axes": self.shared_axes,
        }
