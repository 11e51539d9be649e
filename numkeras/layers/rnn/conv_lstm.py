"""ConvLSTM1D/2D/3D: LSTMs whose input and recurrent transformations are convolutions."""

import numpy as np

from numkeras import activations, constraints, initializers, ops, regularizers
from numkeras.layers import args
from numkeras.layers.layer import InputSpec, Layer, shape_str
from numkeras.random import SeedGenerator


def output_size(n, k, stride, padding, dilation):
    """A convolution's output length along one axis (TensorFlow's rule, as Keras)."""
    if padding == "same":
        return -(-n // stride)
    return (n - (k - 1) * dilation - 1) // stride + 1


class ConvLSTMCell(Layer):
    """One step: gates `i, f, c, o` from `conv(x, kernel) + bias + conv(h, recurrent_kernel)`
    (the recurrent convolution is 'same' with stride 1); `c = f c + i act(.)`,
    `h = o act(c)`. Weights as Keras's: kernel (*k, in, 4 filters), recurrent_kernel
    (*k, filters, 4 filters), bias (4 filters,)."""

    def __init__(
        self,
        rank,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.rank = rank
        self.filters = args.positive_int(self, "filters", filters)
        self.kernel_size = args.int_tuple(self, "kernel_size", kernel_size, rank)
        self.strides = args.int_tuple(self, "strides", strides, rank)
        self.dilation_rate = args.int_tuple(self, "dilation_rate", dilation_rate, rank)
        self.padding = args.choice(self, "padding", padding, ("valid", "same"))
        self.data_format = args.data_format(self, data_format)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias, self.unit_forget_bias = use_bias, unit_forget_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout, self.recurrent_dropout, self.seed = dropout, recurrent_dropout, seed
        self.seed_generator = SeedGenerator(seed)

    def build(self, step_shape):
        channels = step_shape[-1 if self.data_format == "channels_last" else 1]
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, 4 * self.filters),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        self.recurrent_kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, 4 * self.filters),
            name="recurrent_kernel",
            initializer=self.recurrent_initializer,
            regularizer=self.recurrent_regularizer,
            constraint=self.recurrent_constraint,
        )
        self.bias = None
        if self.use_bias:
            init = self.bias_initializer
            if self.unit_forget_bias:  # the forget gate starts open

                def init(shape, dtype=None, base=self.bias_initializer, n=self.filters):
                    return np.concatenate(
                        [
                            np.asarray(base((n,), dtype=dtype)),
                            np.ones((n,), dtype or "float32"),
                            np.asarray(base((2 * n,), dtype=dtype)),
                        ]
                    )

            self.bias = self.add_weight(
                shape=(4 * self.filters,),
                name="bias",
                initializer=init,
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )

    def _bias(self):
        shape = (
            (1,) * (self.rank + 1) + (-1,)
            if self.data_format == "channels_last"
            else (1, -1) + (1,) * self.rank
        )
        return ops.reshape(self.bias, shape)

    def project(self, x):
        """The input convolution of all four gates at once (with the bias)."""
        z = ops.conv(
            x, self.kernel, self.strides, self.padding, self.data_format, self.dilation_rate
        )
        return z if self.bias is None else z + self._bias()

    def step(self, z, h, c):
        z = z + ops.conv(h, self.recurrent_kernel, 1, "same", self.data_format)
        axis = -1 if self.data_format == "channels_last" else 1
        i, f, g, o = ops.split(z, 4, axis=axis)
        c = self.recurrent_activation(f) * c + self.recurrent_activation(i) * self.activation(g)
        return self.recurrent_activation(o) * self.activation(c), c


class ConvLSTM(Layer):
    """The recurrent layer over a `ConvLSTMCell`: inputs (batch, time, *spatial, channels).

    Args: as Conv{rank}D for the convolution, as LSTM for the gates, plus
        return_sequences, return_state (then `output, h, c`), go_backwards. `stateful` and
        input masks are not supported.
    """

    rank = None

    def __init__(
        self,
        filters,
        kernel_size,
        strides=1,
        padding="valid",
        data_format=None,
        dilation_rate=1,
        activation="tanh",
        recurrent_activation="sigmoid",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        if stateful:
            raise ValueError(f"{type(self).__name__}: numkeras does not support stateful=True.")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.cell = ConvLSTMCell(
            self.rank,
            filters,
            kernel_size,
            strides,
            padding,
            data_format,
            dilation_rate,
            activation,
            recurrent_activation,
            use_bias,
            kernel_initializer,
            recurrent_initializer,
            bias_initializer,
            unit_forget_bias,
            kernel_regularizer,
            recurrent_regularizer,
            bias_regularizer,
            kernel_constraint,
            recurrent_constraint,
            bias_constraint,
            dropout,
            recurrent_dropout,
            seed,
            dtype=self.dtype,
            name="conv_lstm_cell",
        )
        self.return_sequences, self.return_state = return_sequences, return_state
        self.go_backwards, self.stateful, self.unroll = go_backwards, stateful, unroll
        self.zero_output_for_mask = zero_output_for_mask
        self.input_spec = InputSpec(ndim=self.rank + 3)

    def build(self, sequences_shape, initial_state_shape=None):
        if None in tuple(sequences_shape[2:]):
            raise ValueError(
                "ConvLSTM layers only support static input shapes for the spatial "
                f"dimension. Received invalid input shape: {sequences_shape}"
            )
        self.cell.build(tuple(sequences_shape[:1]) + tuple(sequences_shape[2:]))
        self.cell.built = True

    def _state_shape(self, step_shape):
        cell = self.cell
        first = cell.data_format == "channels_first"
        spatial = step_shape[2:] if first else step_shape[1:-1]
        out = tuple(
            output_size(n, k, s, cell.padding, d)
            for n, k, s, d in zip(spatial, cell.kernel_size, cell.strides, cell.dilation_rate)
        )
        return (
            (step_shape[0], cell.filters) + out
            if first
            else ((step_shape[0],) + out + (cell.filters,))
        )

    def call(self, sequences, initial_state=None, training=False):
        steps = sequences.shape[1]
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        frames = [sequences[:, t] for t in order]
        cell = self.cell
        if training and cell.dropout > 0:
            keep = ops.dropout(
                np.ones(frames[0].shape, self.dtype), cell.dropout, seed=cell.seed_generator
            )
            frames = [f * keep for f in frames]
        shape = self._state_shape(frames[0].shape)
        h, c = (
            initial_state
            if initial_state is not None
            else (ops.zeros(shape, self.dtype), ops.zeros(shape, self.dtype))
        )
        rec_keep = None
        if training and cell.recurrent_dropout > 0:
            rec_keep = ops.dropout(
                np.ones(shape, self.dtype), cell.recurrent_dropout, seed=cell.seed_generator
            )
        outputs = []
        for frame in frames:
            h, c = cell.step(cell.project(frame), h if rec_keep is None else h * rec_keep, c)
            outputs.append(h)
        output = ops.stack(outputs, axis=1) if self.return_sequences else h
        return [output, h, c] if self.return_state else output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        if len(sequences_shape) != self.rank + 3:
            raise ValueError(
                f'Layer "{self.name}" expects a {self.rank + 3}-D input, got '
                f"{shape_str(sequences_shape)}."
            )
        state = self._state_shape(tuple(sequences_shape[:1]) + tuple(sequences_shape[2:]))
        output = state[:1] + (sequences_shape[1],) + state[1:] if self.return_sequences else state
        return [output, state, state] if self.return_state else output

    def get_config(self):
        cell = self.cell
        return {
            **super().get_config(),
            "return_sequences": self.return_sequences,
            "return_state": self.return_state,
            "go_backwards": self.go_backwards,
            "stateful": self.stateful,
            "unroll": self.unroll,
            "zero_output_for_mask": self.zero_output_for_mask,
            "filters": cell.filters,
            "kernel_size": cell.kernel_size,
            "strides": cell.strides,
            "padding": cell.padding,
            "data_format": cell.data_format,
            "dilation_rate": cell.dilation_rate,
            "activation": activations.serialize(cell.activation),
            "recurrent_activation": activations.serialize(cell.recurrent_activation),
            "use_bias": cell.use_bias,
            "kernel_initializer": initializers.serialize(cell.kernel_initializer),
            "recurrent_initializer": initializers.serialize(cell.recurrent_initializer),
            "bias_initializer": initializers.serialize(cell.bias_initializer),
            "unit_forget_bias": cell.unit_forget_bias,
            "kernel_regularizer": regularizers.serialize(cell.kernel_regularizer),
            "recurrent_regularizer": regularizers.serialize(cell.recurrent_regularizer),
            "bias_regularizer": regularizers.serialize(cell.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(cell.kernel_constraint),
            "recurrent_constraint": constraints.serialize(cell.recurrent_constraint),
            "bias_constraint": constraints.serialize(cell.bias_constraint),
            "dropout": cell.dropout,
            "recurrent_dropout": cell.recurrent_dropout,
            "seed": cell.seed,
        }


class ConvLSTM1D(ConvLSTM):
    """ConvLSTM over (batch, time, steps, channels) inputs."""

    rank = 1


class ConvLSTM2D(ConvLSTM):
    """ConvLSTM over (batch, time, rows, cols, channels) inputs.

    >>> import numpy as np
    >>> ConvLSTM2D(4, 3, padding="same")(np.zeros((2, 3, 5, 5, 2), "float32")).shape
    (2, 5, 5, 4)
    """

    rank = 2


class ConvLSTM3D(ConvLSTM):
    """ConvLSTM over (batch, time, depth, rows, cols, channels) inputs."""

    rank = 3
