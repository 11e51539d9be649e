"""The symbolic tensors of the functional API (they live with the ops that build the graph)."""

from numkeras.ops.keras_tensor import KerasHistory, KerasTensor, Node, is_symbolic

__all__ = ["KerasHistory", "KerasTensor", "Node", "is_symbolic"]
