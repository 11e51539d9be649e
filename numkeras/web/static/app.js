// numkeras demo: draw a digit, preprocess it as MNIST's digits were, ask the server, show the
// answer, the probabilities and the feature maps. Plain JavaScript, no build step.
"use strict";

(function () {
  const SIZE = 28;   // the network's input
  const BOX = 20;    // MNIST fits each digit's bounding box into 20x20 ...
  const INK = 0.05;  // ... of the pixels brighter than this
  const TILE_PX = 52;

  const pad = document.getElementById("pad");
  const ctx = pad.getContext("2d", { willReadFrequently: true });
  const input28 = document.getElementById("input28").getContext("2d");
  const digitEl = document.getElementById("digit");
  const confidenceEl = document.getElementById("confidence");
  const barsEl = document.getElementById("bars");
  const mapsEl = document.getElementById("maps");
  const timingEl = document.getElementById("timing");
  const statusEl = document.getElementById("status");
  const uploadEl = document.getElementById("upload");

  // --- the drawing pad ---------------------------------------------------------------------------
  function clearPad() {
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, pad.width, pad.height);
  }

  function padPoint(event) {
    const rect = pad.getBoundingClientRect();  // the pad may be scaled by CSS
    return [(event.clientX - rect.left) * pad.width / rect.width,
            (event.clientY - rect.top) * pad.height / rect.height];
  }

  let last = null;
  pad.addEventListener("pointerdown", (event) => {
    pad.setPointerCapture(event.pointerId);
    last = padPoint(event);
    ctx.fillStyle = "#fff";
    ctx.beginPath();
    ctx.arc(last[0], last[1], ctx.lineWidth / 2, 0, 2 * Math.PI);
    ctx.fill();
    event.preventDefault();
  });
  pad.addEventListener("pointermove", (event) => {
    if (!last) return;
    const point = padPoint(event);
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    ctx.lineTo(point[0], point[1]);
    ctx.stroke();
    last = point;
    predict();  // live while drawing; at most one request in flight
  });
  function endStroke() {
    if (!last) return;
    last = null;
    predict();
  }
  pad.addEventListener("pointerup", endStroke);
  pad.addEventListener("pointercancel", endStroke);

  // --- MNIST preprocessing -----------------------------------------------------------------------
  // For each output pixel of a resize from `from` to `to` pixels: [source pixel, weight] pairs,
  // the share of the source pixel it covers (area averaging, which anti-aliases).
  function areaWeights(from, to) {
    const ratio = from / to;
    const out = [];
    for (let d = 0; d < to; d++) {
      // (d * from) / to, not d * ratio: the last output pixel then ends exactly at `from`,
      // where d * ratio can end a hair past it and read one pixel beyond the row.
      const a = (d * from) / to, b = ((d + 1) * from) / to, list = [];
      for (let s = Math.floor(a); s < Math.min(Math.ceil(b), from); s++) {
        const w = Math.min(b, s + 1) - Math.max(a, s);
        if (w > 0) list.push([s, w / ratio]);
      }
      out.push(list);
    }
    return out;
  }

  // The pad as 28x28 values in 0..1: bounding box scaled to fit 20x20 (keeping its aspect),
  // then placed so its centre of mass is at the centre of the 28x28 field. Null when empty.
  function preprocess() {
    const W = pad.width, H = pad.height;
    const rgba = ctx.getImageData(0, 0, W, H).data;
    const grey = new Float32Array(W * H);
    let x0 = W, y0 = H, x1 = -1, y1 = -1;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const v = rgba[4 * (y * W + x)] / 255;
        grey[y * W + x] = v;
        if (v > INK) {
          if (x < x0) x0 = x;
          if (x > x1) x1 = x;
          if (y < y0) y0 = y;
          if (y > y1) y1 = y;
        }
      }
    }
    if (x1 < 0) return null;
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    const scale = BOX / Math.max(bw, bh);
    const tw = Math.max(1, Math.round(bw * scale)), th = Math.max(1, Math.round(bh * scale));
    const wx = areaWeights(bw, tw), wy = areaWeights(bh, th);
    const rows = new Float32Array(bh * tw);  // resize along x, then along y
    for (let y = 0; y < bh; y++) {
      const base = (y0 + y) * W + x0;
      for (let d = 0; d < tw; d++) {
        let sum = 0;
        for (const [s, w] of wx[d]) sum += grey[base + s] * w;
        rows[y * tw + d] = sum;
      }
    }
    const small = new Float32Array(th * tw);
    let peak = 0;
    for (let d = 0; d < th; d++) {
      for (let x = 0; x < tw; x++) {
        let sum = 0;
        for (const [s, w] of wy[d]) sum += rows[s * tw + x] * w;
        small[d * tw + x] = sum;
        peak = Math.max(peak, sum);
      }
    }
    let mass = 0, cx = 0, cy = 0;
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = small[y * tw + x] / peak;  // full-strength strokes, as in MNIST
        small[y * tw + x] = v;
        mass += v;
        cx += v * (x + 0.5);
        cy += v * (y + 0.5);
      }
    }
    const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
    const ox = clamp(Math.round(SIZE / 2 - cx / mass), 0, SIZE - tw);
    const oy = clamp(Math.round(SIZE / 2 - cy / mass), 0, SIZE - th);
    const image = [];
    for (let y = 0; y < SIZE; y++) image.push(new Array(SIZE).fill(0));
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        image[y + oy][x + ox] = Math.round(small[y * tw + x] * 1000) / 1000;
      }
    }
    return image;
  }

  // --- talking to the server ---------------------------------------------------------------------
  let inFlight = false, again = false, count = 0;

  async function predict() {
    if (inFlight) { again = true; return; }
    const image = preprocess();
    if (!image) { showEmpty(); return; }
    drawInput(image);
    inFlight = true;
    const start = performance.now();
    try {
      const response = await fetch("api/predict", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ image }),
      });
      const result = await response.json();
      if (!response.ok) throw new Error(result.error || response.statusText);
      showResult(result);
      const ms = performance.now() - start;  // request, model, answer and drawing it
      count += 1;
      document.body.dataset.predictions = String(count);
      timingEl.textContent = `round trip ${ms.toFixed(1)} ms`;
      timingEl.dataset.ms = ms.toFixed(2);
      statusEl.textContent = "";
    } catch (error) {
      statusEl.textContent = `Prediction failed: ${error.message}`;
    } finally {
      inFlight = false;
      if (again) { again = false; predict(); }
    }
  }

  // --- showing the answer ------------------------------------------------------------------------
  function drawInput(image) {
    const data = input28.createImageData(SIZE, SIZE);
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const i = 4 * (y * SIZE + x), v = Math.round(image[y][x] * 255);
        data.data[i] = data.data[i + 1] = data.data[i + 2] = v;
        data.data[i + 3] = 255;
      }
    }
    input28.putImageData(data, 0, 0);
  }

  const bars = [];
  for (let d = 0; d < 10; d++) {
    const li = document.createElement("li");
    li.innerHTML = `<span>${d}</span><span class="track"><span class="bar"></span></span>` +
      `<span class="pct">–</span>`;
    barsEl.appendChild(li);
    bars.push({ li, bar: li.querySelector(".bar"), pct: li.querySelector(".pct") });
  }

  function showResult(result) {
    const p = result.probabilities;
    digitEl.textContent = String(result.prediction);
    confidenceEl.textContent = `${(100 * p[result.prediction]).toFixed(1)}% sure`;
    bars.forEach((b, d) => {
      const v = p[d] || 0;
      b.bar.style.width = `${(100 * v).toFixed(1)}%`;
      b.pct.textContent = `${(100 * v).toFixed(1)}%`;
      b.li.classList.toggle("top", d === result.prediction);
    });
    showMaps(result.layers);
  }

  function showEmpty() {
    digitEl.textContent = "?";
    confidenceEl.textContent = "draw something";
    input28.clearRect(0, 0, SIZE, SIZE);
    bars.forEach((b) => {
      b.bar.style.width = "0";
      b.pct.textContent = "–";
      b.li.classList.remove("top");
    });
    mapsEl.replaceChildren();
    timingEl.textContent = "";
  }

  // One block per layer, built once and then redrawn in place.
  function layerBlock(layer, maps) {
    const id = `layer-${layer.name}`;
    let block = document.getElementById(id);
    if (block && block.querySelectorAll("canvas").length === maps.length) return block;
    if (block) block.remove();
    block = document.createElement("div");
    block.className = "layer";
    block.id = id;
    const title = document.createElement("h3");
    const shape = document.createElement("span");
    shape.className = "shape";
    shape.textContent = ` output (${layer.shape.join(", ")}), ${maps.length} maps`;
    title.append(`${layer.name} (${layer.type || "Layer"})`, shape);
    const tiles = document.createElement("div");
    tiles.className = "tiles";
    const h = maps[0].length, w = maps[0][0].length;
    const zoom = Math.max(1, Math.round(TILE_PX / Math.max(h, w)));
    maps.forEach((_, c) => {
      const tile = document.createElement("canvas");
      tile.className = "tile";
      tile.width = w;
      tile.height = h;
      tile.style.width = `${w * zoom}px`;
      tile.style.height = `${h * zoom}px`;
      tile.title = `${layer.name}, channel ${c}`;
      tiles.appendChild(tile);
    });
    block.append(title, tiles);
    mapsEl.appendChild(block);
    return block;
  }

  function showMaps(layers) {
    const keep = new Set(layers.map((layer) => `layer-${layer.name}`));
    for (const block of [...mapsEl.children]) if (!keep.has(block.id)) block.remove();
    for (const layer of layers) {
      if (!layer.maps.length) continue;
      const block = layerBlock(layer, layer.maps);
      mapsEl.appendChild(block);  // keeps the model's order
      block.querySelectorAll("canvas").forEach((tile, c) => {
        const map = layer.maps[c], g = tile.getContext("2d");
        const data = g.createImageData(tile.width, tile.height);
        for (let y = 0; y < tile.height; y++) {
          for (let x = 0; x < tile.width; x++) {
            const i = 4 * (y * tile.width + x);
            data.data[i] = data.data[i + 1] = data.data[i + 2] = map[y][x];
            data.data[i + 3] = 255;
          }
        }
        g.putImageData(data, 0, 0);
      });
    }
  }

  // --- the model summary -------------------------------------------------------------------------
  const fmtShape = (s) => (s ? `(${s.map((d) => (d === null ? "None" : d)).join(", ")})` : "?");

  async function loadSummary() {
    try {
      const response = await fetch("api/model");
      const summary = await response.json();
      if (!response.ok) throw new Error(summary.error || response.statusText);
      document.getElementById("model-name").textContent =
        `${summary.name} (${summary.type}), ${summary.total_params.toLocaleString("en")} parameters`;
      const body = document.querySelector("#summary tbody");
      body.replaceChildren();
      for (const layer of summary.layers) {
        const row = body.insertRow();
        row.insertCell().textContent = `${layer.name} (${layer.type})`;
        row.insertCell().textContent = fmtShape(layer.output_shape);
        const params = row.insertCell();
        params.textContent = layer.params.toLocaleString("en");
        params.className = "num";
      }
      document.getElementById("totals").textContent =
        `Total params: ${summary.total_params.toLocaleString("en")} · Trainable: ` +
        `${summary.trainable_params.toLocaleString("en")} · Non-trainable: ` +
        `${summary.non_trainable_params.toLocaleString("en")}`;
    } catch (error) {
      statusEl.textContent = `Could not load the model summary: ${error.message}`;
    }
  }

  // --- uploads -----------------------------------------------------------------------------------
  // The picture goes onto the pad as white ink on black, whatever it was (dark ink on paper,
  // a transparent PNG, a photo), so it can be drawn over and is preprocessed like a drawing.
  function drawUpload(img) {
    const W = pad.width, H = pad.height;
    const s = Math.min(W / img.naturalWidth, H / img.naturalHeight);
    const dw = Math.max(1, Math.round(img.naturalWidth * s));
    const dh = Math.max(1, Math.round(img.naturalHeight * s));
    const off = document.createElement("canvas");
    off.width = dw;
    off.height = dh;
    const o = off.getContext("2d", { willReadFrequently: true });
    o.drawImage(img, 0, 0, dw, dh);
    const px = o.getImageData(0, 0, dw, dh).data;
    const n = dw * dh, lum = new Float32Array(n);
    let opaque = 0, opaqueLum = 0;
    for (let i = 0; i < n; i++) {
      const a = px[4 * i + 3] / 255;
      const l = (0.299 * px[4 * i] + 0.587 * px[4 * i + 1] + 0.114 * px[4 * i + 2]) / 255;
      opaque += a;
      opaqueLum += a * l;
      lum[i] = l;
    }
    // Transparent parts take the colour opposite to the drawn parts' average.
    const backdrop = opaque > 0 && opaqueLum / opaque > 0.5 ? 0 : 1;
    for (let i = 0; i < n; i++) {
      const a = px[4 * i + 3] / 255;
      lum[i] = a * lum[i] + (1 - a) * backdrop;
    }
    let edge = 0, edgeCount = 0;  // the border is background: light border, dark ink
    for (let x = 0; x < dw; x++) { edge += lum[x] + lum[(dh - 1) * dw + x]; edgeCount += 2; }
    for (let y = 0; y < dh; y++) { edge += lum[y * dw] + lum[y * dw + dw - 1]; edgeCount += 2; }
    const invert = edge / edgeCount > 0.5;
    const sorted = Float32Array.from(lum, (l) => (invert ? 1 - l : l)).sort();
    const background = sorted[Math.floor(n / 2)], top = sorted[n - 1];
    const span = Math.max(top - background, 1e-6);
    const out = o.createImageData(dw, dh);
    for (let i = 0; i < n; i++) {
      const ink = (invert ? 1 - lum[i] : lum[i]) - background;
      const v = ink / span < 0.15 ? 0 : Math.round(255 * Math.min(1, ink / span));
      out.data[4 * i] = out.data[4 * i + 1] = out.data[4 * i + 2] = v;
      out.data[4 * i + 3] = 255;
    }
    clearPad();
    ctx.putImageData(out, Math.floor((W - dw) / 2), Math.floor((H - dh) / 2));
  }

  document.getElementById("upload-button").addEventListener("click", () => uploadEl.click());
  uploadEl.addEventListener("change", () => {
    const file = uploadEl.files[0];
    uploadEl.value = "";
    if (!file) return;
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => {
      URL.revokeObjectURL(url);
      drawUpload(img);
      predict();
    };
    img.onerror = () => {
      URL.revokeObjectURL(url);
      statusEl.textContent = `Could not read ${file.name} as an image.`;
    };
    img.src = url;
  });

  document.getElementById("clear").addEventListener("click", () => {
    clearPad();
    showEmpty();
  });

  ctx.lineWidth = 18;  // about 2 pixels of 28 once a full-height digit is scaled to 20
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.strokeStyle = "#fff";
  clearPad();
  loadSummary();
  document.body.dataset.ready = "true";
})();
