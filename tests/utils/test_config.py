"""utils.Config against real Keras's: attributes, items, freezing, errors, JSON."""

import os

import pytest

from numkeras.utils import Config


def _keras():
    os.environ.setdefault("KERAS_BACKEND", "torch")
    return pytest.importorskip("keras")


def _exercise(config):
    config.units = 4
    config["rate"] = 0.5
    config.update(depth=2)
    out = [
        config.units,
        config["rate"],
        list(config),
        len(config),
        "depth" in config,
        config.get("missing", 7),
        config.as_dict(),
        config.to_json(),
        config.frozen,
    ]
    with pytest.raises(AttributeError, match="Did you mean 'units'"):
        config.unit  # noqa: B018
    config.freeze()
    for change in (
        lambda: setattr(config, "units", 5),
        lambda: config.pop("rate"),
        lambda: config.__setitem__("x", 1),
        lambda: config.__delitem__("units"),
    ):
        with pytest.raises(ValueError, match="frozen"):
            change()
    config.unfreeze()
    del config["depth"]
    return out + [config.pop("rate"), sorted(config.items()), repr(config)]


def test_config_behaves_as_keras():
    keras = _keras()
    assert _exercise(Config(name="x")) == _exercise(keras.utils.Config(name="x"))
