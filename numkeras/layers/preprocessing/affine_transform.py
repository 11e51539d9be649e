"""`affine_transform`: resample images through per-image projective transforms (NumPy)."""

import numpy as np

INTERPOLATIONS = ("nearest", "bilinear")
FILL_MODES = ("reflect", "wrap", "constant", "nearest")


def affine_transform(
    images,
    transform,
    interpolation="bilinear",
    fill_mode="constant",
    fill_value=0.0,
    data_format="channels_last",
):
    """Keras's `ops.image.affine_transform` on NumPy arrays.

    A transform row `[a0, a1, a2, b0, b1, b2, c0, c1]` maps each output pixel (x, y) (column,
    row) to the input point `((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)`, with
    `k = c0 x + c1 y + 1`; the output pixel is the input interpolated there. Points outside the
    input are read as `fill_mode` extends it: "reflect" `(d c b a | a b c d | d c b a)`,
    "wrap" `(a b c d | a b c d)`, "nearest" `(a a | a b c d | d d)`, or "constant" (the
    `fill_value`, which bilinear interpolation blends with the pixels at the border).

    Args:
        images: (N, H, W, C) or one (H, W, C) image (channels first with `data_format`).
        transform: (N, 8), or (8,) for one transform applied to every image.
        interpolation: "bilinear" or "nearest" (coordinates rounded half to even).

    Returns:
        The resampled images, float32 (float64 for float64 inputs), shaped as `images`.

    >>> image = np.arange(4.0).reshape(1, 4, 1)
    >>> affine_transform(image, [1, 0, -1, 0, 1, 0, 0, 0]).ravel().tolist()  # shift right
    [0.0, 0.0, 1.0, 2.0]
    """
    images = np.asarray(images)
    dtype = np.result_type(images.dtype, np.float32)
    single = images.ndim == 3
    x = images[None] if single else images
    if data_format == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    n, height, width = x.shape[:3]
    t = np.broadcast_to(np.asarray(transform, np.float32).reshape(-1, 8), (n, 8))
    t = t[:, :, None, None]  # one row per image, broadcast over the pixel grid
    rows, cols = np.meshgrid(
        np.arange(height, dtype=np.float32), np.arange(width, dtype=np.float32), indexing="ij"
    )
    k = t[:, 6] * cols + t[:, 7] * rows + 1
    src_x = (t[:, 0] * cols + t[:, 1] * rows + t[:, 2]) / k
    src_y = (t[:, 3] * cols + t[:, 4] * rows + t[:, 5]) / k
    batch = np.arange(n)[:, None, None]
    out = np.zeros(x.shape, dtype)
    for (iy, wy), (ix, wx) in [
        (a, b) for a in _nodes(src_y, interpolation) for b in _nodes(src_x, interpolation)
    ]:
        values = x[batch, _fix(iy, height, fill_mode), _fix(ix, width, fill_mode)].astype(dtype)
        if fill_mode == "constant":
            inside = (iy >= 0) & (iy < height) & (ix >= 0) & (ix < width)
            values = np.where(inside[..., None], values, dtype.type(fill_value))
        out += (wy * wx)[..., None].astype(dtype) * values
    if data_format == "channels_first":
        out = out.transpose(0, 3, 1, 2)
    return out[0] if single else out


def _nodes(coords, interpolation):
    """The integer sample positions along one axis and their interpolation weights."""
    if interpolation == "nearest":
        return [(np.round(coords).astype(np.int64), np.ones_like(coords))]
    lower = np.floor(coords)
    upper_weight = coords - lower
    lower = lower.astype(np.int64)
    return [(lower, 1 - upper_weight), (lower + 1, upper_weight)]


def _fix(index, size, fill_mode):
    """Map indices outside [0, size) into it, extending the image as `fill_mode` does."""
    if fill_mode == "wrap":
        return index % size
    if fill_mode == "reflect":  # period 2 * size: the image, then its mirror image
        index = index % (2 * size)
        return np.where(index < size, index, 2 * size - 1 - index)
    return np.clip(index, 0, size - 1)  # "nearest"; "constant" masks these afterwards
