"""The demo server answers hostile requests with a JSON 4xx and keeps serving: deeply nested
JSON, a body shorter than its Content-Length, conflicting Content-Length headers."""

import http.client
import json
import socket
import threading

import pytest

from numkeras import Sequential, layers
from numkeras.web import make_server
from numkeras.web.server import DemoHandler


@pytest.fixture(scope="module")
def server():
    model = Sequential([layers.Input((28, 28, 1)), layers.Flatten(), layers.Dense(10)])
    server = make_server(model, port=0, log_errors=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _answer(server, data):
    """Send raw bytes, keeping the connection open for writing; the status and JSON body
    of the answer (read until the server closes the connection)."""
    with socket.create_connection(server.server_address[:2], timeout=20) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    assert b"Content-Type: application/json" in head
    return int(head.split(b" ")[1]), json.loads(body)["error"]


def _post(body, headers):
    lines = ["POST /api/predict HTTP/1.1", "Host: localhost", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _still_serving(server):
    conn = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    conn.request("GET", "/api/model")
    assert conn.getresponse().status == 200
    conn.close()


def test_deeply_nested_json_is_a_400(server):
    body = b"[" * 100_000 + b"]" * 100_000
    status, message = _answer(
        server, _post(body, [f"Content-Length: {len(body)}", "Connection: close"])
    )
    assert status == 400 and "not valid JSON" in message and "Traceback" not in message
    _still_serving(server)


def test_a_body_shorter_than_its_content_length_is_a_408(server, monkeypatch):
    monkeypatch.setattr(DemoHandler, "body_timeout", 0.2)  # the wait for the missing bytes
    status, message = _answer(server, _post(b'{"image"', ["Content-Length: 100"]))
    assert status == 408 and "8 of 100" in message
    _still_serving(server)


@pytest.mark.parametrize("lengths", [("8", "100"), ("100", "8")])
def test_conflicting_content_lengths_are_a_400(server, lengths):
    body = b'{"image": []}'
    status, message = _answer(server, _post(body, [f"Content-Length: {n}" for n in lengths]))
    assert status == 400 and "Content-Length" in message
    _still_serving(server)
