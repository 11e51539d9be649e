"""The Keras 3 progress bar: `422/422 ━━━━━━━━━━━━━━━━━━━━ 21s 49ms/step - loss: 0.3711`.

The text matches Keras 3. How it is drawn differs on purpose: the bar redraws itself in place
(`\\r`, with Keras's ANSI colours) only on a terminal or in Jupyter. Into a file or a pipe it
writes one plain line when the bar finishes, with no carriage returns, backspaces or escape
codes, so logs stay readable. (Keras also redraws into files on Linux and macOS.) On a terminal
narrower than the line, the bar's redraws are cut to the terminal's width, since a `\\r` only
returns to the start of the last wrapped row (Keras's backspaces do not go further back either,
and leave a wrapped line per redraw); the finished line is written whole.
"""

import io
import math
import os
import sys
import time

import numpy as np

from numkeras.backend import io_utils

__all__ = ["Progbar"]

_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def _is_interactive(stream):
    """True when `\\r` redraws render: a terminal, or a Jupyter kernel."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) or "ipykernel" in sys.modules


def _columns(stream):
    """The terminal's width in characters, or None when `stream` is not a terminal's file."""
    try:
        return os.get_terminal_size(stream.fileno()).columns or None
    except (AttributeError, ValueError, OSError, io.UnsupportedOperation):
        return None


def _bar_char(stream):
    """Keras's '━', or '=' on a stream whose encoding cannot write it (e.g. cp1252)."""
    try:
        "━".encode(getattr(stream, "encoding", None) or "utf-8")
    except (LookupError, UnicodeEncodeError):
        return "="
    return "━"


def _format_value(value):
    return f" {value:.4f}" if abs(value) > 1e-3 else f" {value:.4e}"


def _format_eta(eta):
    hours, minutes, seconds = int(eta // 3600), int(eta % 3600 // 60), int(eta % 60)
    if eta > 3600:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    if eta > 60:
        return f"{int(eta // 60)}:{seconds:02d}"
    return f"{int(eta)}s"


def _format_time(time_per_unit, unit_name):
    if time_per_unit >= 1 or time_per_unit == 0:
        return f" {time_per_unit:.0f}s/{unit_name}"
    if time_per_unit >= 1e-3:
        return f" {time_per_unit * 1e3:.0f}ms/{unit_name}"
    return f" {time_per_unit * 1e6:.0f}us/{unit_name}"


class Progbar:
    """Displays a progress bar.

    Values are shown as given (the training loop passes running means, as Keras's
    `ProgbarLogger` does), except names listed in `stateless_metrics`, which the bar averages
    over steps itself.

    Args:
        target: total number of steps expected, or None if unknown.
        width: progress bar width in characters.
        verbose: 0 (silent), 1 or "auto" (a bar, redrawn on terminals), 2 (one line when
            finished).
        interval: minimum time in seconds between two redraws on a terminal.
        stateful_metrics: names displayed as given (the default for every name; accepted
            for compatibility with Keras).
        stateless_metrics: names averaged by the bar over the steps seen so far.
        unit_name: display name for a step, usually "step" or "sample".

    >>> bar = Progbar(3)  # into a pipe (as here) it prints one line when done
    >>> for step in (1, 2, 3):
    ...     bar.update(step, [("loss", 0.5 / step)])
    3/3 ━━━━━━━━━━━━━━━━━━━━ 0s ...s/step - loss: 0.1667
    """

    # The clock; tests replace it (on the class, or on an instance before its first update).
    _time = staticmethod(time.time)

    def __init__(
        self,
        target,
        width=20,
        verbose=1,
        interval=0.05,
        stateful_metrics=None,
        stateless_metrics=None,
        unit_name="step",
    ):
        self.target = target
        self.width = width
        self.verbose = 1 if verbose == "auto" else verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stateful_metrics = set(stateful_metrics or ())
        self.stateless_metrics = set(stateless_metrics or ())
        both = self.stateful_metrics & self.stateless_metrics
        if both:
            raise ValueError(
                f"A metric cannot be both stateful and stateless. Received both for: {both}"
            )
        self._values = {}  # name -> [sum of values, count]; insertion order is display order
        self._seen_so_far = 0
        self._start = self._time()
        self._last_update = None
        self._time_after_first_step = None
        self._prev_width = 0

    def update(self, current, values=None, finalize=None):
        """Update the bar to step `current`.

        Args:
            current: index of the current step (1-based).
            values: list of `(name, value)` pairs to display after the bar.
            finalize: whether this is the last update; defaults to `current >= target`.
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for name, value in values or ():
            if not isinstance(value, float):  # the fit loop's logs are floats already
                value = float(np.mean(np.asarray(value, dtype=np.float64)))
            if name in self.stateless_metrics and not finalize:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, (0.0, 0))
                self._values[name] = [total + value * steps, count + steps]
            else:
                self._values[name] = [value, 1]
        self._seen_so_far = current

        now = self._time()
        time_per_unit = self._estimate_step_duration(current, now)
        stream = sys.stdout if io_utils.is_interactive_logging_enabled() else io_utils.LogStream()
        if self.verbose == 1:
            if not _is_interactive(stream):
                if finalize:
                    stream.write(self._bar_line(current, now, time_per_unit, True, stream)[0])
                    stream.write("\n")
                    stream.flush()
            elif finalize or self._last_update is None or now - self._last_update >= self.interval:
                columns = None if finalize else _columns(stream)
                limit = columns - 1 if columns else None  # the last column would wrap at once
                line, width = self._bar_line(
                    current, now, time_per_unit, finalize, stream, True, limit
                )
                padding = " " * max(self._prev_width - width, 0)
                stream.write("\r" + line + padding + ("\n" if finalize else ""))
                stream.flush()
                self._prev_width = width
                self._last_update = now
        elif self.verbose == 2 and finalize:
            line = f"{self._count(current)} - {now - self._start:.0f}s -"
            line += _format_time(time_per_unit, self.unit_name) + self._metrics_text()
            stream.write(line + "\n")
            stream.flush()

    def add(self, n, values=None):
        """Advance the bar by `n` steps."""
        self.update(self._seen_so_far + n, values)

    def _count(self, current):
        if not self.target:
            return f"{int(current):7d}/Unknown"
        digits = int(math.log10(self.target)) + 1
        return f"{int(current):{digits}d}/{int(self.target)}"

    def _metrics_text(self):
        return "".join(
            f" - {name}:{_format_value(total / max(1, count))}"
            for name, (total, count) in self._values.items()
        )

    def _bar_line(self, current, now, time_per_unit, finalize, stream, styled=False, limit=None):
        """The bar's text and its visible width (the text less any ANSI codes), cut to `limit`
        visible characters when given."""
        segments = [(self._count(current), _BOLD)]
        if self.target:
            done = min(int(self.width * current / self.target), self.width)
            char = _bar_char(stream)
            segments += [(" ", ""), (char * done, _GREEN), (char * (self.width - done), _WHITE)]
        if self.target and not finalize:
            clock = _format_eta(time_per_unit * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        segments += [(" ", ""), (clock, _BOLD)]
        segments.append((_format_time(time_per_unit, self.unit_name) + self._metrics_text(), ""))
        if limit is not None:
            kept, room = [], max(limit, 1)
            for text, style in segments:
                kept.append((text[:room], style))
                room -= len(kept[-1][0])
            segments = kept
        if styled:
            text = "".join(f"{style}{s}{_RESET}" if style and s else s for s, style in segments)
        else:
            text = "".join(s for s, _ in segments)
        return text, sum(len(s) for s, _ in segments)

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the first step (compilation, warm-up) once possible."""
        if not current:
            return 0
        if self._time_after_first_step is not None and current > 1:
            time_per_unit = (now - self._time_after_first_step) / (current - 1)
        else:
            time_per_unit = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return time_per_unit
