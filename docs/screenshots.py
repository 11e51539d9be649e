"""Make docs/demo.png, docs/history.png and docs/model.png (the README's pictures).

Run from the repository root: `python docs/screenshots.py` (needs matplotlib, pillow,
playwright and Chromium at /usr/bin/chromium). Trains the tutorial CNN on 12,000 digits for
2 epochs, draws a 7 on the demo page in headless Chromium, and saves palette PNGs.
"""

import tempfile
import threading

import numpy as np
from PIL import Image
from playwright.sync_api import sync_playwright

from numkeras import cli
from numkeras.datasets import mnist
from numkeras.utils import plot_history, plot_model, set_random_seed, to_categorical
from numkeras.web import make_server


def small_png(path):
    """Rewrite `path` with a 64-colour palette: a few tens of KB instead of hundreds."""
    Image.open(path).convert("RGB").quantize(64).save(path, optimize=True)


set_random_seed(0)
(x, y), _ = mnist.load_data()
model = cli.build_tutorial_model()
model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
history = model.fit(
    np.expand_dims(x[:12000] / 255, 3).astype("float32"),
    to_categorical(y[:12000]),
    batch_size=128,
    epochs=2,
    validation_split=0.1,
)
plot_history(history, "docs/history.png")
plot_model(model, "docs/model.png", show_shapes=True, show_layer_names=True, dpi=70)

server = make_server(model, port=0)
threading.Thread(target=server.serve_forever, daemon=True).start()
args = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
with sync_playwright() as p:
    browser = p.chromium.launch_persistent_context(
        tempfile.mkdtemp(),
        executable_path="/usr/bin/chromium",
        args=args,
        viewport={"width": 1000, "height": 560},
    )
    page = browser.pages[0]
    page.goto(server.url)
    page.wait_for_selector("#summary tbody tr")
    box = page.locator("#pad").bounding_box()
    at = lambda u, v: (box["x"] + u * box["width"], box["y"] + v * box["height"])  # noqa: E731
    page.mouse.move(*at(0.25, 0.2))
    page.mouse.down()
    for point in (at(0.75, 0.2), at(0.45, 0.85)):  # a 7
        page.mouse.move(*point, steps=15)
    page.mouse.up()
    page.wait_for_timeout(1000)
    page.screenshot(path="docs/demo.png")
    browser.close()
server.shutdown()
for name in ("demo", "history", "model"):
    small_png(f"docs/{name}.png")
