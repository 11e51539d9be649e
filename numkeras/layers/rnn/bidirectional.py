"""Bidirectional: a recurrent layer run forwards and a copy run backwards, outputs merged."""

from numkeras import ops
from numkeras.layers.layer import Layer
from numkeras.layers.rnn.rnn import prefix_paths

MERGE_MODES = ("sum", "mul", "ave", "concat", None)


def _renamed_copy(layer, name, **changes):
    """A fresh layer with `layer`'s config (new weights), as Keras builds the two directions."""
    return type(layer).from_config({**layer.get_config(), "name": name, **changes})


def _strip(name, prefix):
    return name[len(prefix) :] if name.startswith(prefix) else name


class Bidirectional(Layer):
    """Runs `layer` over the sequence forwards and a copy of it backwards, then merges them.

    The wrapped layer is copied (fresh weights): `forward_layer` is named `forward_<name>`
    and `backward_layer` `backward_<name>` with `go_backwards=True`. The backward sequence
    is flipped back to the input's time order before merging. Weights are the forward
    layer's then the backward layer's, as in Keras.

    Args:
        layer: an `RNN` layer instance such as `LSTM(...)` or `GRU(...)`.
        merge_mode: "concat" (default), "sum", "ave", "mul", or None to return both outputs.
        weights: optional initial weights (forward layer's, then backward layer's).
        backward_layer: an RNN layer for the backward direction, instead of a copy; it must
            have the opposite `go_backwards` and the same return_sequences, return_state and
            stateful settings.

    Call arguments: `sequences`, `initial_state` (the forward layer's states then the
    backward layer's; Keras splits the list in halves, which is the same for two LSTMs),
    `mask`, `training`. With `return_state`: `output, *forward_states, *backward_states`.

    >>> import numpy as np
    >>> from numkeras.layers import LSTM
    >>> Bidirectional(LSTM(4, return_sequences=True))(np.ones((2, 5, 3), "float32")).shape
    (2, 5, 8)
    """

    def __init__(self, layer, merge_mode="concat", weights=None, backward_layer=None, **kwargs):
        if not isinstance(layer, Layer):
            raise ValueError(
                f"Bidirectional: `layer` must be a Layer instance, received layer={layer!r}."
            )
        if not all(hasattr(layer, a) for a in ("go_backwards", "return_sequences", "stateful")):
            raise ValueError(
                "Bidirectional: `layer` must be a recurrent layer (an RNN such as "
                f"LSTM, GRU or SimpleRNN), received a {type(layer).__name__} layer."
            )
        if backward_layer is not None and not isinstance(backward_layer, Layer):
            raise ValueError(
                f"Bidirectional: `backward_layer` must be a Layer instance, "
                f"received backward_layer={backward_layer!r}."
            )
        if merge_mode not in MERGE_MODES:
            raise ValueError(
                f"Bidirectional: `merge_mode` must be one of {MERGE_MODES}, "
                f"received merge_mode={merge_mode!r}."
            )
        super().__init__(**kwargs)
        self.forward_layer = _renamed_copy(layer, f"forward_{_strip(layer.name, 'forward_')}")
        if backward_layer is None:
            backward_layer = _renamed_copy(
                layer, f"backward_{_strip(layer.name, 'backward_')}", go_backwards=True
            )
        self.backward_layer = backward_layer
        self._check_directions()
        for sub in (self.forward_layer, self.backward_layer):
            if hasattr(sub, "zero_output_for_mask"):  # masked steps of the pair line up as zeros
                sub.zero_output_for_mask = sub.return_sequences
        self.merge_mode = merge_mode
        self._initial_weights = weights
        self.stateful = layer.stateful
        self.return_sequences = layer.return_sequences
        self.return_state = layer.return_state
        self.input_spec = layer.input_spec

    def _check_directions(self):
        forward, backward = self.forward_layer, self.backward_layer
        if forward.go_backwards == backward.go_backwards:
            raise ValueError(
                "Bidirectional: the forward and backward layers need different `go_backwards`, "
                f"both have go_backwards={forward.go_backwards}."
            )
        for attr in ("stateful", "return_sequences", "return_state"):
            if getattr(forward, attr) != getattr(backward, attr):
                raise ValueError(
                    f"Bidirectional: the forward and backward layers need the same `{attr}`, "
                    f"received {getattr(forward, attr)} and {getattr(backward, attr)}."
                )

    def build(self, sequences_shape, initial_state_shape=None):
        for sub in (self.forward_layer, self.backward_layer):
            sub._maybe_build(sequences_shape)
        prefix_paths(self, self.name)
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def call(self, sequences, initial_state=None, mask=None, training=False):
        if mask is None:
            mask = getattr(sequences, "_keras_mask", None)
        states = [{}, {}]
        if initial_state is not None:
            half = len(getattr(self.forward_layer, "state_size", ())) or len(initial_state) // 2
            states = [
                {"initial_state": list(initial_state[:half])},
                {"initial_state": list(initial_state[half:])},
            ]
        y = self.forward_layer(sequences, mask=mask, training=training, **states[0])
        y_rev = self.backward_layer(sequences, mask=mask, training=training, **states[1])
        final_states = ()
        if self.return_state:
            final_states = tuple(y[1:]) + tuple(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev[:, ::-1]
        if self.merge_mode is None:
            return (y, y_rev) + final_states
        output = {
            "concat": lambda: ops.concatenate([y, y_rev], axis=-1),
            "sum": lambda: y + y_rev,
            "ave": lambda: (y + y_rev) / 2,
            "mul": lambda: y * y_rev,
        }[self.merge_mode]()
        if self.return_sequences and mask is not None:
            output._keras_mask = mask
        return (output,) + final_states if self.return_state else output

    def compute_output_shape(self, sequences_shape, initial_state_shape=None):
        forward = self.forward_layer.compute_output_shape(sequences_shape)
        backward = self.backward_layer.compute_output_shape(sequences_shape)
        states = []
        if self.return_state:
            states = list(forward[1:]) + list(backward[1:])
            forward, backward = forward[0], backward[0]
        if self.merge_mode is None:
            outputs = [tuple(forward), tuple(backward)]
        elif self.merge_mode == "concat":
            outputs = [tuple(forward[:-1]) + (forward[-1] + backward[-1],)]
        else:
            outputs = [tuple(forward)]
        return outputs + states if len(outputs) + len(states) > 1 else outputs[0]

    def compute_mask(self, inputs, mask=None):
        """As Keras: the input's mask on each sequence output (two without a merge_mode)."""
        mask = mask[0] if isinstance(mask, list) else mask
        output = mask if self.return_sequences else None
        return [output, output] if self.merge_mode is None else output

    def reset_state(self):
        if not self.stateful:
            raise AttributeError(f'Layer "{self.name}" is not stateful.')
        self.forward_layer.reset_state()
        self.backward_layer.reset_state()

    reset_states = reset_state

    def get_config(self):
        from numkeras.saving.serialization import serialize_keras_object

        return {
            **super().get_config(),
            "merge_mode": self.merge_mode,
            "layer": serialize_keras_object(self.forward_layer),
            "backward_layer": serialize_keras_object(self.backward_layer),
        }

    @classmethod
    def from_config(cls, config):
        from numkeras.saving.serialization import deserialize_keras_object

        config = dict(config)
        for key in ("layer", "backward_layer"):
            if isinstance(config.get(key), dict):
                config[key] = deserialize_keras_object(config[key])
        return cls(**config)
