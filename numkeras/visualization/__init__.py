"""`numkeras.visualization`: Keras's helpers to look at images with their bounding boxes and
segmentation masks, drawn in NumPy or plotted in galleries (matplotlib, the `plot` extra)."""

from numkeras.visualization.draw import draw_bounding_boxes, draw_segmentation_masks
from numkeras.visualization.gallery import (
    plot_bounding_box_gallery,
    plot_image_gallery,
    plot_segmentation_mask_gallery,
)

__all__ = [
    "draw_bounding_boxes",
    "draw_segmentation_masks",
    "plot_bounding_box_gallery",
    "plot_image_gallery",
    "plot_segmentation_mask_gallery",
]
