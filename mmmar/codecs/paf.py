"""Part affinity field (PAF) helpers: drawing the targets (vectorised numpy) and the constants
of the PAF line integral, which the decode computes in torch (:mod:`mmmar.codecs.paf_torch`).

Coordinates are heatmap pixels ``(x, y)``; a map of size ``(w, h)`` has pixel
centres at integer ``x in [0, w)``, ``y in [0, h)``. Limb ``l`` occupies PAF
channels ``(2l, 2l+1)`` = (x, y) of the unit vector from parent to child (see
``docs/design.md``, "Codec targets").
"""
from typing import Sequence, Tuple

import numpy as np

#: Limbs shorter than this (heatmap px) have no direction: they draw nothing
#: and their line integral is 1.
MIN_LIMB_LENGTH = 1e-3

#: Added to the bounds of the grouping's distance gates (heatmap px) that decide
#: which PAF integrals the dense decode stages compute, against rounding
#: differences between the device and the host.
GATE_SLACK = 1.0


def draw_pafs(starts: np.ndarray,
              ends: np.ndarray,
              valid: np.ndarray,
              heatmap_size: Tuple[int, int],
              width: float = 1.0) -> Tuple[np.ndarray, np.ndarray]:
    """Draw PAF targets, averaged over people (OpenPose-style).

    A pixel belongs to limb ``(n, l)`` when its distance to the segment's
    line is ``<= width`` and its projection lies on the segment (extended by
    ``width`` at both ends). Where several people's limbs overlap the unit
    vectors are averaged.

    Fully vectorised and sparse (no Python loop): the candidate pixels of
    each limb are those of its bounding box (grown by ``width``), enumerated
    for all limbs at once, tested exactly against the rule above and
    accumulated per limb with ``bincount``.

    Args:
        starts (np.ndarray): Parent joints, shape (N, L, 2), heatmap px.
        ends (np.ndarray): Child joints, shape (N, L, 2), heatmap px.
        valid (np.ndarray): Whether limb ``(n, l)`` is drawn, shape (N, L).
        heatmap_size (tuple): ``(w, h)``.
        width (float): Half width of a limb, heatmap px. Defaults to 1.

    Returns:
        tuple:
        - pafs (np.ndarray): shape (2L, h, w), float32.
        - counts (np.ndarray): number of people drawn at each pixel of each
          limb, shape (L, h, w), float32.
    """
    w, h = heatmap_size
    N, L = valid.shape
    hw = h * w
    starts = np.asarray(starts, np.float64).reshape(-1, 2)
    vec = np.asarray(ends, np.float64).reshape(-1, 2) - starts
    length = np.linalg.norm(vec, axis=-1)
    seg = np.flatnonzero(
        np.asarray(valid, bool).reshape(-1) & (length > MIN_LIMB_LENGTH))
    if seg.size == 0:
        return (np.zeros((2 * L, h, w), np.float32),
                np.zeros((L, h, w), np.float32))
    unit = vec[seg] / length[seg, None]
    st, en = starts[seg], starts[seg] + vec[seg]
    lo = np.floor(np.minimum(st, en) - width).astype(np.intp)
    hi = np.ceil(np.maximum(st, en) + width).astype(np.intp)
    lo = np.maximum(lo, 0)
    hi = np.minimum(hi, [w - 1, h - 1])
    nx = np.maximum(hi[:, 0] - lo[:, 0] + 1, 0)
    ny = np.maximum(hi[:, 1] - lo[:, 1] + 1, 0)
    n_pix = nx * ny
    sid = np.repeat(np.arange(seg.size), n_pix)
    i = np.arange(sid.size) - (np.cumsum(n_pix) - n_pix)[sid]
    nx_s = nx[sid]
    px = lo[sid, 0] + i % np.maximum(nx_s, 1)
    py = lo[sid, 1] + i // np.maximum(nx_s, 1)
    dx, dy = px - st[sid, 0], py - st[sid, 1]
    u = unit[sid]
    along = dx * u[:, 0] + dy * u[:, 1]
    across = np.abs(dx * u[:, 1] - dy * u[:, 0])
    keep = (across <= width) & (along >= -width) & (
        along <= length[seg][sid] + width)
    s_i, p_i = sid[keep], py[keep] * w + px[keep]
    limb = seg[s_i] % L
    # accumulate over the touched (limb, pixel) bins only
    bins, inv = np.unique(limb * hw + p_i, return_inverse=True)
    cnt = np.bincount(inv).astype(np.float32)
    fx = np.bincount(inv, weights=unit[s_i, 0]) / cnt
    fy = np.bincount(inv, weights=unit[s_i, 1]) / cnt
    bl, bp = bins // hw, bins % hw
    pafs = np.zeros((L, 2, hw), np.float32)
    counts = np.zeros((L, hw), np.float32)
    pafs[bl, 0, bp], pafs[bl, 1, bp] = fx, fy
    counts[bl, bp] = cnt
    return pafs.reshape(2 * L, h, w), counts.reshape(L, h, w)


def limb_index(limbs: Sequence[Tuple[int, int]]) -> np.ndarray:
    """Array (L, 2) of (parent, child) joint indices."""
    return np.asarray(limbs, dtype=np.intp).reshape(-1, 2)
