"""Support for subclassed models: Keras's functional subclasses and their summary rows."""

from numkeras.layers.layer import Layer


def inject_functional(cls, model, functional):
    """Make `cls` (a `model` subclass called with inputs and outputs) derive from
    `functional` instead, as Keras does, so its own methods (`train_step`, ...) run on a
    functional graph. Returns the class to use in place of `cls`."""
    if cls is model:
        return functional
    if cls is object or issubclass(cls, functional):
        return cls
    cls.__bases__ = tuple(inject_functional(base, model, functional) for base in cls.__bases__)
    return cls


def built_output_shape(layer):
    """A sublayer's output shape from the shape it was built with, when its class has its own
    `build` and `compute_output_shape`; None (shown as '?') otherwise, as in Keras."""
    shape, cls = getattr(layer, "_build_shape", None), type(layer)
    if (
        shape is None
        or cls.build is Layer.build
        or (cls.compute_output_shape is Layer.compute_output_shape)
    ):
        return None
    try:
        return layer.compute_output_shape(shape)
    except Exception:  # noqa: BLE001  (the shape only informs the summary)
        return None


def counts_as_built(layer):
    """Keras marks a layer without its own `build` built once all its sublayers are."""
    return (
        layer.built
        or type(layer).build is Layer.build
        and all(counts_as_built(sub) for sub in layer._layers)
    )
