"""Part affinity field (PAF) helpers: drawing targets and scoring candidate
limbs by the PAF line integral (vectorised numpy).

Coordinates are heatmap pixels ``(x, y)``; a map of size ``(w, h)`` has pixel
centres at integer ``x in [0, w)``, ``y in [0, h)``. Limb ``l`` occupies PAF
channels ``(2l, 2l+1)`` = (x, y) of the unit vector from parent to child (see
``docs/design.md``, "Codec targets").
"""
from typing import Optional, Sequence, Tuple

import numpy as np

#: Limbs shorter than this (heatmap px) have no direction: they draw nothing
#: and :func:`paf_line_scores` gives them ``degenerate_score``.
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


def paf_pair_scores(paf: np.ndarray,
                    starts: np.ndarray,
                    ends: np.ndarray,
                    num_samples: int = 10,
                    degenerate_score: float = 1.0) -> np.ndarray:
    """PAF line integral of P segments ``starts[i] -> ends[i]`` of one limb.

    ``E = mean_s <F(p_s), (end - start) / |end - start|>`` over
    ``num_samples`` points ``p_s`` evenly spaced on the segment (nearest pixel
    lookup, points clipped to the map). Vectorised over segments and samples.

    Args:
        paf (np.ndarray): The limb's two channels (x, y), shape (2, h, w).
        starts (np.ndarray): Segment starts, shape (P, 2), heatmap px.
        ends (np.ndarray): Segment ends, shape (P, 2), heatmap px.
        num_samples (int): Samples along each segment. Defaults to 10.
        degenerate_score (float): Score of segments shorter than
            ``MIN_LIMB_LENGTH`` (no direction to compare with).

    Returns:
        np.ndarray: Scores in [-1, 1] (for unit-norm fields), shape (P,).
    """
    _, h, w = paf.shape
    vec = np.asarray(ends, np.float64) - starts  # (P, 2)
    length = np.linalg.norm(vec, axis=-1)
    unit = vec / np.maximum(length, MIN_LIMB_LENGTH)[..., None]
    t = np.linspace(0., 1., num_samples)
    pts = starts[:, None, :] + t[None, :, None] * vec[:, None, :]  # (P, S, 2)
    px = np.clip(np.rint(pts[..., 0]), 0, w - 1).astype(np.intp)
    py = np.clip(np.rint(pts[..., 1]), 0, h - 1).astype(np.intp)
    score = (paf[0, py, px] * unit[:, 0:1] +
             paf[1, py, px] * unit[:, 1:2]).mean(-1)
    return np.where(length > MIN_LIMB_LENGTH, score,
                    degenerate_score).astype(np.float32)


def paf_line_scores(paf: np.ndarray,
                    starts: np.ndarray,
                    ends: np.ndarray,
                    num_samples: int = 10,
                    degenerate_score: float = 1.0,
                    pair_mask: Optional[np.ndarray] = None) -> np.ndarray:
    """PAF line integral (:func:`paf_pair_scores`) for every (start, end)
    pair of one limb.

    Args:
        paf (np.ndarray): The limb's two channels (x, y), shape (2, h, w).
        starts (np.ndarray): Segment starts, shape (N, 2), heatmap px.
        ends (np.ndarray): Segment ends, shape (M, 2), heatmap px.
        num_samples (int): Samples along each segment. Defaults to 10.
        degenerate_score (float): See :func:`paf_pair_scores`.
        pair_mask (np.ndarray, optional): (N, M) bool; only these pairs are
            integrated (the others score ``-inf``), e.g. after a distance
            gate. Defaults to all pairs.

    Returns:
        np.ndarray: Scores, shape (N, M).
    """
    N, M = len(starts), len(ends)
    scores = np.full((N, M), -np.inf, dtype=np.float32)
    if pair_mask is None:
        pair_mask = np.ones((N, M), dtype=bool)
    ni, mi = np.nonzero(pair_mask)
    if ni.size:
        scores[ni, mi] = paf_pair_scores(
            paf, np.asarray(starts, np.float64)[ni],
            np.asarray(ends, np.float64)[mi], num_samples, degenerate_score)
    return scores


def greedy_match(scores: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Greedy one-to-one matching by descending score, vectorised.

    Equivalent to "repeatedly take the best remaining valid pair and remove
    its row and column": each round accepts every pair that is the best of
    both its row and its column (the greedy choice is always such a pair and
    accepting them does not change later greedy choices). The number of rounds
    is at most ``min(N, M)`` and in practice 1-3; each round is vectorised.

    Args:
        scores (np.ndarray): Pair scores, shape (N, M).
        valid (np.ndarray): Allowed pairs, shape (N, M), bool.

    Returns:
        np.ndarray: For each row the matched column or -1, shape (N,).
    """
    N, M = scores.shape
    match = np.full(N, -1, dtype=np.intp)
    if N == 0 or M == 0:
        return match
    s = np.where(valid, scores.astype(np.float64), -np.inf)
    rows = np.arange(N)
    while True:
        best_col = s.argmax(1)
        row_ok = np.isfinite(s[rows, best_col])
        if not row_ok.any():
            return match
        best_row = s.argmax(0)
        mutual = row_ok & (best_row[best_col] == rows)
        r, c = rows[mutual], best_col[mutual]
        match[r] = c
        s[r, :] = -np.inf
        s[:, c] = -np.inf


def limb_index(limbs: Sequence[Tuple[int, int]]) -> np.ndarray:
    """Array (L, 2) of (parent, child) joint indices."""
    return np.asarray(limbs, dtype=np.intp).reshape(-1, 2)
