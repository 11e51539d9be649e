"""A layer or model called for the first time from several threads at once is built once."""

import threading

import numpy as np

import numkeras
from numkeras import layers


def _in_threads(fn, n=4):
    """Run `fn` in `n` threads released together; returns their results (or raises)."""
    barrier, results, errors = threading.Barrier(n), [None] * n, []

    def run(i):
        barrier.wait()
        try:
            results[i] = fn()
        except Exception as e:  # reported in the main thread
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


class SlowBuildDense(layers.Dense):
    """A Dense whose build yields between its two weights, as a big build would."""

    def build(self, input_shape):
        threading.Event().wait(0.01)
        super().build(input_shape)


def test_concurrent_predict_on_a_new_model_builds_once(tmp_path):
    x = np.random.default_rng(0).standard_normal((8, 5)).astype("float32")
    for trial in range(5):
        numkeras.utils.set_random_seed(trial)
        model = numkeras.Sequential([SlowBuildDense(6, activation="relu"), SlowBuildDense(2)])
        outputs = _in_threads(lambda m=model: m.predict(x, verbose=0))
        assert len(model.weights) == 4
        for out in outputs[1:]:
            np.testing.assert_array_equal(out, outputs[0])
        np.testing.assert_array_equal(model.predict(x, verbose=0), outputs[0])
    path = tmp_path / "model.keras"
    model.save(path)
    assert (
        len(
            numkeras.saving.load_model(
                path, custom_objects={"SlowBuildDense": SlowBuildDense}
            ).weights
        )
        == 4
    )


def test_concurrent_first_calls_of_a_layer_build_once():
    x = np.ones((2, 3), "float32")
    layer = SlowBuildDense(4)
    outputs = _in_threads(lambda: np.asarray(layer(x)))
    assert len(layer.weights) == 2
    for out in outputs[1:]:
        np.testing.assert_array_equal(out, outputs[0])
