"""ReLU: the rectified linear unit as a layer, with Keras's cap, slope and threshold."""

from numkeras import ops
from numkeras.layers.layer import Layer


class ReLU(Layer):
    """`min(x, max_value)` for `x >= threshold`, else `negative_slope * (x - threshold)`.

    Args:
        max_value: an optional cap (>= 0) on the output.
        negative_slope: the slope below the threshold (>= 0; 0.0).
        threshold: where the unit switches on (>= 0; 0.0).

    >>> import numpy as np
    >>> ReLU(max_value=1.0)(np.array([-1.0, 0.5, 2.0], "float32")).numpy().tolist()
    [0.0, 0.5, 1.0]
    """

    supports_masking = True  # the input's mask passes to the output, as in Keras

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (
            ("max_value", max_value),
            ("negative_slope", negative_slope),
            ("threshold", threshold),
        ):
            if (value is None and name != "max_value") or (
                value is not None
                and (isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0)
            ):
                raise ValueError(
                    f"ReLU: `{name}` must be a non-negative number, received {name}={value!r}."
                )
        self.max_value, self.negative_slope, self.threshold = max_value, negative_slope, threshold

    def call(self, inputs):
        slope, cap, threshold = self.negative_slope, self.max_value, self.threshold
        if cap is None and threshold == 0:
            return ops.leaky_relu(inputs, slope) if slope else ops.relu(inputs)
        # Keras's composition: the positive part, clipped to [0, cap], minus the negative part
        if threshold:
            outputs = inputs * ops.cast(ops.greater(inputs, threshold), inputs.dtype)
        else:
            outputs = ops.relu(inputs)
        if cap is not None:
            outputs = ops.clip(outputs, 0.0, cap)
        if slope:
            outputs = outputs - slope * ops.relu(threshold - inputs)
        return outputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "max_value": self.max_value,
            "negative_slope": self.negative_slope,
            "threshold": self.threshold,
        }
