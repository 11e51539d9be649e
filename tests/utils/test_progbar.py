"""Progbar: Keras 3's exact text, redrawn on terminals, one clean line into files and pipes."""

import io
import re
import sys

import pytest

from numkeras.utils import Progbar

BAR = "━"
ANSI = re.compile(r"\x1b\[[0-9;]*m")


class Pipe(io.StringIO):
    """A file or pipe: `isatty()` is False."""


class Tty(io.StringIO):
    """A terminal."""

    def isatty(self):
        return True


class Clock:
    def __init__(self, now=10.0):
        self.now = now

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(Progbar, "_time", staticmethod(fake))
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    return fake


def use_stream(monkeypatch, stream):
    monkeypatch.setattr(sys, "stdout", stream)
    return stream


# Running means, as fit passes them: one list of logs per step, then the epoch-end logs.
STEP_LOGS = [
    {"accuracy": 0.5, "loss": 1.25},
    {"accuracy": 0.625, "loss": 0.875},
    {"accuracy": 0.75, "loss": 0.5},
    {"accuracy": 0.8857, "loss": 0.3711},
]
EPOCH_LOGS = {"accuracy": 0.8857, "loss": 0.3711, "val_accuracy": 0.977, "val_loss": 0.0863}
STEP_TIMES = [11.0, 11.25, 11.5, 11.75]  # the first step takes 1s, the others 0.25s


def run_epoch(clock, verbose=1, target=4):
    """Drive a bar the way Keras's ProgbarLogger does during one epoch of fit."""
    bar = Progbar(target, verbose=verbose)
    for step, (logs, now) in enumerate(zip(STEP_LOGS, STEP_TIMES), start=1):
        clock.now = now
        bar.update(step, list(logs.items()), finalize=False)
    bar.update(4, list(EPOCH_LOGS.items()), finalize=True)


FINAL_LINE = (
    f"4/4 {BAR * 20} 2s 250ms/step - accuracy: 0.8857 - loss: 0.3711"
    " - val_accuracy: 0.9770 - val_loss: 0.0863"
)


def test_pipe_gets_exactly_one_clean_line(monkeypatch, clock):
    out = use_stream(monkeypatch, Pipe())
    run_epoch(clock)
    text = out.getvalue()
    assert text == FINAL_LINE + "\n"
    assert "\r" not in text and "\b" not in text and "\x1b" not in text


def test_two_epochs_into_a_pipe_give_two_lines(monkeypatch, clock):
    out = use_stream(monkeypatch, Pipe())
    run_epoch(clock)
    clock.now = 10.0
    run_epoch(clock)
    assert out.getvalue() == (FINAL_LINE + "\n") * 2


def test_terminal_redraws_in_place_with_keras_colours(monkeypatch, clock):
    out = use_stream(monkeypatch, Tty())
    run_epoch(clock)
    text = out.getvalue()
    assert "\b" not in text and text.startswith("\r") and text.endswith("\n")
    frames = ANSI.sub("", text).split("\r")[1:]
    assert frames == [
        f"1/4 {BAR * 5}{BAR * 15} 3s 1s/step - accuracy: 0.5000 - loss: 1.2500",
        f"2/4 {BAR * 10}{BAR * 10} 0s 250ms/step - accuracy: 0.6250 - loss: 0.8750",
        f"3/4 {BAR * 15}{BAR * 5} 0s 250ms/step - accuracy: 0.7500 - loss: 0.5000",
        f"4/4 {BAR * 20} 0s 250ms/step - accuracy: 0.8857 - loss: 0.3711",
        FINAL_LINE + "\n",
    ]
    # Keras's styling: bold count and time, green for the done part, white for the rest
    first = text.split("\r")[1]
    assert first.startswith(
        f"\x1b[1m1/4\x1b[0m \x1b[32m{BAR * 5}\x1b[0m\x1b[37m{BAR * 15}\x1b[0m \x1b[1m3s\x1b[0m"
    )


def test_terminal_pads_a_shorter_line_over_the_previous_one(monkeypatch, clock):
    out = use_stream(monkeypatch, Tty())
    bar = Progbar(4)
    clock.now = 11.0
    bar.update(1, [("loss", 0.0001)])
    clock.now = 11.25
    bar.update(2, [("loss", 0.5)])
    first, second = ANSI.sub("", out.getvalue()).split("\r")[1:]
    assert first == f"1/4 {BAR * 5}{BAR * 15} 3s 1s/step - loss: 1.0000e-04"
    assert second == f"2/4 {BAR * 10}{BAR * 10} 0s 250ms/step - loss: 0.5000 "


def test_terminal_skips_redraws_within_interval_but_always_draws_the_last(monkeypatch, clock):
    out = use_stream(monkeypatch, Tty())
    bar = Progbar(3, interval=0.5)
    for step, now in enumerate([11.0, 11.25, 11.5], start=1):
        clock.now = now
        bar.update(step, [("loss", 1.0 / step)])
    frames = ANSI.sub("", out.getvalue()).split("\r")[1:]
    assert [frame[:3] for frame in frames] == ["1/3", "3/3"]


def test_jupyter_counts_as_interactive(monkeypatch, clock):
    monkeypatch.setitem(sys.modules, "ipykernel", object())
    out = use_stream(monkeypatch, Pipe())
    run_epoch(clock)
    assert out.getvalue().count("\r") == 5


def test_verbose_2_prints_one_line_at_the_end(monkeypatch, clock):
    for stream in (Pipe(), Tty()):
        out = use_stream(monkeypatch, stream)
        clock.now = 10.0
        run_epoch(clock, verbose=2)
        assert out.getvalue() == (
            "4/4 - 2s - 250ms/step - accuracy: 0.8857 - loss: 0.3711"
            " - val_accuracy: 0.9770 - val_loss: 0.0863\n"
        )


def test_verbose_0_is_silent(monkeypatch, clock):
    out = use_stream(monkeypatch, Tty())
    run_epoch(clock, verbose=0)
    assert out.getvalue() == ""


def test_keras_tutorial_line(monkeypatch, clock):
    """The line Keras prints for an epoch of the MNIST tutorial (422 steps of ~49ms)."""
    out = use_stream(monkeypatch, Pipe())
    clock.now = 0.0
    bar = Progbar(422)
    for step in range(1, 423):
        clock.now = 0.5 + 0.049 * (step - 1)
        bar.update(step, [("accuracy", 0.8), ("loss", 0.5)], finalize=False)
    bar.update(422, list(EPOCH_LOGS.items()), finalize=True)
    assert out.getvalue() == (
        f"422/422 {BAR * 20} 21s 49ms/step - accuracy: 0.8857 - loss: 0.3711"
        " - val_accuracy: 0.9770 - val_loss: 0.0863\n"
    )


def test_count_is_right_aligned_to_the_target_width(monkeypatch, clock):
    out = use_stream(monkeypatch, Pipe())
    bar = Progbar(422)
    clock.now = 11.0
    bar.update(7, finalize=True)
    assert out.getvalue() == f"  7/422 {BAR * 20} 1s 143ms/step\n"


def test_unknown_target(monkeypatch, clock):
    out = use_stream(monkeypatch, Pipe())
    bar = Progbar(None)
    for step, now in enumerate(STEP_TIMES, start=1):
        clock.now = now
        bar.update(step, [("loss", 0.5)])
    assert out.getvalue() == ""  # never finalized
    bar.update(4, [("loss", 0.25)], finalize=True)
    assert out.getvalue() == "      4/Unknown 2s 250ms/step - loss: 0.2500\n"


@pytest.mark.parametrize(
    "value, text",
    [
        (0.3711, "0.3711"),
        (12.5, "12.5000"),
        (0.0001, "1.0000e-04"),
        (0.0, "0.0000e+00"),
        (-0.5, "-0.5000"),
    ],
)
def test_value_format(monkeypatch, clock, value, text):
    out = use_stream(monkeypatch, Pipe())
    Progbar(1, verbose=2).update(1, [("v", value)])
    assert out.getvalue().endswith(f" - v: {text}\n")


@pytest.mark.parametrize(
    "seconds, text",
    [(0.0, "0s/step"), (0.0005, "500us/step"), (0.049, "49ms/step"), (2.0, "2s/step")],
)
def test_time_per_step_units(monkeypatch, clock, seconds, text):
    out = use_stream(monkeypatch, Pipe())
    bar = Progbar(1, verbose=2)
    clock.now += seconds
    bar.update(1)
    assert out.getvalue().endswith(f" - {text}\n")


@pytest.mark.parametrize("per_step, eta", [(0.5, "49s"), (0.7, "1:09"), (40.0, "1:06:00")])
def test_eta_formats(monkeypatch, clock, per_step, eta):
    out = use_stream(monkeypatch, Tty())
    bar = Progbar(100)
    clock.now += per_step
    bar.update(1)
    assert f" {eta} " in ANSI.sub("", out.getvalue())


def test_stateless_metrics_are_averaged_over_steps(monkeypatch, clock):
    out = use_stream(monkeypatch, Tty())
    bar = Progbar(4, stateless_metrics=["loss"])
    clock.now = 11.0
    bar.update(1, [("loss", 1.0), ("acc", 0.5)])
    clock.now = 11.25
    bar.add(2, [("loss", 0.25), ("acc", 0.75)])  # steps 2-3 weigh twice
    frames = ANSI.sub("", out.getvalue()).split("\r")[1:]
    assert frames[-1].endswith("- loss: 0.5000 - acc: 0.7500")


def test_stateful_and_stateless_must_not_overlap():
    with pytest.raises(ValueError, match="both stateful and stateless"):
        Progbar(3, stateful_metrics=["loss"], stateless_metrics=["loss"])


def test_stream_that_cannot_encode_the_bar_gets_ascii(monkeypatch, clock):
    class AsciiPipe(Pipe):
        encoding = "ascii"

    out = use_stream(monkeypatch, AsciiPipe())
    bar = Progbar(2)
    clock.now = 11.0
    bar.update(2)
    assert out.getvalue() == f"2/2 {'=' * 20} 1s 500ms/step\n"


def test_writes_to_sys_stdout_at_call_time(capsys):
    bar = Progbar(2)  # created before capsys's stream is read
    bar.update(2, [("loss", 0.5)])
    assert capsys.readouterr().out.endswith("- loss: 0.5000\n")


# --- a real narrow terminal ----------------------------------------------------------------------
NARROW_SCRIPT = """
import time
import numpy as np, numkeras
from numkeras import callbacks, layers
numkeras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(240, 4)).astype("float32")
model = numkeras.Sequential([layers.Input((4,)), layers.Dense(3, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
slow = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.06))
model.fit(x, (x[:, 0] > 0).astype("int64"), batch_size=8, epochs=2, validation_split=0.2,
          callbacks=[slow])  # slower steps than the bar's 0.05 s interval: a redraw per step
"""


def render(output, columns):
    """The rows a terminal `columns` wide shows for `output`: carriage return, newline,
    backspace, colour codes, and automatic wrapping at the right margin (as xterm does)."""
    rows, r, c, pending = [[]], 0, 0, False
    text = ANSI.sub("", output)
    for ch in text:
        if ch == "\r":
            c, pending = 0, False
        elif ch == "\n":
            r, pending = r + 1, False
        elif ch == "\b":
            c, pending = max(c - 1, 0), False
        else:
            if pending:
                r, c, pending = r + 1, 0, False
            while len(rows) <= r:
                rows.append([])
            row = rows[r]
            row.extend(" " * (c + 1 - len(row)))
            row[c] = ch
            if c == columns - 1:
                pending = True
            else:
                c += 1
        while len(rows) <= r:
            rows.append([])
    return ["".join(row).rstrip() for row in rows if "".join(row).strip()]


def test_render_wraps_and_redraws():
    assert render("abcdef\rXY\n", 4) == ["abcd", "XY"]  # \r returns only within the last row
    assert render("abc\b\bZ\r\x1b[1mQ\x1b[0m\n", 10) == ["QZc"]


def run_in_pty(script, columns):
    """Run `script` in a new Python whose stdout is a terminal `columns` wide; its output."""
    import fcntl
    import os
    import pty
    import struct
    import subprocess
    import termios

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    import numkeras

    root = os.path.dirname(os.path.dirname(os.path.abspath(numkeras.__file__)))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PYTHONPATH"] = root
    proc = subprocess.Popen(
        [sys.executable, "-c", script],
        stdin=follower,
        stdout=follower,
        stderr=subprocess.PIPE,
        env=env,
        close_fds=True,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    err = proc.communicate(timeout=120)[1]
    assert proc.returncode == 0, err.decode()
    return b"".join(chunks).decode("utf-8")


def test_fit_in_a_60_column_terminal_leaves_no_pile_of_wrapped_lines():
    """Two epochs of 24 steps in a 60-column pty: each epoch shows its title and its finished
    line (wrapped, whole, as it is longer than 60), not one wrapped line per redraw."""
    output = run_in_pty(NARROW_SCRIPT, 60)
    assert output.count("\r") > 10  # it did redraw in place, many times
    rows = render(output, 60)
    assert len(rows) <= 6, rows  # "Epoch k/2" and a final line of two rows, twice
    assert rows[0] == "Epoch 1/2" and rows[0 + len(rows) // 2] == "Epoch 2/2"
    final = "".join(rows[1 : len(rows) // 2])
    assert final.startswith("24/24 " + BAR * 20) and "val_loss: " in final
    assert all(len(row) <= 60 for row in rows)
