"""The state of every random generator training draws from, to save, restore or broadcast it:
numkeras's global generator (shuffling), the `SeedGenerator`s a model's layers hold (dropout,
noise), Python's `random` and NumPy's legacy global generator."""

import random

import numpy as np

from numkeras.random.generators import SeedGenerator, global_generator


def seed_generators(layer):
    """Every SeedGenerator held by `layer` (a layer or model) or its sublayers, in a fixed order."""
    found, seen_layers, seen = [], set(), set()

    def visit(layer):
        if id(layer) in seen_layers:
            return
        seen_layers.add(id(layer))
        for value in vars(layer).values():
            items = value if isinstance(value, (list, tuple)) else [value]
            for item in items:
                if isinstance(item, SeedGenerator) and id(item) not in seen:
                    seen.add(id(item))
                    found.append(item)
        for sub in getattr(layer, "_layers", []):
            visit(sub)

    visit(layer)
    return found


def get_generator_states(generators=()):
    """A JSON-able snapshot of the global, Python and NumPy generators and of `generators`."""
    numpy_state = np.random.get_state(legacy=False)
    numpy_state["state"]["key"] = numpy_state["state"]["key"].tolist()
    version, internal, gauss = random.getstate()
    return {
        "global": global_generator().bit_generator.state,
        "layers": [g.rng.bit_generator.state for g in generators],
        "python": [version, list(internal), gauss],
        "numpy": numpy_state,
    }


def set_generator_states(states, generators=()):
    """Restore what `get_generator_states` returned (for the same `generators`, in order)."""
    global_generator().bit_generator.state = states["global"]
    for generator, state in zip(generators, states["layers"]):
        generator.rng.bit_generator.state = state
    version, internal, gauss = states["python"]
    random.setstate((version, tuple(internal), gauss))
    numpy_state = dict(states["numpy"], state=dict(states["numpy"]["state"]))
    numpy_state["state"]["key"] = np.asarray(numpy_state["state"]["key"], np.uint32)
    np.random.set_state(numpy_state)
