"""RemoteMonitor: POST each epoch's logs to a server, with the standard library's urllib."""

import json
import warnings

import numpy as np

from numkeras.callbacks.callback import Callback


class RemoteMonitor(Callback):
    """At each epoch's end, POST `{"epoch": epoch, **logs}` to `root + path`: as the form field
    `field` holding JSON text, or (`send_as_json=True`) as a JSON body. An unreachable server
    gives a warning, and training goes on.

    Args:
        root: the server's root URL.
        path: the path posted to.
        field: the form field holding the JSON text.
        headers: optional dict of extra HTTP headers.
        send_as_json: post `application/json` instead of a form.
    """

    def __init__(
        self,
        root="http://localhost:9000",
        path="/publish/epoch/end/",
        field="data",
        headers=None,
        send_as_json=False,
    ):
        super().__init__()
        self.root, self.path, self.field = root, path, field
        self.headers, self.send_as_json = headers, send_as_json

    def on_epoch_end(self, epoch, logs=None):
        import urllib.request  # here, not at import: it loads ssl and http (~15 ms)

        send = {"epoch": epoch}
        for key, value in (logs or {}).items():
            send[key] = value.item() if isinstance(value, (np.ndarray, np.generic)) else value
        if self.send_as_json:
            body, kind = json.dumps(send).encode("utf-8"), "application/json"
        else:
            body = urllib.parse.urlencode({self.field: json.dumps(send)}).encode("utf-8")
            kind = "application/x-www-form-urlencoded"
        request = urllib.request.Request(
            self.root + self.path,
            data=body,
            method="POST",
            headers={"Content-Type": kind, **(self.headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
        except OSError:  # URLError is an OSError
            warnings.warn(f"Could not reach RemoteMonitor root server at {self.root}", stacklevel=2)
