"""`numkeras.datasets`: Keras's small datasets, laid out as in Keras (`mnist.load_data()`)."""
from numkeras.datasets import cifar10, fashion_mnist, mnist

__all__ = ["cifar10", "fashion_mnist", "mnist"]
