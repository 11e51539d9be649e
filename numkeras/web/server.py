"""`numkeras demo`'s web server: the page, its static files and the JSON API, on the standard
library's ThreadingHTTPServer.

Routes: `GET /` (the page), `GET /static/<file>`, `GET /api/model`, `POST /api/predict`.
Every refusal is a 4xx with a JSON `{"error": ...}` body, and the server keeps serving.
"""

import json
import os
import socket
import sys
import threading
import webbrowser
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from numkeras.web import api

MAX_BODY = 1 << 20  # 1 MB; a 28x28 image in JSON is about 5 KB
STATIC_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")
_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
# The page loads nothing from elsewhere; uploads are read as blob: URLs.
_CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
_GET_ROUTES = {"/", "/index.html", "/api/model"}


class DemoServer(ThreadingHTTPServer):
    """Serves one model. `server.url` is the page's address (port 0 picks a free port)."""

    daemon_threads = True

    def __init__(self, model, host="127.0.0.1", port=8000, log_errors=True):
        self.model = model
        self.log_errors = log_errors
        self.lock = threading.Lock()  # one prediction at a time: layers are shared state
        self.summary = api.model_summary(model)
        self.static = {name: os.path.join(STATIC_DIR, name) for name in os.listdir(STATIC_DIR)}
        if ":" in host:
            self.address_family = socket.AF_INET6
        super().__init__((host, port), DemoHandler)

    @property
    def url(self):
        host, port = self.server_address[:2]
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


class DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the page posts after every stroke
    server_version = "numkeras-demo"
    timeout = 30  # a client that stops sending mid-request loses its connection, not a thread
    body_timeout = 5  # seconds without a byte of a body under way: 408

    # --- responses ------------------------------------------------------------------------------
    def _send(self, status, body, content_type, extra_headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        for name, value in extra_headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _send_json(self, status, obj, extra_headers=()):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self._send(status, body, "application/json", extra_headers)

    def _error(self, status, message, extra_headers=()):
        self._send_json(status, {"error": message}, extra_headers)

    def send_error(self, code, message=None, explain=None):
        """The base class's errors (bad request line, header too long...) as JSON too."""
        self.close_connection = True
        self._error(code, message or HTTPStatus(code).phrase)

    def log_request(self, code="-", size="-"):
        pass  # quiet on success: the page posts on every stroke

    def log_message(self, format, *args):
        if self.server.log_errors:
            sys.stderr.write(f"numkeras demo: {self.address_string()} {format % args}\n")

    # --- routes ---------------------------------------------------------------------------------
    def _path(self):
        return urlsplit(self.path).path

    def do_GET(self):
        path = self._path()
        if path in ("/", "/index.html"):
            return self._static("index.html")
        if path == "/api/model":
            return self._send_json(200, self.server.summary)
        if path.startswith("/static/"):
            return self._static(path[len("/static/") :])
        if path == "/api/predict":
            return self._not_allowed()
        self._error(404, f"Not found: {path}")

    do_HEAD = do_GET

    def do_POST(self):
        path = self._path()
        if path != "/api/predict":
            if path in _GET_ROUTES or path.startswith("/static/"):
                return self._not_allowed()
            self.close_connection = True  # its body, if any, stays unread
            return self._error(404, f"Not found: {path}")
        body = self._read_body()
        if body is None:
            return
        try:
            image = api.parse_image(body)
            with self.server.lock:
                result = api.predict(self.server.model, image)
        except api.ApiError as e:
            return self._error(e.status, e.message)
        except Exception as e:  # a model that fails on some input: report it, keep serving
            self.log_error("predict failed: %s: %s", type(e).__name__, e)
            return self._error(500, f"The model failed on this input: {type(e).__name__}: {e}")
        self._send_json(200, result)

    def __getattr__(self, name):
        # Any other method (PUT, DELETE, PATCH, OPTIONS, made-up ones) gets a 405, not a 501.
        if name.startswith("do_"):
            return self._not_allowed
        raise AttributeError(name)

    def _not_allowed(self):
        if self.command not in ("GET", "HEAD"):
            self.close_connection = True  # its body, if any, stays unread
        path = self._path()
        allow = "POST" if path == "/api/predict" else "GET, HEAD"
        self._error(
            405, f"Method {self.command} is not allowed on {path}; use {allow}.", [("Allow", allow)]
        )

    def _read_body(self):
        """The request body, or None after answering with an error (nothing is read then)."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._error(411, "Send the body with a Content-Length, not a Transfer-Encoding.")
            return None
        lengths = self.headers.get_all("Content-Length") or []
        if len(set(lengths)) > 1:  # which one frames the body? (request smuggling)
            self.close_connection = True
            self._error(400, f"Conflicting Content-Length headers: {', '.join(lengths)}.")
            return None
        length = lengths[0] if lengths else None
        if length is None:
            self.close_connection = True
            self._error(411, "A Content-Length header is required.")
            return None
        if not length.strip().isdigit():
            self.close_connection = True
            self._error(400, f"Content-Length must be a whole number, got {length!r}.")
            return None
        length = int(length)
        if length > MAX_BODY:
            self.close_connection = True  # the unread body must not be taken for a request
            self._error(413, f"The body is {length:,} bytes; the limit is {MAX_BODY:,}.")
            return None
        self.connection.settimeout(self.body_timeout)
        body = bytearray()
        try:
            while len(body) < length and (chunk := self.rfile.read1(length - len(body))):
                body += chunk
        except TimeoutError:  # the client stopped sending mid-body
            self.close_connection = True
            self._error(408, f"The body stopped after {len(body)} of {length} bytes.")
            return None
        except OSError:  # reset mid-body
            self.close_connection = True
            return None
        finally:
            self.connection.settimeout(self.timeout)
        if len(body) < length:
            self.close_connection = True
            self._error(400, f"The body ended after {len(body)} of {length} bytes.")
            return None
        return bytes(body)

    def _static(self, name):
        path = self.server.static.get(name)  # only files that are there: no '..' escapes
        if path is None:
            return self._error(404, f"Not found: /static/{name}")
        with open(path, "rb") as fh:
            body = fh.read()
        content_type = _TYPES.get(os.path.splitext(name)[1], "application/octet-stream")
        self._send(200, body, content_type, [("Content-Security-Policy", _CSP)])

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except (ConnectionError, TimeoutError):
            self.close_connection = True  # the client went away; nothing to answer


def make_server(model, host="127.0.0.1", port=8000, log_errors=True):
    """A DemoServer bound to (host, port), not yet serving: call `serve_forever()`.

    >>> from numkeras import Sequential, layers
    >>> model = Sequential([layers.Input((28, 28, 1)), layers.Flatten(), layers.Dense(10)])
    >>> server = make_server(model, port=0)  # port 0: any free port
    >>> server.url.startswith("http://127.0.0.1:")
    True
    >>> server.server_close()
    """
    return DemoServer(model, host, port, log_errors=log_errors)


def serve(model, host="127.0.0.1", port=8000, open_browser=False):
    """Serve the demo page for `model` until Ctrl-C."""
    server = make_server(model, host, port)
    print(f"numkeras demo: serving {server.url} (Ctrl-C to stop)", flush=True)
    if open_browser:
        threading.Thread(target=webbrowser.open, args=(server.url,), daemon=True).start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nnumkeras demo: stopped.", flush=True)
    finally:
        server.server_close()
