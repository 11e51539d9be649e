"""RemoteMonitor posting to a local HTTP server; SwapEMAWeights against real Keras."""

import json
import os
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, HTTPServer

import numpy as np
import pytest

import numkeras as nk

X = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
Y = (X @ np.array([[1.0], [-1.0], [0.5]], "float32")).astype("float32")


@pytest.fixture()
def server():
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's name)
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(
                (self.path, self.headers["Content-Type"], self.headers.get("X-Run"), body.decode())
            )
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", received
    httpd.shutdown()
    httpd.server_close()


def _model():
    model = nk.Sequential([nk.layers.Input((3,)), nk.layers.Dense(1)])
    model.compile("sgd", "mse")
    return model


def test_remote_monitor_posts_a_form_field_per_epoch(server):
    root, received = server
    _model().fit(
        X,
        Y,
        epochs=2,
        verbose=0,
        callbacks=[
            nk.callbacks.RemoteMonitor(
                root=root, path="/logs/", field="payload", headers={"X-Run": "r1"}
            )
        ],
    )
    assert [r[:3] for r in received] == [("/logs/", "application/x-www-form-urlencoded", "r1")] * 2
    sent = [json.loads(urllib.parse.parse_qs(r[3])["payload"][0]) for r in received]
    assert [s["epoch"] for s in sent] == [0, 1]
    assert all(isinstance(s["loss"], float) for s in sent)


def test_remote_monitor_posts_json_and_warns_when_unreachable(server):
    root, received = server
    _model().fit(
        X,
        Y,
        epochs=1,
        verbose=0,
        callbacks=[nk.callbacks.RemoteMonitor(root=root, send_as_json=True)],
    )
    assert received[0][0] == "/publish/epoch/end/" and received[0][1] == "application/json"
    assert set(json.loads(received[0][3])) == {"epoch", "loss"}
    with pytest.warns(UserWarning, match="Could not reach RemoteMonitor"):
        _model().fit(
            X,
            Y,
            epochs=1,
            verbose=0,
            callbacks=[nk.callbacks.RemoteMonitor(root="http://127.0.0.1:9")],
        )


def _fit(lib, swap_on_epoch):
    model = lib.Sequential([lib.layers.Input((3,)), lib.layers.Dense(1)])
    model.build((None, 3))
    model.set_weights([np.full((3, 1), 0.1, "float32"), np.zeros(1, "float32")])
    model.compile(lib.optimizers.SGD(0.05, use_ema=True, ema_momentum=0.8), "mse")
    history = model.fit(
        X,
        Y,
        batch_size=8,
        epochs=3,
        shuffle=False,
        verbose=0,
        validation_data=(X[:8], Y[:8]),
        callbacks=[lib.callbacks.SwapEMAWeights(swap_on_epoch=swap_on_epoch)],
    )
    return history.history, [np.asarray(w) for w in model.get_weights()]


@pytest.mark.parametrize("swap_on_epoch", [False, True])
def test_swap_ema_weights_matches_keras(swap_on_epoch):
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras = pytest.importorskip("keras")
    ours, our_weights = _fit(nk, swap_on_epoch)
    theirs, their_weights = _fit(keras, swap_on_epoch)
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-5)
    for a, b in zip(our_weights, their_weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-7)


def test_swap_ema_weights_needs_use_ema_and_restores_after_predict():
    model = _model()
    with pytest.raises(ValueError, match="use_ema=True"):
        model.fit(
            X,
            Y,
            epochs=1,
            verbose=0,
            validation_data=(X, Y),
            callbacks=[nk.callbacks.SwapEMAWeights()],
        )
    model.compile(nk.optimizers.SGD(0.1, use_ema=True), "mse")
    model.fit(X, Y, batch_size=4, epochs=2, verbose=0)  # ends with the averages in the model
    model.set_weights([w + 1.0 for w in model.get_weights()])
    before = [w.copy() for w in model.get_weights()]
    ema = model.predict(X, verbose=0, callbacks=[nk.callbacks.SwapEMAWeights()])
    assert not np.allclose(ema, model.predict(X, verbose=0))
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
