"""Where numkeras's messages go: stdout (interactive logging, the default) or the
`numkeras` Python logger, switched as Keras's `keras.config.*_interactive_logging`."""

import logging
import sys

_state = {"interactive": True}
logger = logging.getLogger("numkeras")


def enable_interactive_logging():
    """Progress bars and messages print to stdout (the default)."""
    _state["interactive"] = True


def disable_interactive_logging():
    """Messages go to the `numkeras` logger (at INFO) and progress bars print only their
    final line, as Keras sends them to absl logging."""
    _state["interactive"] = False


def is_interactive_logging_enabled():
    return _state["interactive"]


def print_msg(message, line_break=True):
    """Print `message` to stdout, or log it when interactive logging is off."""
    if is_interactive_logging_enabled():
        sys.stdout.write(f"{message}\n" if line_break else str(message))
        sys.stdout.flush()
    else:
        logger.info(str(message))


class LogStream:
    """A text stream that logs each completed line (what a Progbar writes when interactive
    logging is off)."""

    def __init__(self):
        self._pending = ""

    def write(self, text):
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            if line.strip():
                logger.info(line.lstrip("\r"))

    def flush(self):
        pass

    def isatty(self):
        return False
