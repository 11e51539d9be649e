"""Intersection-over-union metrics: a running confusion matrix over class ids.

`IoU` keeps a `(num_classes, num_classes)` matrix of (weighted) counts, rows the true class
and columns the predicted one; per class, `iou = tp / (tp + fp + fn)`, averaged over the
target classes that occurred. As in Keras the state is `int32` unless `dtype` says otherwise,
so float sample weights are truncated toward zero.
"""

import numpy as np

from numkeras.backend import epsilon
from numkeras.metrics.metric import Metric, as_result
from numkeras.metrics.reduction_metrics import to_numpy

__all__ = ["IoU", "BinaryIoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU"]


class IoU(Metric):
    """Mean IoU over `target_class_ids`, from a confusion matrix accumulated over batches.

    Args:
        num_classes: the number of classes (the matrix is `num_classes x num_classes`).
        target_class_ids: the classes whose IoUs are averaged.
        ignore_class: a label id left out of the counts (e.g. a "void" class).
        sparse_y_true, sparse_y_pred: `False` takes the argmax over `axis` first.
        axis: the class axis for the argmax.

    >>> m = IoU(num_classes=2, target_class_ids=[0])
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(m.result(), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(name=name, dtype=dtype or "int32")
        target_class_ids = list(target_class_ids)
        if max(target_class_ids) >= num_classes:
            raise ValueError(
                f"Target class id {max(target_class_ids)} is out of range, which is "
                f"[0, {num_classes})."
            )
        self.num_classes, self.target_class_ids = num_classes, target_class_ids
        self.ignore_class, self.axis = ignore_class, axis
        self.sparse_y_true, self.sparse_y_pred = sparse_y_true, sparse_y_pred
        self.total_cm = self.add_variable((num_classes, num_classes), name="total_confusion_matrix")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred = to_numpy(y_true), to_numpy(y_pred)
        if not self.sparse_y_true:
            y_true = np.argmax(y_true, axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = np.argmax(y_pred, axis=self.axis)
        y_true = y_true.astype(self.dtype).ravel()
        y_pred = y_pred.astype(self.dtype).ravel()
        weights = 1 if sample_weight is None else to_numpy(sample_weight)
        weights = np.broadcast_to(np.asarray(weights).astype(self.dtype).ravel(), y_true.shape)
        n = self.num_classes
        keep = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            keep &= y_true != self.ignore_class
        index = y_true[keep].astype(np.intp) * n + y_pred[keep].astype(np.intp)
        counts = np.bincount(index, weights[keep].astype(np.float64), minlength=n * n)
        self.total_cm.assign(self.total_cm.data + counts.reshape(n, n).astype(self.dtype))

    def result(self):
        cm = self.total_cm.data
        tp = np.diag(cm).astype(np.float32)
        union = (cm.sum(axis=0) + cm.sum(axis=1)).astype(np.float32) - tp
        tp, union = tp[self.target_class_ids], union[self.target_class_ids]
        valid = union > 1e-9
        iou = np.where(valid, tp / (union + np.float32(epsilon())), np.float32(0))
        return as_result(np.float32(iou.sum() / (valid.sum() + np.float32(epsilon()))))

    def get_config(self):
        return {
            **super().get_config(),
            "num_classes": self.num_classes,
            "target_class_ids": self.target_class_ids,
            "ignore_class": self.ignore_class,
            "sparse_y_true": self.sparse_y_true,
            "sparse_y_pred": self.sparse_y_pred,
            "axis": self.axis,
        }


class BinaryIoU(IoU):
    """IoU of classes 0 and/or 1 after thresholding: `y_pred >= threshold` is class 1.

    >>> m = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(m.result(), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = to_numpy(y_pred, np.float32) >= self.threshold
        super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        return {
            "target_class_ids": self.target_class_ids,
            "threshold": self.threshold,
            "name": self.name,
            "dtype": self.dtype,
        }


class MeanIoU(IoU):
    """IoU averaged over every class.

    >>> m = MeanIoU(num_classes=2)
    >>> m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(m.result(), 4)
    0.3333
    """

    def __init__(
        self,
        num_classes,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_true=True,
        sparse_y_pred=True,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            list(range(num_classes)),
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=sparse_y_true,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        config = super().get_config()
        del config["target_class_ids"]
        return config


class OneHotIoU(IoU):
    """`IoU` for one-hot labels (and, by default, per-class scores as predictions)."""

    def __init__(
        self,
        num_classes,
        target_class_ids,
        name=None,
        dtype=None,
        ignore_class=None,
        sparse_y_pred=False,
        axis=-1,
    ):
        super().__init__(
            num_classes,
            target_class_ids,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config


class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` for one-hot labels (and, by default, per-class scores as predictions)."""

    def __init__(
        self, num_classes, name=None, dtype=None, ignore_class=None, sparse_y_pred=False, axis=-1
    ):
        super().__init__(
            num_classes,
            name=name,
            dtype=dtype,
            ignore_class=ignore_class,
            sparse_y_true=False,
            sparse_y_pred=sparse_y_pred,
            axis=axis,
        )

    def get_config(self):
        config = super().get_config()
        del config["sparse_y_true"]
        return config
