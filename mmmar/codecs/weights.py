"""Loss weights of the heatmap / PAF targets for joints a dataset lacks.

A 2D-only dataset does not label every joint of every person: COCO has no head_top, spine or
head, and no neck / pelvis when a shoulder / hip is unlabelled. Their heatmap / PAF targets are
zero, which near such a person is not "no joint here" but "unknown", so the weights there
must be zero (:func:`missing_joint_weights`); elsewhere the zero target is right.
"""
from typing import Optional, Tuple

import numpy as np


def missing_joint_weights(xy: np.ndarray,
                          valid: np.ndarray,
                          limb_valid: np.ndarray,
                          bbox: Optional[np.ndarray],
                          heatmap_size: Tuple[int, int],
                          margin: float = 0.25,
                          pad: float = 6.) -> Tuple[np.ndarray, np.ndarray]:
    """Per-joint and per-limb weights: 0 for joint (limb) j in the
    neighbourhood of every person whose joint j (a joint of limb j) is
    unknown, 1 elsewhere.

    A person's neighbourhood is the axis-aligned box around its valid joints
    and its ``bbox`` (when given), grown on every side by ``margin`` times its
    larger side plus ``pad``. Vectorised: a boolean (people x pixels) box map
    and one matrix product per output.

    Args:
        xy (np.ndarray): Joints, (N, K, 2) heatmap px (any value where
            invalid).
        valid (np.ndarray): (N, K), > 0 where the joint's 2D position is
            known.
        limb_valid (np.ndarray): (N, L) bool, both joints of the limb known.
        bbox (np.ndarray, optional): (N, 4) xyxy heatmap px; non-finite rows
            are ignored.
        heatmap_size (tuple): ``(w, h)``.
        margin (float): Growth as a fraction of the box's larger side.
        pad (float): Growth in heatmap px (e.g. the Gaussian support).

    Returns:
        tuple:
        - joint_weights (np.ndarray): (K, h, w) float32.
        - limb_weights (np.ndarray): (L, h, w) float32.
    """
    w, h = heatmap_size
    N, K = valid.shape
    joint_w = np.ones((K, h, w), np.float32)
    limb_w = np.ones((limb_valid.shape[1], h, w), np.float32)
    miss_j, miss_l = valid <= 0, ~np.asarray(limb_valid, bool)
    lo = np.where(valid[..., None] > 0, xy, np.inf).min(1)  # (N, 2)
    hi = np.where(valid[..., None] > 0, xy, -np.inf).max(1)
    if bbox is not None:
        ok = np.isfinite(bbox).all(1, keepdims=True)
        lo = np.minimum(lo, np.where(ok, bbox[:, :2], np.inf))
        hi = np.maximum(hi, np.where(ok, bbox[:, 2:], -np.inf))
    people = np.isfinite(lo).all(1) & (miss_j.any(1) | miss_l.any(1))
    if not people.any():
        return joint_w, limb_w
    lo, hi = lo[people], hi[people]
    grow = margin * (hi - lo).max(1, keepdims=True) + pad
    lo, hi = lo - grow, hi + grow
    in_x = (np.arange(w) >= lo[:, 0:1]) & (np.arange(w) <= hi[:, 0:1])
    in_y = (np.arange(h) >= lo[:, 1:2]) & (np.arange(h) <= hi[:, 1:2])
    inside = (in_y[:, :, None] & in_x[:, None, :]).reshape(
        len(lo), h * w).astype(np.float32)  # (P, h * w)
    for out, miss in ((joint_w, miss_j), (limb_w, miss_l)):
        hit = miss[people].T.astype(np.float32) @ inside  # (J, h * w)
        out[hit.reshape(out.shape) > 0] = 0.
    return joint_w, limb_w
