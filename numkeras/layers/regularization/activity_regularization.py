"""ActivityRegularization: add an L1/L2 penalty on the activations to the loss."""

from numkeras import regularizers
from numkeras.layers.layer import Layer


class ActivityRegularization(Layer):
    """Returns its inputs, adding `(l1 * sum|x| + l2 * sum x**2) / batch_size` to `losses`.

    Args:
        l1: the L1 factor (0.0).
        l2: the L2 factor (0.0).

    >>> import numpy as np
    >>> layer = ActivityRegularization(l2=0.5)
    >>> _ = layer(np.array([[1.0, 2.0], [3.0, 0.0]], "float32"))
    >>> [float(loss) for loss in layer.losses]  # 0.5 * (1 + 4 + 9) / 2
    [3.5]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("l1", l1), ("l2", l2)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(
                    f"ActivityRegularization: `{name}` must be a non-negative number, "
                    f"received {name}={value!r}."
                )
        self.l1, self.l2 = l1, l2
        self._penalty = regularizers.L1L2(l1=l1, l2=l2)

    def call(self, inputs):
        if self.l1 or self.l2:
            # Keras divides activity penalties by the batch size
            batch = inputs.shape[0] if inputs.ndim else 1
            self.add_loss(self._penalty(inputs) / max(batch, 1))
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
