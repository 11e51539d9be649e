"""Image galleries with matplotlib (the `plot` extra): plain, with boxes, with masks.

As numkeras's other plots, each returns a matplotlib Figure (shown as a PNG in notebooks)
made without pyplot, and saves it when given a `path`; Keras shows or saves and returns None.
"""

import math

import numpy as np

from numkeras import ops
from numkeras.backend import image_data_format
from numkeras.utils.plotting import _figure_class, _notebook_figure_class
from numkeras.visualization.draw import draw_bounding_boxes, draw_segmentation_masks


def _rescale(images, value_range):
    """Pixel values from `value_range` to [0, 255]."""
    low, high = value_range
    if (low, high) == (0, 255):
        return images
    return (images.astype("float32") - low) / (high - low) * 255.0


def plot_image_gallery(
    images,
    y_true=None,
    y_pred=None,
    label_map=None,
    rows=None,
    cols=None,
    value_range=(0, 255),
    scale=2,
    path=None,
    show=None,
    transparent=True,
    dpi=60,
    legend_handles=None,
    data_format=None,
):
    """A grid of the first `rows * cols` images, titled with their labels and predictions.

    Args:
        images: a batch (B, H, W, C) with values in `value_range`.
        y_true, y_pred: class ids per image, named through `label_map` ({id: name}, required
            with either) as "Label: name" and "Pred: name".
        rows, cols: the grid (default: ceil(sqrt(B)) rows and B // rows columns, as Keras).
        scale: inches per image (2).
        path: where to save the figure (at `dpi`, tight, `transparent`); None to only return it.
        show: Keras's switch between showing and saving: with a `path` it must not be True.
        legend_handles: matplotlib handles for a legend at the bottom.

    Returns:
        The matplotlib Figure.
    """
    _figure_class("plot_image_gallery")
    Figure = _notebook_figure_class()
    if path is not None and show:
        raise ValueError("plot_gallery() expects either `path` to be set, or `show` to be true.")
    if (y_true is not None or y_pred is not None) and label_map is None:
        raise ValueError(
            "If `y_true` or `y_pred` are provided, a `label_map` must also be provided."
        )
    images = np.asarray(ops.convert_to_numpy(images))
    if images.ndim != 4:
        raise ValueError(
            "`plot_images_gallery()` requires you to batch your `np.array` samples together."
        )
    if (data_format or image_data_format()) == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    batch_size = len(images)
    rows = rows or int(math.ceil(math.sqrt(batch_size)))
    cols = cols or int(math.ceil(batch_size // rows))
    images = _rescale(images[: min(rows * cols, batch_size)], value_range)
    fig = Figure(figsize=(cols * scale, rows * scale), frameon=False, layout="tight")
    axes = fig.subplots(rows, cols, squeeze=False, sharex="row", sharey="col")
    fig.subplots_adjust(wspace=0, hspace=0)
    if legend_handles is not None:
        fig.legend(handles=legend_handles, loc="lower center")
    y_true = None if y_true is None else np.asarray(ops.convert_to_numpy(y_true))
    y_pred = None if y_pred is None else np.asarray(ops.convert_to_numpy(y_pred))
    for index, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if index >= len(images):  # Keras fails on more cells than images; they stay empty
            continue
        ax.imshow(images[index].astype("uint8"))
        ax.margins(x=0, y=0)
        title = []
        for prefix, values in (("Label", y_true), ("Pred", y_pred)):
            if values is not None and index < len(values):
                key = values[index].item() if np.ndim(values[index]) == 0 else values[index]
                title.append(f"{prefix}: {label_map.get(key, 'Unknown')}")
        if title:
            ax.set_title("  ".join(title), fontsize=8)
    if path is not None:
        fig.savefig(path, pad_inches=0, bbox_inches="tight", transparent=transparent, dpi=dpi)
    return fig


def plot_bounding_box_gallery(
    images,
    bounding_box_format,
    y_true=None,
    y_pred=None,
    value_range=(0, 255),
    true_color=(0, 188, 212),
    pred_color=(255, 235, 59),
    line_thickness=2,
    font_scale=1.0,
    text_thickness=None,
    class_mapping=None,
    ground_truth_mapping=None,
    prediction_mapping=None,
    legend=False,
    legend_handles=None,
    rows=None,
    cols=None,
    data_format=None,
    **kwargs,
):
    """`plot_image_gallery` of the images with the true boxes (`y_true`, a dict of "boxes"
    and "labels") drawn in `true_color` and the predicted ones in `pred_color`; `legend`
    adds a "Ground Truth" / "Prediction" legend. Other keywords go to `plot_image_gallery`.
    """
    _figure_class("plot_bounding_box_gallery")
    from matplotlib import patches

    prediction_mapping = prediction_mapping or class_mapping
    ground_truth_mapping = ground_truth_mapping or class_mapping
    images = np.asarray(ops.convert_to_numpy(images))
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images.shape}"
        )
    if (data_format or image_data_format()) == "channels_first":
        images = images.transpose(0, 2, 3, 1)
    style = {
        "bounding_box_format": bounding_box_format,
        "line_thickness": line_thickness,
        "text_thickness": text_thickness,
        "font_scale": font_scale,
        "data_format": "channels_last",
    }
    if y_true is not None:
        images = draw_bounding_boxes(
            images, y_true, color=true_color, class_mapping=ground_truth_mapping, **style
        )
    if y_pred is not None:
        images = draw_bounding_boxes(
            images, y_pred, color=pred_color, class_mapping=prediction_mapping, **style
        )
    if legend:
        if legend_handles:
            raise ValueError(
                "Only pass `legend` OR `legend_handles` to "
                "`keras.visualization.plot_bounding_box_gallery()`."
            )
        legend_handles = [
            patches.Patch(color=np.array(true_color) / 255.0, label="Ground Truth"),
            patches.Patch(color=np.array(pred_color) / 255.0, label="Prediction"),
        ]
    return plot_image_gallery(
        images,
        value_range=value_range,
        legend_handles=legend_handles,
        rows=rows,
        cols=cols,
        data_format="channels_last",
        **kwargs,
    )


def plot_segmentation_mask_gallery(
    images,
    num_classes,
    value_range=(0, 255),
    y_true=None,
    y_pred=None,
    color_mapping=None,
    blend=True,
    alpha=0.8,
    ignore_index=-1,
    data_format=None,
    **kwargs,
):
    """`plot_image_gallery` with one row per image: the image, then (if given) it with the
    true masks painted, then with the predicted ones (see `draw_segmentation_masks`)."""
    images = np.asarray(ops.convert_to_numpy(images))
    if images.ndim != 4:
        raise ValueError(
            f"`images` must be batched 4D tensor. Received: images.shape={images.shape}"
        )
    channels_first = (data_format or image_data_format()) == "channels_first"
    if channels_first:
        images = images.transpose(0, 2, 3, 1)
    style = {
        "num_classes": num_classes,
        "color_mapping": color_mapping,
        "alpha": alpha,
        "ignore_index": ignore_index,
        "blend": blend,
        "data_format": "channels_last",
    }
    columns = [images]
    for masks in (y_true, y_pred):
        if masks is not None:
            masks = np.asarray(ops.convert_to_numpy(masks)).astype("int32")
            masks = masks.transpose(0, 2, 3, 1) if channels_first else masks
            columns.append(draw_segmentation_masks(images, masks, **style))
    gallery = np.stack([column[i] for i in range(len(images)) for column in columns])
    return plot_image_gallery(
        gallery,
        value_range=value_range,
        rows=len(images),
        cols=len(columns),
        data_format="channels_last",
        **kwargs,
    )
