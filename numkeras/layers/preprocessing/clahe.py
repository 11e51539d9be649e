"""ContrastLimitedAdaptiveHistogramEqualization (CLAHE): histogram equalization per image tile,
with clipped histograms and bilinear blending between the tiles' lookup tables."""

import numpy as np

from numkeras import ops
from numkeras.engine import Tensor
from numkeras.layers import args
from numkeras.layers.layer import Layer
from numkeras.layers.preprocessing.augmentation_args import pixel_range
from numkeras.layers.preprocessing.image_augmentation import rescale


def _tile_tables(levels, grid, tile, clip_limit):
    """Each tile's lookup table (B, grid_h, grid_w, C, 256) from integer levels in [0, 255]."""
    b, _, _, c = levels.shape
    (gh, gw), (th, tw) = grid, tile
    tiles = levels.reshape(b, gh, th, gw, tw, c).transpose(0, 1, 3, 5, 2, 4)
    tiles = tiles.reshape(-1, th * tw)
    rows = np.arange(len(tiles))[:, None] * 256
    hist = np.bincount((rows + tiles).ravel(), minlength=len(tiles) * 256)
    hist = hist.reshape(b, gh, gw, c, 256).astype(np.float32)
    if clip_limit > 0:  # the counts above the limit are spread evenly over all levels
        clipped = np.minimum(hist, np.float32(clip_limit * th * tw / 256.0))
        hist = clipped + (hist - clipped).sum(-1, keepdims=True) / 256.0
    cdf = np.cumsum(hist, axis=-1)
    low = cdf[..., :1]
    denominator = np.float32(th * tw) - low
    denominator = np.where(denominator == 0, 1, denominator)
    return np.clip((cdf - low) * 255.0 / denominator, 0, 255)


def _neighbours(size, tile, grid):
    """For each pixel row (or column): the two tile tables to blend and the second's weight.

    Tables are indexed in the edge-padded grid (grid + 2), so pixels nearer the border than
    the first tile centre take the edge table on both sides.
    """
    position = (np.arange(size, dtype=np.float32) - tile / 2.0) / tile + 1.0
    first = np.floor(position)
    weight = position - first
    second = np.clip(first + 1, 0, grid + 1).astype(np.int64)
    return np.clip(first, 0, grid + 1).astype(np.int64), second, weight


def clahe(images, clip_limit, tile_grid_size):
    """CLAHE of a channels-last float batch with values in [0, 255]."""
    b, h, w, c = images.shape
    gh, gw = tile_grid_size
    th, tw = -(-h // gh), -(-w // gw)
    padded = np.pad(images, ((0, 0), (0, th * gh - h), (0, tw * gw - w), (0, 0)), "symmetric")
    levels = np.clip(padded.astype(np.int64), 0, 255)
    tables = _tile_tables(levels, (gh, gw), (th, tw), clip_limit)
    tables = np.pad(tables, ((0, 0), (1, 1), (1, 1), (0, 0), (0, 0)), "edge")
    y0, y1, wy = _neighbours(th * gh, th, gh)
    x0, x1, wx = _neighbours(tw * gw, tw, gw)
    batch, channel = np.arange(b)[:, None, None, None], np.arange(c)
    y0, y1, wy = y0[:, None, None], y1[:, None, None], wy[:, None, None]
    x0, x1, wx = x0[:, None], x1[:, None], wx[:, None]

    def look(rows, cols):
        return tables[batch, rows, cols, channel, levels]

    top = look(y0, x0) * (1 - wx) + look(y0, x1) * wx
    bottom = look(y1, x0) * (1 - wx) + look(y1, x1) * wx
    return (top * (1 - wy) + bottom * wy)[:, :h, :w]


class ContrastLimitedAdaptiveHistogramEqualization(Layer):
    """Equalizes the histogram of each `tile_grid_size` tile of each channel, the counts
    clipped at `clip_limit` times the mean count, and blends the neighbouring tiles' tables
    bilinearly. As in Keras, it applies at inference too, and keeps the input dtype.

    Args:
        value_range: the (low, high) pixel range ((0, 255)), mapped to [0, 255] inside.
        clip_limit: the histogram clip as a multiple of the mean bin count (4.0); <= 0 skips.
        tile_grid_size: the (rows, columns) of tiles ((8, 8)).
        data_format: "channels_last" or "channels_first".

    >>> import numpy as np
    >>> layer = ContrastLimitedAdaptiveHistogramEqualization(clip_limit=0, tile_grid_size=(1, 1))
    >>> layer(np.array([[[0.0], [100.0]], [[100.0], [200.0]]])).numpy().ravel().round().tolist()
    [0.0, 170.0, 170.0, 255.0]
    """

    def __init__(
        self,
        value_range=(0, 255),
        clip_limit=4.0,
        tile_grid_size=(8, 8),
        data_format=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.value_range = pixel_range(self, value_range)
        grid = tile_grid_size
        if not (
            isinstance(grid, (tuple, list))
            and len(grid) == 2
            and all(isinstance(g, int) and not isinstance(g, bool) and g > 0 for g in grid)
        ):
            raise ValueError(
                f"{type(self).__name__}: `tile_grid_size` must be two positive ints, "
                f"received tile_grid_size={grid!r}."
            )
        self.clip_limit = clip_limit
        self.tile_grid_size = tile_grid_size
        self.data_format = args.data_format(self, data_format)

    def call(self, inputs, training=True):
        x = np.asarray(ops.convert_to_numpy(inputs))
        if x.ndim not in (3, 4):
            raise ValueError(
                f"{type(self).__name__}: expected an image (rank 3) or a batch of images "
                f"(rank 4), received inputs.shape={x.shape}."
            )
        batch = x[None] if x.ndim == 3 else x
        if self.data_format == "channels_first":
            batch = np.moveaxis(batch, 1, -1)
        images = rescale(batch.astype(np.float32), self.value_range, (0, 255))
        out = rescale(
            clahe(images, self.clip_limit, self.tile_grid_size), (0, 255), self.value_range
        )
        if self.data_format == "channels_first":
            out = np.moveaxis(out, -1, 1)
        return Tensor(out.astype(x.dtype)[0] if x.ndim == 3 else out.astype(x.dtype))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {
            **super().get_config(),
            "data_format": self.data_format,
            "value_range": self.value_range,
            "clip_limit": self.clip_limit,
            "tile_grid_size": self.tile_grid_size,
        }
