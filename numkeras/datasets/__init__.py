"""`numkeras.datasets`: Keras's small datasets, laid out as in Keras (`mnist.load_data()`)."""
from numkeras.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
