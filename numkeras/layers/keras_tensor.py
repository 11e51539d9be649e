"""Symbolic tensors: shapes flowing through layers before any data does (functional API)."""
from numkeras.tree import flatten


class KerasTensor:
    """A placeholder with a shape (None for the batch) and the layer call that produced it."""

    def __init__(self, shape, dtype="float32", name=None, history=None):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.name = name
        self._keras_history = history  # (layer, node_index, tensor_index)

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class Node:
    """One call of a layer on symbolic inputs: what went in and what came out."""

    def __init__(self, layer, inputs, outputs, kwargs=None):
        self.layer = layer
        self.inputs = inputs  # the nested structure passed to the layer
        self.outputs = outputs
        self.kwargs = kwargs or {}

    @property
    def input_tensors(self):
        return flatten(self.inputs)


def is_symbolic(structure):
    return any(isinstance(leaf, KerasTensor) for leaf in flatten(structure))
