"""`numkeras demo`: the JSON API on real MNIST digits, every malformed request, the command, and
the page itself in headless Chromium."""

import http.client
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import zlib

import numpy as np
import pytest

import numkeras
from numkeras import cli, layers
from numkeras.datasets import mnist
from numkeras.utils import set_random_seed, to_categorical
from numkeras.web import api, make_server
from numkeras.web.server import MAX_BODY, STATIC_DIR

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def digits():
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    return x_train, y_train, x_test, y_test


@pytest.fixture(scope="module")
def model(digits):
    """The tutorial CNN trained on 6,000 digits for 2 epochs (about 15 s, once per module)."""
    x_train, y_train, _, _ = digits
    numkeras.backend.clear_session()  # layer names as in a fresh process: conv2d, conv2d_1...
    set_random_seed(0)
    model = cli.build_tutorial_model()
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    x = np.expand_dims(x_train[:6000].astype("float32") / 255, axis=3)
    model.fit(x, to_categorical(y_train[:6000]), batch_size=128, epochs=2, verbose=0)
    return model


@pytest.fixture(scope="module")
def server(model):
    server = make_server(model, port=0, log_errors=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def request(server, method, path, body=None, headers=None):
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def post_image(server, image):
    body = json.dumps({"image": np.asarray(image).round(4).tolist()})
    status, headers, data = request(
        server, "POST", "/api/predict", body, {"Content-Type": "application/json"}
    )
    return status, json.loads(data)


def raw(server, data, shut_write=False):
    """Send raw bytes; the status, the head and the body of the answer (read to EOF)."""
    with socket.create_connection(server.server_address[:2], timeout=10) as sock:
        sock.sendall(data)
        if shut_write:
            sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    answer = b"".join(chunks)
    if not answer.startswith(b"HTTP/"):  # the answer to an HTTP/0.9-style line has no head
        return None, "", answer
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), head.decode("latin-1"), body


# --- predictions ---------------------------------------------------------------------------------
def test_real_test_digits_are_recognised(server, digits):
    _, _, x_test, y_test = digits
    answers = []
    for image in x_test[:10]:
        status, result = post_image(server, image / 255)
        assert status == 200
        answers.append(result["prediction"])
        p = result["probabilities"]
        assert len(p) == 10 and abs(sum(p) - 1) < 1e-4 and min(p) >= 0
        assert result["prediction"] == int(np.argmax(p))
    correct = int(np.sum(np.array(answers) == y_test[:10]))
    assert correct >= 9, (answers, y_test[:10].tolist())


def test_feature_maps_of_every_conv_and_pool_layer(server, model, digits):
    status, result = post_image(server, digits[2][0] / 255)
    assert status == 200
    got = [(layer["name"], layer["type"], layer["shape"]) for layer in result["layers"]]
    assert got == [
        ("conv2d", "Conv2D", [26, 26, 32]),
        ("max_pooling2d", "MaxPooling2D", [13, 13, 32]),
        ("conv2d_1", "Conv2D", [11, 11, 64]),
        ("max_pooling2d_1", "MaxPooling2D", [5, 5, 64]),
    ]
    for layer in result["layers"]:
        maps = np.array(layer["maps"])
        h, w, c = layer["shape"]
        assert maps.shape == (c, h, w)
        assert maps.min() >= 0 and maps.max() == 255  # each map scaled to its own range
    # The first map is the first conv channel, scaled: compare with the model's own output.
    x = (digits[2][0] / 255).astype("float32").reshape(1, 28, 28, 1)
    first = model.layers[0](x).numpy()[0, :, :, 0]
    scaled = np.rint((first - first.min()) / (first.max() - first.min()) * 255)
    np.testing.assert_allclose(result["layers"][0]["maps"][0], scaled, atol=1)


def test_prediction_matches_model_predict(server, model, digits):
    image = digits[2][:3] / 255
    expected = model.predict(image[..., None].astype("float32"), verbose=0)
    for i in range(3):
        _, result = post_image(server, image[i])
        np.testing.assert_allclose(result["probabilities"], expected[i], atol=1e-4)


def test_keep_alive_round_trips(server, digits, record_property):
    """Keep-alive round trips as the page makes them: post, predict, 4 layers of maps, JSON.

    The median time is recorded, not asserted (timings belong in benchmarks)."""
    body = json.dumps({"image": (digits[2][7] / 255).round(3).tolist()})
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    times = []
    for _ in range(30):
        start = time.perf_counter()
        conn.request("POST", "/api/predict", body, {"Content-Type": "application/json"})
        response = conn.getresponse()
        data = response.read()
        times.append(1000 * (time.perf_counter() - start))
        assert response.status == 200
    conn.close()
    median = float(np.median(times))
    record_property("round_trip_ms_median", round(median, 2))
    print(
        f"\nprediction round trip: median {median:.1f} ms, max {max(times):.1f} ms, "
        f"{len(data) / 1024:.0f} KB per answer"
    )


def test_concurrent_requests_all_answered(server, digits):
    results, errors = [], []

    def worker(i):
        try:
            results.append(post_image(server, digits[2][i] / 255))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors and len(results) == 8 and all(s == 200 for s, _ in results)


def test_model_summary(server):
    status, headers, data = request(server, "GET", "/api/model")
    assert status == 200 and headers["Content-Type"] == "application/json"
    summary = json.loads(data)
    assert summary["total_params"] == 34826 and summary["trainable_params"] == 34826
    assert summary["non_trainable_params"] == 0
    assert summary["input_shape"] == [None, 28, 28, 1]
    rows = [(la["name"], la["type"], la["output_shape"], la["params"]) for la in summary["layers"]]
    assert rows[0] == ("conv2d", "Conv2D", [None, 26, 26, 32], 320)
    assert rows[-1] == ("dense", "Dense", [None, 10], 16010)
    assert [r[1] for r in rows] == [
        "Conv2D",
        "MaxPooling2D",
        "Conv2D",
        "MaxPooling2D",
        "Flatten",
        "Dropout",
        "Dense",
    ]


def test_page_and_static_files(server):
    status, headers, page = request(server, "GET", "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b'<canvas id="pad" width="280" height="280"' in page
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    for name, kind in (("app.js", "text/javascript"), ("style.css", "text/css")):
        status, headers, _ = request(server, "GET", f"/static/{name}")
        assert status == 200 and headers["Content-Type"].startswith(kind)
    status, headers, body = request(server, "HEAD", "/")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(page)
    for name in os.listdir(STATIC_DIR):  # no CDN: the page loads nothing from elsewhere
        with open(os.path.join(STATIC_DIR, name), encoding="utf-8") as fh:
            text = fh.read()
        assert "http://" not in text and "https://" not in text


# --- malformed requests --------------------------------------------------------------------------
def _image(value=0.5, rows=28, cols=28):
    return {"image": [[value] * cols for _ in range(rows)]}


def _body(obj):
    return json.dumps(obj).encode()


_NAN = json.dumps(_image()).replace("0.5", "NaN", 1).encode()
_INF = json.dumps(_image()).replace("0.5", "Infinity", 1).encode()
_HUGE = json.dumps(_image()).replace("0.5", "1e999", 1).encode()
_STRING = json.dumps(_image()).replace("0.5", '"0.5"', 1).encode()
_BOOL = json.dumps(_image()).replace("0.5", "true", 1).encode()
_NULL = json.dumps(_image()).replace("0.5", "null", 1).encode()
_RAGGED = _body({"image": [[0.5] * 28] * 27 + [[0.5] * 29]})


@pytest.mark.parametrize(
    "method, path, body, status, words",
    [
        ("POST", "/api/predict", b"{not json", 400, "not valid JSON"),
        ("POST", "/api/predict", b"", 400, "not valid JSON"),
        ("POST", "/api/predict", b"\xff\xfe\x00", 400, "not valid JSON"),
        ("POST", "/api/predict", b"[1, 2]", 400, "got list"),
        ("POST", "/api/predict", b"null", 400, "got NoneType"),
        ("POST", "/api/predict", _body({"img": []}), 400, "without 'image'"),
        ("POST", "/api/predict", _body({"image": "digit"}), 422, "got str"),
        ("POST", "/api/predict", _body(_image(rows=27)), 422, "got 27 rows"),
        ("POST", "/api/predict", _body(_image(cols=27)), 422, "got 27 values"),
        ("POST", "/api/predict", _body({"image": [0.5] * 28}), 422, "got float"),
        ("POST", "/api/predict", _body(_image(rows=0)), 422, "got 0 rows"),
        ("POST", "/api/predict", _RAGGED, 422, "Row 27"),
        ("POST", "/api/predict", _body(_image(1.5)), 422, "in [0, 1], got 1.5"),
        ("POST", "/api/predict", _body(_image(-0.1)), 422, "in [0, 1], got -0.1"),
        ("POST", "/api/predict", _body(_image(255)), 422, "in [0, 1], got 255"),
        ("POST", "/api/predict", _NAN, 400, "NaN"),
        ("POST", "/api/predict", _INF, 400, "Infinity"),
        ("POST", "/api/predict", _HUGE, 422, "got inf"),
        ("POST", "/api/predict", _STRING, 422, 'got "0.5"'),
        ("POST", "/api/predict", _BOOL, 422, "got true"),
        ("POST", "/api/predict", _NULL, 422, "got null"),
        ("GET", "/api/predict", None, 405, "use POST"),
        ("PUT", "/api/predict", b"{}", 405, "use POST"),
        ("DELETE", "/api/model", None, 405, "use GET"),
        ("POST", "/api/model", b"{}", 405, "use GET"),
        ("PATCH", "/", b"x", 405, "not allowed"),
        ("BREW", "/", None, 405, "not allowed"),
        ("GET", "/nowhere", None, 404, "Not found"),
        ("POST", "/api/nowhere", b"{}", 404, "Not found"),
        ("GET", "/static/../server.py", None, 404, "Not found"),
        ("GET", "/static/%2e%2e/api.py", None, 404, "Not found"),
    ],
)
def test_malformed_requests_get_a_json_4xx(server, method, path, body, status, words):
    got, headers, data = request(server, method, path, body)
    assert got == status, data
    assert headers["Content-Type"] == "application/json"
    message = json.loads(data)["error"]
    assert words in message and "Traceback" not in message
    assert request(server, "GET", "/api/model")[0] == 200  # still serving


def _head(path, headers):
    lines = [f"POST {path} HTTP/1.1", "Host: localhost", "Connection: close", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


@pytest.mark.parametrize(
    "data, shut_write, status, words",
    [
        (_head("/api/predict", [f"Content-Length: {MAX_BODY + 1}"]) + b"{", False, 413, "limit"),
        (_head("/api/predict", ["Content-Length: 99999999999"]), False, 413, "limit"),
        (_head("/api/predict", []), False, 411, "Content-Length"),
        (
            _head("/api/predict", ["Transfer-Encoding: chunked"]) + b"5\r\nhello\r\n0\r\n\r\n",
            False,
            411,
            "Content-Length",
        ),
        (_head("/api/predict", ["Content-Length: -5"]), False, 400, "whole number"),
        (_head("/api/predict", ["Content-Length: ten"]), False, 400, "whole number"),
        (_head("/api/predict", ["Content-Length: 100"]) + b'{"image"', True, 400, "ended after 8"),
        (b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", False, 431, "Line too long"),
        (b"HELLO\r\n\r\n", False, None, "Bad request syntax"),
        (b"GET / HTTP/9.9\r\n\r\n", False, None, "Invalid HTTP version"),
    ],
)
def test_malformed_http_gets_json_errors(server, data, shut_write, status, words):
    got, head, body = raw(server, data, shut_write)
    assert got == status, body
    assert status is None or "Content-Type: application/json" in head
    assert words.lower() in json.loads(body)["error"].lower()
    assert request(server, "GET", "/api/model")[0] == 200


def test_a_1_mb_body_is_refused_unread_and_keep_alive_continues(server):
    # A body of exactly the limit is read (and refused as JSON); the connection stays usable.
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    conn.request("POST", "/api/predict", b" " * MAX_BODY)
    response = conn.getresponse()
    assert response.status == 400 and b"not valid JSON" in response.read()
    conn.request("GET", "/api/model")
    assert conn.getresponse().status == 200
    conn.close()


# --- the API on other models ---------------------------------------------------------------------
def test_functional_and_flat_input_models():
    set_random_seed(1)
    inputs = numkeras.Input((28, 28, 1))
    x = layers.Conv2D(4, 3, activation="relu")(inputs)
    y = layers.Conv2D(4, 3, padding="same")(x)
    x = layers.MaxPooling2D()(layers.Add()([x, y]))
    outputs = layers.Dense(10)(layers.Flatten()(x))  # logits
    functional = numkeras.Model(inputs, outputs)
    image = np.random.default_rng(0).random((28, 28)).astype("float32")
    result = api.predict(functional, image)
    assert [la["shape"] for la in result["layers"]] == [[26, 26, 4], [26, 26, 4], [13, 13, 4]]
    assert abs(sum(result["probabilities"]) - 1) < 1e-4  # softmax applied to the logits
    expected = functional.predict(image[None, ..., None], verbose=0)[0]
    assert result["prediction"] == int(np.argmax(expected))
    summary = api.model_summary(functional)
    assert summary["layers"][0]["type"] == "InputLayer"
    assert summary["total_params"] == functional.count_params()

    flat = numkeras.Sequential([layers.Input((784,)), layers.Dense(10, activation="softmax")])
    result = api.predict(flat, image)
    assert result["layers"] == [] and len(result["probabilities"]) == 10

    wrong = numkeras.Sequential([layers.Input((32, 32, 1)), layers.Flatten(), layers.Dense(2)])
    with pytest.raises(api.ApiError, match="expects inputs of shape"):
        api.predict(wrong, image)


def test_feature_maps_scaling():
    out = np.zeros((1, 2, 2, 2), dtype="float32")
    out[0, :, :, 1] = [[1.0, 3.0], [2.0, 5.0]]
    maps = api.feature_maps(out)
    assert maps == [[[0, 0], [0, 0]], [[0, 128], [64, 255]]]


# --- the command ---------------------------------------------------------------------------------
def _start_demo(args, cwd):
    env = {
        **os.environ,
        "PYTHONPATH": os.path.dirname(os.path.dirname(os.path.abspath(cli.__file__))),
    }
    # SIGINT back to its default, so Python turns it into KeyboardInterrupt even when the
    # test runner itself was started with SIGINT ignored (a background job).
    return subprocess.Popen(
        [sys.executable, "-m", "numkeras", "demo", *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )


def test_cli_demo_serves_mnist_cnn_keras_and_stops_on_ctrl_c(model, tmp_path):
    model.save(tmp_path / "mnist_cnn.keras")
    proc = _start_demo(["--port", "0"], tmp_path)
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, (line, proc.stderr.read() if proc.poll() else "")
        url = line.split("serving ")[1].split()[0]
        host, port = url[len("http://") :].rstrip("/").split(":")
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        conn.request("GET", "/api/model")
        assert json.loads(conn.getresponse().read())["total_params"] == 34826
        conn.close()
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err
    assert "stopped" in out and "Traceback" not in err


def test_cli_demo_reports_a_missing_model(tmp_path):
    proc = _start_demo([str(tmp_path / "nope.keras")], tmp_path)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "cannot load" in err and "nope.keras" in err and "Traceback" not in err


def test_cli_demo_trains_and_saves_when_there_is_no_model(monkeypatch, tmp_path, capsys, digits):
    x_train, y_train, x_test, y_test = digits
    small = ((x_train[:256], y_train[:256]), (x_test[:10], y_test[:10]))
    monkeypatch.setattr(mnist, "load_data", lambda *a, **k: small)
    served = {}
    monkeypatch.setattr(
        "numkeras.web.serve",
        lambda model, host, port, open_browser: served.update(
            model=model, host=host, port=port, open=open_browser
        ),
    )
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--port", "8123", "--open"]) == 0
    out = capsys.readouterr().out
    assert "training the tutorial CNN for one epoch" in out and "2/2" in out  # progress bar
    assert (tmp_path / "mnist_cnn.keras").exists()
    assert served["model"].count_params() == 34826
    assert (served["host"], served["port"], served["open"]) == ("127.0.0.1", 8123, True)


def test_cli_demo_rejects_a_bad_port(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--port", "70000"])
    assert "--port must be in 0..65535" in capsys.readouterr().err


def test_cli_demo_reports_a_busy_port(server, model, tmp_path, capsys):
    model.save(tmp_path / "model.keras")
    port = str(server.server_address[1])  # taken by the test server
    assert cli.main(["demo", str(tmp_path / "model.keras"), "--port", port]) == 1
    assert f"cannot serve on 127.0.0.1:{port}" in capsys.readouterr().err


# --- the page in a real browser ------------------------------------------------------------------
def _png(grey):
    """A greyscale uint8 array as PNG bytes (no imaging library needed)."""
    h, w = grey.shape
    raw_rows = b"".join(b"\x00" + row.tobytes() for row in grey.astype("uint8"))

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw_rows))
        + chunk(b"IEND", b"")
    )


@pytest.fixture
def page(server, tmp_path):
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
    ]
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=args,
            viewport={"width": 1100, "height": 900},
            has_touch=True,
        )
        context.set_default_timeout(15000)
        page = context.pages[0] if context.pages else context.new_page()
        page.problems = []
        page.on(
            "console",
            lambda m: (
                m.type in ("error", "warning") and page.problems.append(f"{m.type}: {m.text}")
            ),
        )
        page.on("pageerror", lambda e: page.problems.append(f"pageerror: {e}"))
        page.on("requestfailed", lambda r: page.problems.append(f"failed: {r.url}"))
        page.goto(server.url)
        page.wait_for_selector("#summary tbody tr")
        yield page
        context.close()
    assert page.problems == []  # no console error or warning, no uncaught exception, anywhere


def _predictions(page):
    return int(page.evaluate("document.body.dataset.predictions || '0'"))


@pytest.mark.browser
def test_browser_draw_a_one(page, tmp_path, record_property):
    assert page.locator("#model-name").text_content().startswith("sequential (Sequential)")
    assert page.locator("#summary tbody tr").count() == 7
    box = page.locator("#pad").bounding_box()
    x = box["x"] + box["width"] / 2
    page.mouse.move(x, box["y"] + 0.15 * box["height"])
    page.mouse.down()
    page.mouse.move(x, box["y"] + 0.85 * box["height"], steps=12)
    page.mouse.up()
    page.wait_for_function("() => document.querySelector('#digit').textContent === '1'")
    page.wait_for_timeout(300)  # let the last in-flight answer land
    assert page.locator("#digit").text_content() == "1"
    # Round trips as a person sees them (request, model, answer, drawing 192 tiles): tap
    # on the stroke, which leaves the drawing as it is, and read the page's own timing.
    times = []
    for k in range(7):
        count = _predictions(page)
        page.mouse.click(x, box["y"] + (0.3 + 0.05 * k) * box["height"])
        page.wait_for_function(f"() => (document.body.dataset.predictions | 0) > {count}")
        times.append(float(page.locator("#timing").get_attribute("data-ms")))
    ms = float(np.median(times))
    record_property("browser_round_trip_ms_median", round(ms, 2))  # recorded, not asserted
    assert page.locator("#digit").text_content() == "1"
    bars = page.locator("#bars .bar")
    assert bars.count() == 10
    widths = [float(bars.nth(d).evaluate("e => parseFloat(e.style.width) || 0")) for d in range(10)]
    assert widths[1] == max(widths) and widths[1] > 50
    tiles = page.locator("#maps canvas.tile")
    assert tiles.count() == 32 + 32 + 64 + 64
    assert page.locator("#maps .layer h3").first.text_content().startswith("conv2d (Conv2D)")
    lit = page.evaluate("""() => {
        const t = document.querySelector('#maps canvas.tile');
        const d = t.getContext('2d').getImageData(0, 0, t.width, t.height).data;
        return d.some((v, i) => i % 4 === 0 && v > 0);
    }""")
    assert lit  # the tile shows something
    seen = page.evaluate("""() => {
        const d = document.querySelector('#input28').getContext('2d')
            .getImageData(0, 0, 28, 28).data;
        let sum = 0, xs = 0, ys = 0, cols = new Set();
        for (let i = 0; i < 784; i++) {
            const v = d[4 * i] / 255; sum += v; xs += v * (i % 28); ys += v * Math.floor(i / 28);
            if (v > 0.5) cols.add(i % 28);
        }
        return [sum, xs / sum, ys / sum, cols.size];
    }""")
    mass, cx, cy, width = seen
    assert abs(cx - 13.5) <= 1 and abs(cy - 13.5) <= 1  # centred by centre of mass
    assert width <= 4  # a thin vertical stroke, as MNIST's ones
    shot = tmp_path / "demo-one.png"
    page.screenshot(path=str(shot), full_page=True)
    print(
        f"\nscreenshot: {shot}; in-browser round trip median {ms:.1f} ms (max {max(times):.1f} ms)"
    )
    assert shot.stat().st_size > 10000
    assert page.problems == []

    page.click("#clear")
    assert page.locator("#digit").text_content() == "?"
    assert page.locator("#maps canvas.tile").count() == 0


def _status(page):
    return page.locator("#status").text_content()


def _settle(page, before):
    """Wait for a prediction after `before`, then until no more arrive (the last one landed);
    return at once on an error in the page."""
    for _ in range(300):
        if _predictions(page) > before or page.problems or _status(page):
            break
        page.wait_for_timeout(50)
    count = _predictions(page)
    while True:
        page.wait_for_timeout(250)  # also lets the bars' 80 ms width transition finish
        if _predictions(page) == count:
            return
        count = _predictions(page)


def _rendered_bars(page):
    """Each bar's rendered width as a percentage of its track, and the percentage it shows."""
    return page.evaluate("""() => [...document.querySelectorAll('#bars li')].map((li) => {
        const bar = li.querySelector('.bar').getBoundingClientRect();
        const track = li.querySelector('.track').getBoundingClientRect();
        return [100 * bar.width / track.width, bar.height, parseFloat(
            li.querySelector('.pct').textContent), li.classList.contains('top')];
    })""")


def _strokes(box, count, seed):
    """Pointer paths in page coordinates: random scribbles, and strokes along or at the edges
    and corners of the pad (where the bounding box touches the canvas border)."""
    rng = np.random.default_rng(seed)
    lo, hi = 1.5, box["width"] - 1.5  # inside the pad, its rounded corners included
    edge = [
        [(lo, lo), (hi, lo)],
        [(lo, lo), (lo, hi)],
        [(hi, lo), (hi, hi)],
        [(lo, hi), (hi, hi)],
        [(lo, lo)],
        [(hi, hi)],
        [(lo, lo), (hi, hi)],
        [(hi, lo), (lo, hi)],
        [(lo, 0.5 * hi), (0.3 * hi, 0.6 * hi)],
        [(0.4 * hi, hi), (0.6 * hi, 0.8 * hi), (0.8 * hi, hi)],
    ]
    paths = list(edge)
    while len(paths) < count:
        points = rng.uniform(lo, hi, size=(rng.integers(1, 6), 2))
        snap = rng.random(points.shape) < 0.25  # some points pushed onto the border
        points[snap] = np.where(rng.random(snap.sum()) < 0.5, lo, hi)
        paths.append([tuple(p) for p in points])
    return [[(box["x"] + px, box["y"] + py) for px, py in path] for path in paths]


@pytest.mark.browser
def test_browser_many_strokes_bars_show_the_probabilities(page):
    """Forty strokes, ten of them along the pad's edges and corners: every one is predicted
    without a console error, and each bar's rendered width is the probability it shows."""
    box = page.locator("#pad").bounding_box()
    for k, path in enumerate(_strokes(box, 40, seed=0)):
        page.click("#clear")
        before = _predictions(page)
        page.mouse.move(*path[0])
        page.mouse.down()
        for point in path[1:]:
            page.mouse.move(*point, steps=4)
        page.mouse.up()
        _settle(page, before)
        assert page.problems == [] and _status(page) == "", (k, path, _status(page))
        bars = _rendered_bars(page)
        shown = [pct for _, _, pct, _ in bars]
        assert abs(sum(shown) - 100) < 1, (k, path, shown, page.problems)
        for digit, (width, height, pct, top) in enumerate(bars):
            assert abs(width - pct) < 1, (k, digit, width, pct)
            assert height > 5 or pct == 0  # a bar you can see, not a 0x0 inline span
            assert top == (digit == int(page.locator("#digit").text_content()))
    assert max(_rendered_bars(page))[0] > 10


@pytest.mark.browser
def test_browser_draw_with_a_finger(page):
    box = page.locator("#pad").bounding_box()
    x = box["x"] + box["width"] / 2
    cdp = page.context.new_cdp_session(page)  # real touch events, as a phone sends them
    for k in range(13):
        kind = "touchStart" if k == 0 else "touchMove"
        y = box["y"] + box["height"] * (0.15 + 0.7 * k / 12)
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    page.wait_for_function("() => document.querySelector('#digit').textContent === '1'")
    assert page.evaluate("window.scrollY") == 0  # the stroke drew; it did not scroll the page
    assert page.problems == []


@pytest.mark.browser
def test_browser_upload_a_dark_on_light_digit(page, digits, tmp_path):
    _, _, x_test, y_test = digits
    assert y_test[0] == 7
    paper = 255 - np.kron(x_test[0], np.ones((6, 6), dtype="uint8"))  # dark ink, white paper
    page.set_input_files(
        "#upload", files=[{"name": "seven.png", "mimeType": "image/png", "buffer": _png(paper)}]
    )
    page.wait_for_function("() => document.querySelector('#digit').textContent === '7'")
    assert page.locator("#maps canvas.tile").count() == 192
    page.screenshot(path=str(tmp_path / "demo-upload.png"))
    assert page.problems == []


def test_static_files_are_package_data():
    root = os.path.dirname(os.path.dirname(os.path.abspath(cli.__file__)))
    with open(os.path.join(root, "pyproject.toml"), encoding="utf-8") as fh:
        assert '"numkeras.web" = ["static/*"]' in fh.read()
    assert sorted(os.listdir(STATIC_DIR)) == ["app.js", "index.html", "style.css"]
