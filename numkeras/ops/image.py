"""`numkeras.ops.image`: Keras's image ops on a NumPy engine. Colour conversions, crops and
pads, resizing by separable weight matrices, patches, blurs and edges, coordinate mapping and
SSIM; built from differentiable ops, so gradients reach the pixels."""

import numpy as np

from numkeras.backend.config import floatx, image_data_format
from numkeras.engine import math_ops as m
from numkeras.engine.shape_ops import (
    concatenate,
    expand_dims,
    moveaxis,
    pad,
    reshape,
    squeeze,
    stack,
    take,
)
from numkeras.engine.tensor import Tensor, as_tensor
from numkeras.ops.convolution import conv
from numkeras.ops.elementwise import _floating
from numkeras.ops.products import einsum

RESIZE_INTERPOLATIONS = ("bilinear", "nearest", "lanczos3", "lanczos5", "bicubic")
AFFINE_INTERPOLATIONS = {"nearest": 0, "bilinear": 1}
FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")


def _batched(name, images, data_format):
    """Images as a float NHWC batch, and a function restoring the caller's rank and layout."""
    x = as_tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError(
            "Invalid images rank: expected rank 3 (single image) or rank 4 (batch "
            f"of images). Received input with shape: images.shape={x.shape}"
        )
    first = (data_format or image_data_format()) == "channels_first"
    single = x.ndim == 3
    if single:
        x = expand_dims(x, 0)
    if first:
        x = moveaxis(x, 1, -1)

    def restore(y):
        if first:
            y = moveaxis(y, -1, 1)
        return squeeze(y, 0) if single else y

    return x, restore


def _channels(name, x, allowed):
    if x.shape[-1] not in allowed:
        raise ValueError(
            f"Invalid channel size: expected {' or '.join(map(str, allowed))}. "
            f"Received input with shape: images.shape={x.shape}"
        )


def rgb_to_grayscale(images, data_format=None):
    """Luma 0.2989 R + 0.5870 G + 0.1140 B, keeping a channel axis of 1."""
    x, restore = _batched("rgb_to_grayscale", images, data_format)
    _channels("rgb_to_grayscale", x, (1, 3))
    if x.shape[-1] == 1:
        return restore(x)
    dtype = x.data.dtype
    weights = np.array([0.2989, 0.5870, 0.1140], dtype if dtype.kind == "f" else floatx())
    y = m.sum(m.multiply(_floating(x), weights), axis=-1, keepdims=True)
    return restore(m.cast(y, dtype) if dtype.kind != "f" else y)


def _float_images(name, images, data_format):
    x, restore = _batched(name, images, data_format)
    if x.data.dtype.kind != "f":
        raise ValueError(
            f"Invalid images dtype: expected float dtype. Received: images.dtype={x.dtype}"
        )
    _channels(name, x, (3,))
    return x, restore


def rgb_to_hsv(images, data_format=None):
    """RGB in [0, 1] to hue, saturation, value (hue in [0, 1))."""
    x, restore = _float_images("rgb_to_hsv", images, data_format)
    eps = np.finfo(x.data.dtype).eps
    x = m.where(np.abs(x.data) < eps, Tensor(np.zeros((), x.data.dtype)), x)
    r, g, b = (x[..., i] for i in range(3))
    value = m.maximum(m.maximum(r, g), b)
    spread = m.subtract(value, m.minimum(m.minimum(r, g), b))
    zero = Tensor(np.zeros((), x.data.dtype))
    safe_value = m.where(value.data > 0, value, 1.0)
    safe_spread = m.where(spread.data > 0, spread, 1.0)
    saturation = m.where(value.data > 0, m.divide(spread, safe_value), zero)
    norm = m.divide(1.0, m.multiply(safe_spread, 6.0))
    hue = m.where(
        value.data == g.data,
        m.add(m.multiply(norm, b - r), 2.0 / 6.0),
        m.add(m.multiply(norm, r - g), 4.0 / 6.0),
    )
    hue = m.where(value.data == r.data, m.multiply(norm, g - b), hue)
    hue = m.add(m.where(spread.data > 0, hue, zero), (hue.data < 0).astype(hue.data.dtype))
    return restore(stack([hue, saturation, value], axis=-1))


def hsv_to_rgb(images, data_format=None):
    """Hue, saturation, value back to RGB."""
    x, restore = _float_images("hsv_to_rgb", images, data_format)
    h, s, v = (x[..., i] for i in range(3))
    dh = m.multiply(m.subtract(h, np.floor(h.data)), 6.0)  # mod 1, with gradient 1
    dr = m.clip(m.subtract(m.abs(m.subtract(dh, 3.0)), 1.0), 0.0, 1.0)
    dg = m.clip(m.subtract(2.0, m.abs(m.subtract(dh, 2.0))), 0.0, 1.0)
    db = m.clip(m.subtract(2.0, m.abs(m.subtract(dh, 4.0))), 0.0, 1.0)
    rest = m.subtract(1.0, s)
    planes = [m.multiply(v, m.add(rest, m.multiply(s, d))) for d in (dr, dg, db)]
    return restore(stack(planes, axis=-1))


def _sides(name, first, second, target, size):
    given = [v is not None for v in (first, second, target)]
    if sum(given) != 2:
        raise ValueError(
            f"{name}: exactly two of the leading, trailing and target arguments "
            f"must be set along each axis, got {first}, {second} and {target}."
        )
    if first is None:
        first = size - target - second if "crop" in name else target - second - size
    if second is None:
        second = size - target - first if "crop" in name else target - first - size
    if first < 0 or second < 0:
        raise ValueError(
            f"{name}: the amounts must be non-negative, got {first} and {second} "
            f"for size {size} and target {target}."
        )
    return int(first), int(second)


def pad_images(
    images,
    top_padding=None,
    left_padding=None,
    bottom_padding=None,
    right_padding=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Zero-pad images to a size: two of (top, bottom, target_height), likewise for width."""
    x, restore = _batched("pad_images", images, data_format)
    top, bottom = _sides("pad_images", top_padding, bottom_padding, target_height, x.shape[1])
    left, right = _sides("pad_images", left_padding, right_padding, target_width, x.shape[2])
    return restore(pad(x, [(0, 0), (top, bottom), (left, right), (0, 0)]))


def crop_images(
    images,
    top_cropping=None,
    left_cropping=None,
    bottom_cropping=None,
    right_cropping=None,
    target_height=None,
    target_width=None,
    data_format=None,
):
    """Crop images: two of (top, bottom, target_height), likewise for width."""
    x, restore = _batched("crop_images", images, data_format)
    h, w = x.shape[1:3]
    top, bottom = _sides("crop_images", top_cropping, bottom_cropping, target_height, h)
    left, right = _sides("crop_images", left_cropping, right_cropping, target_width, w)
    return restore(x[:, top : h - bottom, left : w - right, :])


def _kernel(method):
    if method == "bilinear":
        return lambda d: np.maximum(0.0, 1.0 - d)
    if method == "bicubic":  # Keys cubic with a = -0.5, as JAX and TF
        return lambda d: np.where(
            d < 1,
            ((1.5 * d - 2.5) * d) * d + 1,
            np.where(d < 2, ((-0.5 * d + 2.5) * d - 4) * d + 2, 0.0),
        )
    radius = 3 if method == "lanczos3" else 5

    def lanczos(d):
        safe = np.where(d == 0, 1, d)
        out = radius * np.sin(np.pi * safe) * np.sin(np.pi * safe / radius) / (np.pi * safe) ** 2
        return np.where(d == 0, 1.0, np.where(d < radius, out, 0.0))

    return lanczos


def _weights(in_size, out_size, method, antialias, scale=None, translation=0.0):
    """(out, in) interpolation weights at half-pixel centres, rows normalized; output pixel i
    samples input position ((i + 0.5) - translation) / scale - 0.5."""
    inv_scale = in_size / out_size if scale is None else 1.0 / scale
    width = max(inv_scale, 1.0) if antialias else 1.0
    sample = (np.arange(out_size) + 0.5 - translation) * inv_scale - 0.5
    distance = np.abs(sample[:, None] - np.arange(in_size)[None, :]) / width
    w = _kernel(method)(distance)
    total = w.sum(1, keepdims=True)
    w = np.where(
        np.abs(total) > 1000 * np.finfo(np.float32).eps, w / np.where(total != 0, total, 1), 0
    )
    inside = (sample >= -0.5) & (sample <= in_size - 0.5)
    return np.where(inside[:, None], w, 0)


def resize(
    images,
    size,
    interpolation="bilinear",
    antialias=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    fill_mode="constant",
    fill_value=0.0,
    data_format=None,
):
    """Resize to `size` (height, width), optionally cropping or padding to its aspect first."""
    if interpolation not in RESIZE_INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{RESIZE_INTERPOLATIONS}. Received: interpolation={interpolation}"
        )
    if fill_mode != "constant":
        raise ValueError(
            "Invalid value for argument `fill_mode`. Only `'constant'` is "
            f"supported. Received: fill_mode={fill_mode}"
        )
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError(
            "Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`."
        )
    if len(size) != 2:
        raise ValueError(f"Expected `size` to be a tuple of 2 integers. Received: size={size}")
    x, restore = _batched("resize", images, data_format)
    th, tw = (int(s) for s in size)
    h, w = x.shape[1:3]
    if crop_to_aspect_ratio:
        ch = max(min(h, int(float(w * th) / tw)), 1)
        cw = max(min(w, int(float(h * tw) / th)), 1)
        top, left = int(float(h - ch) / 2), int(float(w - cw) / 2)
        x = x[:, top : top + ch, left : left + cw, :]
    elif pad_to_aspect_ratio:
        ph, pw = max(h, int(float(w * th) / tw)), max(w, int(float(h * tw) / th))
        top, left = int(float(ph - h) / 2), int(float(pw - w) / 2)
        border = Tensor(np.asarray(fill_value, x.data.dtype))
        if top > 0:
            band = m.multiply(
                Tensor(np.ones((x.shape[0], top, w, x.shape[3]), x.data.dtype)), border
            )
            x = concatenate([band, x, band], axis=1)
        elif left > 0:
            band = m.multiply(
                Tensor(np.ones((x.shape[0], h, left, x.shape[3]), x.data.dtype)), border
            )
            x = concatenate([band, x, band], axis=2)
    h, w = x.shape[1:3]
    if interpolation == "nearest":
        rows = np.floor((np.arange(th) + 0.5) * h / th).astype(np.intp)
        cols = np.floor((np.arange(tw) + 0.5) * w / tw).astype(np.intp)
        return restore(take(take(x, rows, axis=1), cols, axis=2))
    source = x if x.data.dtype.kind == "f" else m.cast(x, floatx())
    dtype = source.data.dtype
    wh = _weights(h, th, interpolation, antialias).astype(dtype)
    ww = _weights(w, tw, interpolation, antialias).astype(dtype)
    y = einsum("bhwc,Hh,Ww->bHWc", source, wh, ww)
    if x.data.dtype.kind != "f":
        y = m.cast(m.round(y) if x.data.dtype.kind in "iu" else y, x.data.dtype)
    return restore(y)


def extract_patches(images, size, strides=None, dilation_rate=1, padding="valid", data_format=None):
    """Patches of size (ph, pw) as channels: (..., rows, cols, ph * pw * channels)."""
    x, restore = _batched("extract_patches", images, data_format)
    ph, pw = (size, size) if isinstance(size, int) else tuple(size)
    strides = (ph, pw) if strides is None else strides
    channels = x.shape[-1]
    eye = np.eye(ph * pw * channels, dtype=x.data.dtype if x.data.dtype.kind == "f" else floatx())
    kernel = eye.reshape(ph, pw, channels, ph * pw * channels)
    source = x if x.data.dtype.kind == "f" else m.cast(x, floatx())
    y = conv(source, kernel, strides, padding, "channels_last", dilation_rate)
    return restore(y)


def extract_patches_3d(
    volumes, size, strides=None, dilation_rate=1, padding="valid", data_format=None
):
    """3-D patches (pd, ph, pw) of (batch, depth, height, width, channels) volumes."""
    x = as_tensor(volumes)
    if x.ndim not in (4, 5):
        raise ValueError(
            "Invalid volumes rank: expected rank 4 (single volume) or rank 5 "
            f"(batch of volumes). Received input with shape: {x.shape}"
        )
    single = x.ndim == 4
    if single:
        x = expand_dims(x, 0)
    first = (data_format or image_data_format()) == "channels_first"
    if first:
        x = moveaxis(x, 1, -1)
    pd, ph, pw = (size,) * 3 if isinstance(size, int) else tuple(size)
    sd, sh, sw = (
        (pd, ph, pw)
        if strides is None
        else ((strides,) * 3 if isinstance(strides, int) else tuple(strides))
    )
    if padding == "same":
        pads = []
        for n, k, s in zip(x.shape[1:4], (pd, ph, pw), (sd, sh, sw)):
            total = max((-(-n // s) - 1) * s + k - n, 0)
            pads.append((total // 2, total - total // 2))
        x = pad(x, [(0, 0)] + pads + [(0, 0)])
    dd = dilation_rate if isinstance(dilation_rate, int) else dilation_rate[0]
    depth_out = (x.shape[1] - dd * (pd - 1) - 1) // sd + 1
    slabs = []
    for i in range(depth_out):
        parts = [x[:, i * sd + j * dd] for j in range(pd)]
        slab = stack(parts, axis=3)  # (B, H, W, pd, C)
        slab = reshape(slab, slab.shape[:3] + (-1,))
        slabs.append(
            extract_patches(
                slab,
                (ph, pw),
                (sh, sw),
                dilation_rate if isinstance(dilation_rate, int) else dilation_rate[1:],
                "valid",
                "channels_last",
            )
        )
    y = stack(slabs, axis=1)  # (B, D', H', W', pd * ph * pw * C) in (ph, pw, pd, c) order
    b, d2, h2, w2 = y.shape[:4]
    y = reshape(y, (b, d2, h2, w2, ph, pw, pd, x.shape[-1]))
    from numkeras.engine.shape_ops import transpose

    y = reshape(transpose(y, (0, 1, 2, 3, 6, 4, 5, 7)), (b, d2, h2, w2, -1))
    if first:
        y = moveaxis(y, -1, 1)
    return squeeze(y, 0) if single else y


def _gaussian_1d(size, sigma, dtype):
    x = np.arange(size, dtype=dtype) - (size - 1) / 2
    kernel = np.exp(-0.5 * (x / sigma) ** 2)
    return kernel / kernel.sum()


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Depthwise Gaussian blur with zero padding ("same" output size)."""
    x, restore = _batched("gaussian_blur", images, data_format)
    source = x if x.data.dtype.kind == "f" else m.cast(x, floatx())
    dtype = source.data.dtype
    kx, ky = (int(k) for k in np.atleast_1d(kernel_size)[:2])
    sx, sy = (float(s) for s in np.broadcast_to(np.asarray(sigma, float), (2,)))
    kernel = np.outer(_gaussian_1d(ky, sy, dtype), _gaussian_1d(kx, sx, dtype))
    channels = x.shape[-1]
    depthwise = np.tile(kernel[:, :, None, None], (1, 1, 1, channels)).astype(dtype)
    top, left = (ky - 1) // 2, (kx - 1) // 2
    padded = pad(source, [(0, 0), (top, ky - 1 - top), (left, kx - 1 - left), (0, 0)])
    # a grouped convolution: kernel (kh, kw, 1, channels) applies one filter per channel
    y = conv(padded, Tensor(depthwise), 1, "valid", "channels_last")
    return restore(m.cast(y, x.data.dtype) if x.data.dtype != dtype else y)


def sobel_edges(images, data_format=None):
    """Vertical and horizontal Sobel responses, (..., channels, 2), reflect-padded as scipy."""
    x, restore = _batched("sobel_edges", images, data_format)
    dtype = x.data.dtype if x.data.dtype.kind == "f" else floatx()
    source = m.cast(x, dtype) if x.data.dtype != dtype else x
    channels = x.shape[-1]
    smooth, diff = np.array([1.0, 2.0, 1.0]), np.array([-1.0, 0.0, 1.0])
    outputs = []
    for kernel in (np.outer(diff, smooth), np.outer(smooth, diff)):  # d/dy, d/dx
        # scipy.ndimage.sobel pads by reflection ("reflect" = repeat the edge sample)
        padded = _reflect_pad(source)
        k = np.tile(kernel[:, :, None, None], (1, 1, 1, channels)).astype(dtype)
        outputs.append(conv(padded, Tensor(k), 1, "valid", "channels_last"))
    y = stack(outputs, axis=-1)
    first = (data_format or image_data_format()) == "channels_first"
    if first:
        y = moveaxis(y, 3, 1)
    return squeeze(y, 0) if as_tensor(images).ndim == 3 else y


def _reflect_pad(x):
    from numkeras.ops.rearranging import moved

    return moved(
        "sobel_edges", x, lambda p: np.pad(p, [(0, 0), (1, 1), (1, 1), (0, 0)], mode="symmetric")
    )


def _remap(index, size, mode):
    """Integer indices mapped into [0, size) by a fill mode; also a validity mask."""
    if mode == "constant":
        return np.clip(index, 0, size - 1), (index >= 0) & (index < size)
    if mode == "nearest":
        return np.clip(index, 0, size - 1), None
    if mode == "wrap":
        return np.mod(index, size), None
    if mode == "reflect":  # half-sample symmetric: ... 1 0 | 0 1 2 | 2 1 ...
        period = 2 * size
        r = np.mod(index, period)
        return np.where(r >= size, period - 1 - r, r), None
    if size == 1:  # mirror, whole-sample symmetric: ... 2 1 | 0 1 2 | 1 0 ...
        return np.zeros_like(index), None
    period = 2 * size - 2
    r = np.mod(index, period)
    return np.where(r >= size, period - r, r), None


def map_coordinates(inputs, coordinates, order, fill_mode="constant", fill_value=0):
    """Sample `inputs` at `coordinates` (one array per input axis), order 0 or 1."""
    if fill_mode not in FILL_MODES:
        raise ValueError(
            "Invalid value for argument `fill_mode`. Expected one of "
            f"{set(FILL_MODES)}. Received: fill_mode={fill_mode}"
        )
    if order not in (0, 1):
        raise NotImplementedError(
            f"map_coordinates does not support order > 1; received order={order}."
        )
    x = as_tensor(inputs)
    coords = [
        np.asarray(c, np.float64)
        for c in (coordinates.data if isinstance(coordinates, Tensor) else coordinates)
    ]
    if len(coords) != x.ndim:
        raise ValueError(
            "First dim of `coordinates` must be the same as the rank of `inputs`. "
            f"Received inputs with shape: {x.shape} and coordinate leading dim of "
            f"{len(coords)}"
        )
    flat = reshape(x, (-1,))
    strides = np.cumprod((x.shape[1:] + (1,))[::-1])[::-1]
    corners = []  # (weight, flat index, valid) for each corner
    per_axis = []
    for c in coords:
        if order == 0:
            per_axis.append([(np.ones_like(c), np.round(c).astype(np.intp))])
        else:
            lo = np.floor(c)
            per_axis.append([(1 - (c - lo), lo.astype(np.intp)), (c - lo, lo.astype(np.intp) + 1)])
    import itertools

    for combo in itertools.product(*per_axis):
        weight, index, valid = 1.0, 0, True
        for (w, i), n, stride in zip(combo, x.shape, strides):
            mapped, ok = _remap(i, n, fill_mode)
            weight = weight * w
            index = index + mapped * stride
            if ok is not None:
                valid = valid & ok
        corners.append((weight, index, valid))
    dtype = x.data.dtype if x.data.dtype.kind == "f" else floatx()
    total = None
    for weight, index, valid in corners:
        values = take(flat, index)
        if valid is not True:
            values = m.where(valid, values, Tensor(np.asarray(fill_value, x.data.dtype)))
        term = m.multiply(m.cast(values, dtype), np.asarray(weight, dtype))
        total = term if total is None else m.add(total, term)
    return m.cast(total, x.data.dtype) if x.data.dtype.kind != "f" else total


def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0,
    data_format=None,
):
    """Sample each image at A [x, y, 1] for the 8-parameter projective `transform`
    [a0, a1, a2, b0, b1, b2, c0, c1] (output x, y to input coordinates)."""
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{set(AFFINE_INTERPOLATIONS)}. Received: interpolation={interpolation}"
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            "Invalid value for argument `fill_mode`. Expected of one "
            f"{set(FILL_MODES)}. Received: fill_mode={fill_mode}"
        )
    x, restore = _batched("affine_transform", images, data_format)
    t = np.asarray(transform.data if isinstance(transform, Tensor) else transform, np.float64)
    if t.ndim not in (1, 2) or t.shape[-1] != 8:
        raise ValueError(
            "Invalid transform shape: expected (8,) or (batch_size, 8). "
            f"Received input with shape: transform.shape={t.shape}"
        )
    t = np.broadcast_to(t.reshape(-1, 8), (x.shape[0], 8))
    return restore(_projective(x, t, AFFINE_INTERPOLATIONS[interpolation], fill_mode, fill_value))


def _sample(image, y_in, x_in, order, fill_mode, fill_value):
    """One (h, w, c) image sampled at per-pixel input positions (the same for each channel)."""
    h, w = y_in.shape
    c = image.shape[-1]
    coords = [
        np.broadcast_to(y_in[..., None], (h, w, c)),
        np.broadcast_to(x_in[..., None], (h, w, c)),
        np.broadcast_to(np.arange(c), (h, w, c)),
    ]
    return map_coordinates(image, coords, order, fill_mode, fill_value)


def _projective(x, transforms, order, fill_mode, fill_value):
    b, h, w, _ = x.shape
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    outputs = []
    for i in range(b):
        a0, a1, a2, b0, b1, b2, c0, c1 = transforms[i]
        k = c0 * xs + c1 * ys + 1
        x_in, y_in = (a0 * xs + a1 * ys + a2) / k, (b0 * xs + b1 * ys + b2) / k
        outputs.append(_sample(x[i], y_in, x_in, order, fill_mode, fill_value))
    return stack(outputs)


def _homography(start, end):
    """The 8 projective coefficients taking `end` corner points to `start` ones."""
    rows, targets = [], []
    for (sx, sy), (ex, ey) in zip(start, end):
        rows.append([ex, ey, 1, 0, 0, 0, -sx * ex, -sx * ey])
        rows.append([0, 0, 0, ex, ey, 1, -sy * ex, -sy * ey])
        targets += [sx, sy]
    return np.linalg.solve(np.array(rows, np.float64), np.array(targets, np.float64))


def perspective_transform(
    images, start_points, end_points, interpolation="bilinear", fill_value=0, data_format=None
):
    """Warp so the 4 `start_points` (x, y) corners land on `end_points`."""
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{set(AFFINE_INTERPOLATIONS)}. Received: interpolation={interpolation}"
        )
    start = np.asarray(
        start_points.data if isinstance(start_points, Tensor) else start_points, np.float64
    )
    end = np.asarray(end_points.data if isinstance(end_points, Tensor) else end_points, np.float64)
    for name, pts in (("start_points", start), ("end_points", end)):
        if pts.ndim not in (2, 3) or pts.shape[-2:] != (4, 2):
            raise ValueError(
                f"Invalid {name} shape: expected (4, 2) or (batch_size, 4, 2). "
                f"Received input with shape: {name}.shape={pts.shape}"
            )
    if start.shape != end.shape:
        raise ValueError(
            "start_points and end_points must have the same shape. Received: "
            f"start_points.shape={start.shape}, end_points.shape={end.shape}"
        )
    x, restore = _batched("perspective_transform", images, data_format)
    start, end = start.reshape(-1, 4, 2), end.reshape(-1, 4, 2)
    transforms = np.stack([_homography(s, e) for s, e in zip(start, end)])
    transforms = np.broadcast_to(transforms, (x.shape[0], 8))
    return restore(
        _projective(x, transforms, AFFINE_INTERPOLATIONS[interpolation], "constant", fill_value)
    )


def elastic_transform(
    images,
    alpha=20.0,
    sigma=5.0,
    interpolation="bilinear",
    fill_mode="reflect",
    fill_value=0.0,
    seed=None,
    data_format=None,
):
    """Warp by a random displacement field: normal noise times sigma, Gaussian-blurred with
    sigma (kernel int(6 sigma) | 1), times alpha. Seeded by `seed` or numkeras's generator."""
    if interpolation not in AFFINE_INTERPOLATIONS:
        raise ValueError(
            "Invalid value for argument `interpolation`. Expected of one "
            f"{set(AFFINE_INTERPOLATIONS)}. Received: interpolation={interpolation}"
        )
    if fill_mode not in FILL_MODES:
        raise ValueError(
            "Invalid value for argument `fill_mode`. Expected of one "
            f"{set(FILL_MODES)}. Received: fill_mode={fill_mode}"
        )
    from numkeras import random

    x, restore = _batched("elastic_transform", images, data_format)
    b, h, w, _ = x.shape
    size = int(6 * sigma) | 1
    noise = m.multiply(random.normal((2 * b, h, w, 1), seed=seed), sigma)  # dx then dy
    blurred = gaussian_blur(noise, (size, size), (sigma, sigma), "channels_last")
    fields = np.asarray(blurred.data[..., 0], np.float64).reshape(2, b, h, w) * alpha
    ys, xs = np.meshgrid(np.arange(h), np.arange(w), indexing="ij")
    order = AFFINE_INTERPOLATIONS[interpolation]
    out = [
        _sample(x[i], ys + fields[1][i], xs + fields[0][i], order, fill_mode, fill_value)
        for i in range(b)
    ]
    return restore(stack(out))


def scale_and_translate(
    images, output_shape, scale, translation, spatial_dims, method, antialias=True
):
    """`jax.image.scale_and_translate`: resample each of `spatial_dims` to `output_shape`,
    output pixel i reading input ((i + 0.5) - translation) / scale - 0.5."""
    methods = {
        "linear": "bilinear",
        "bilinear": "bilinear",
        "trilinear": "bilinear",
        "cubic": "bicubic",
        "bicubic": "bicubic",
        "tricubic": "bicubic",
        "lanczos3": "lanczos3",
        "lanczos5": "lanczos5",
    }
    if method not in methods:
        raise ValueError(
            "Invalid value for argument `method`. Expected of one "
            f"{set(methods)}. Received: method={method}"
        )
    x = as_tensor(images)
    if x.data.dtype.kind != "f":
        x = m.cast(x, floatx())
    scale = np.atleast_1d(np.asarray(scale.data if isinstance(scale, Tensor) else scale, float))
    translation = np.atleast_1d(
        np.asarray(translation.data if isinstance(translation, Tensor) else translation, float)
    )
    from numkeras.ops.products import tensordot

    for i, dim in enumerate(spatial_dims):
        dim = dim % x.ndim
        matrix = _weights(
            x.shape[dim],
            int(output_shape[dim]),
            methods[method],
            antialias,
            scale[i],
            translation[i],
        ).astype(x.data.dtype)
        x = moveaxis(tensordot(x, Tensor(matrix), axes=([dim], [1])), -1, dim)
    return x


def ssim(
    image1,
    image2,
    max_val=1.0,
    filter_size=11,
    filter_sigma=1.5,
    k1=0.01,
    k2=0.03,
    data_format=None,
):
    """Structural similarity with a Gaussian window ('valid' positions), mean per image."""
    a, restore_a = _batched("ssim", image1, data_format)
    b, _ = _batched("ssim", image2, data_format)
    dtype = a.data.dtype if a.data.dtype.kind == "f" else floatx()
    a, b = m.cast(a, dtype), m.cast(b, dtype)
    batch, h, w, channels = a.shape
    g = _gaussian_1d(filter_size, filter_sigma, dtype)
    kernel = Tensor(np.outer(g, g).astype(dtype).reshape(filter_size, filter_size, 1, 1))

    def blur(v):
        flat = reshape(moveaxis(v, -1, 1), (-1, h, w, 1))
        return conv(flat, kernel, 1, "valid", "channels_last")

    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2
    mu1, mu2 = blur(a), blur(b)
    s11 = m.subtract(blur(m.multiply(a, a)), m.multiply(mu1, mu1))
    s22 = m.subtract(blur(m.multiply(b, b)), m.multiply(mu2, mu2))
    s12 = m.subtract(blur(m.multiply(a, b)), m.multiply(mu1, mu2))
    num = m.multiply(
        m.add(m.multiply(m.multiply(mu1, mu2), 2.0), c1), m.add(m.multiply(s12, 2.0), c2)
    )
    den = m.multiply(
        m.add(m.add(m.multiply(mu1, mu1), m.multiply(mu2, mu2)), c1), m.add(m.add(s11, s22), c2)
    )
    per_channel = m.mean(m.divide(num, den), axis=(1, 2, 3))
    result = m.mean(reshape(per_channel, (batch, channels)), axis=-1)
    return squeeze(result, 0) if as_tensor(image1).ndim == 3 else result


__all__ = [
    "affine_transform",
    "crop_images",
    "elastic_transform",
    "extract_patches",
    "extract_patches_3d",
    "gaussian_blur",
    "hsv_to_rgb",
    "map_coordinates",
    "pad_images",
    "perspective_transform",
    "resize",
    "rgb_to_grayscale",
    "rgb_to_hsv",
    "scale_and_translate",
    "sobel_edges",
    "ssim",
]
