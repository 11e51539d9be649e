"""Gradient clipping as Keras 3's optimizers do it (`clipnorm`, `global_clipnorm`)."""

import math

import numpy as np


def clip_by_norm(g, clipnorm):
    """`g * clipnorm / max(||g||, clipnorm)`: unchanged when the norm is already small."""
    norm = np.sqrt(np.vdot(g, g))
    return g * (clipnorm / np.maximum(norm, clipnorm))


def clip_by_global_norm(grads, clipnorm):
    """Scale every gradient by `clipnorm / max(global_norm, clipnorm)`; NaN if the norm is
    not finite, so a blown-up step is visible rather than silently clipped."""
    norm = math.sqrt(sum(float(np.vdot(g, g)) for g in grads))
    scale = clipnorm / max(norm, clipnorm) if math.isfinite(norm) else math.nan
    return [g * scale for g in grads]
