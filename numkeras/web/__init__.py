"""`numkeras.web`: the `numkeras demo` page (draw a digit, see what the network sees) and its
JSON API."""

from numkeras.web.server import DemoServer, make_server, serve

__all__ = ["DemoServer", "make_server", "serve"]
