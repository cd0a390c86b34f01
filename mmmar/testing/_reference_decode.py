"""The dense stages of MAR's decode in plain numpy, one image at a time, written for clarity:
the oracle that the decode (torch, :mod:`mmmar.codecs.dense_decode`) is tested and benchmarked
against (:func:`reference_decode`). Not used by the package's runtime code.

Both produce the same :class:`~mmmar.codecs.grouping.DecodeEvidence`:
heatmap peaks (max-pool NMS), quarter-pixel refinement, the people (root
peaks), offsets / depth / sigma maps read at the roots, and the PAF line
integrals of every limb from every possible start (the parent joint's
candidates and the people's offset locations of it) to every child
candidate.
"""
from typing import Dict, Optional, Tuple

import numpy as np

from mmmar.codecs.grouping import DecodeEvidence, people_from_evidence
from mmmar.codecs.paf import MIN_LIMB_LENGTH
from mmmar.structures.utils import to_numpy


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


def heatmap_peaks_nms(heatmaps: np.ndarray, kernel: int) -> np.ndarray:
    """Max-pool NMS of heatmaps: a pixel is a peak when it equals the maximum
    of its ``kernel x kernel`` neighbourhood (separable max filter, vectorised
    over channels and pixels; the loop runs over the ``kernel`` shifts only).

    Args:
        heatmaps (np.ndarray): shape (C, h, w).
        kernel (int): Odd window size.

    Returns:
        np.ndarray: Boolean peak mask, shape (C, h, w).
    """
    r = kernel // 2
    C, h, w = heatmaps.shape
    pad = np.pad(heatmaps, ((0, 0), (r, r), (r, r)), constant_values=-np.inf)
    mx = pad[:, :, 0:w].copy()
    for i in range(1, kernel):
        np.maximum(mx, pad[:, :, i:i + w], out=mx)
    my = mx[:, 0:h].copy()
    for i in range(1, kernel):
        np.maximum(my, mx[:, i:i + h], out=my)
    return heatmaps >= my


def refine_peaks(heatmaps: np.ndarray, j: np.ndarray, x: np.ndarray,
                 y: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Quarter-pixel refinement of integer peaks towards the higher
    neighbour (as mmpose's ``refine_keypoints``), vectorised.

    Args:
        heatmaps (np.ndarray): shape (C, h, w).
        j, x, y (np.ndarray): Channel and integer location of each peak,
            shape (M,).

    Returns:
        tuple: Refined float ``(x, y)``, shape (M,) each.
    """
    _, h, w = heatmaps.shape
    xl, xr = np.clip(x - 1, 0, w - 1), np.clip(x + 1, 0, w - 1)
    yu, yd = np.clip(y - 1, 0, h - 1), np.clip(y + 1, 0, h - 1)
    dx = np.sign(heatmaps[j, y, xr] - heatmaps[j, y, xl])
    dy = np.sign(heatmaps[j, yd, x] - heatmaps[j, yu, x])
    return x + 0.25 * dx, y + 0.25 * dy


def _candidates(heatmaps: np.ndarray, codec, max_candidates: int):
    """Peaks of every joint >= its threshold, sorted by descending value
    (ties: row-major), at most ``max_candidates``, padded to a common M."""
    K_, h, w = heatmaps.shape
    thr = np.full(K_, codec.decode_candidate_thr, np.float32)
    thr[codec.root_index] = min(codec.decode_candidate_thr,
                                codec.decode_root_thr)
    peaks = heatmap_peaks_nms(heatmaps, codec.decode_nms_kernel)
    peaks &= heatmaps >= thr[:, None, None]
    cj, cy, cx = np.nonzero(peaks)
    cval = heatmaps[cj, cy, cx]
    order = np.lexsort((cy * w + cx, -cval, cj))
    cj, cy, cx, cval = cj[order], cy[order], cx[order], cval[order]
    bounds = np.searchsorted(cj, np.arange(K_ + 1))
    rank = np.arange(cj.size) - bounds[cj]
    keep = rank < max_candidates
    cj, cy, cx, cval, rank = cj[keep], cy[keep], cx[keep], cval[keep], \
        rank[keep]
    M = int(rank.max()) + 1 if rank.size else 0
    fx, fy = refine_peaks(heatmaps, cj, cx, cy)
    cand_xy = np.zeros((K_, M, 2))
    cand_score = np.zeros((K_, M), np.float32)
    cand_valid = np.zeros((K_, M), bool)
    cand_pix = np.zeros((K_, M, 2), np.intp)
    cand_xy[cj, rank] = np.stack([fx, fy], -1)
    cand_score[cj, rank] = cval
    cand_valid[cj, rank] = True
    cand_pix[cj, rank] = np.stack([cx, cy], -1)
    return cand_xy, cand_score, cand_valid, cand_pix


def paf_scores_all_starts(pafs: np.ndarray, cand_xy: np.ndarray,
                          offset_xy: np.ndarray, limbs: np.ndarray,
                          num_samples: int) -> np.ndarray:
    """(L, M + N, M) PAF line integrals of every limb from every start
    (parent candidates, then the people's offset locations of the parent)
    to every child candidate (:func:`paf_pair_scores`)."""
    L = len(limbs)
    K_, M = cand_xy.shape[:2]
    N = offset_xy.shape[0]
    out = np.zeros((L, M + N, M), np.float32)
    if M == 0:
        return out
    for l, (p, c) in enumerate(limbs):  # noqa: E741
        starts = np.concatenate([cand_xy[p], offset_xy[:, p]])  # (M + N, 2)
        s = np.repeat(starts, M, axis=0)
        e = np.tile(cand_xy[c], (M + N, 1))
        out[l] = paf_pair_scores(pafs[2 * l:2 * l + 2], s, e,
                                 num_samples).reshape(M + N, M)
    return out


def evidence_numpy(heatmaps: np.ndarray,
                   pafs: np.ndarray,
                   offsets: np.ndarray,
                   codec,
                   root_maps: Optional[Dict[str, np.ndarray]] = None,
                   max_candidates: Optional[int] = None) -> DecodeEvidence:
    """The decode's dense stages for ONE image, numpy.

    Args:
        heatmaps (np.ndarray): (K, h, w).
        pafs (np.ndarray): (2L, h, w).
        offsets (np.ndarray): (3K, h, w), normalised as encoded.
        codec: The :class:`MARCodec` (decode parameters).
        root_maps (dict, optional): name -> (1, h, w) or (h, w) map read at
            the roots (``root_depth``, ``log_sigma_reg``, ...).
        max_candidates (int, optional): Candidates kept per joint (the
            highest peaks; at least ``codec.decode_max_instances``).
            Defaults to ``codec.decode_max_candidates``.

    Returns:
        DecodeEvidence: see :class:`~mmmar.codecs.grouping.DecodeEvidence`.
    """
    heatmaps = np.asarray(heatmaps, np.float32)
    pafs = np.asarray(pafs, np.float32)
    offsets = np.asarray(offsets, np.float32)
    K_, h, w = heatmaps.shape
    r = codec.root_index
    if max_candidates is None:
        max_candidates = codec.decode_max_candidates
    max_candidates = max(max_candidates, codec.decode_max_instances)
    cand_xy, cand_score, cand_valid, cand_pix = _candidates(
        heatmaps, codec, max_candidates)
    N = int(((cand_score[r] >= codec.decode_root_thr)
             & cand_valid[r])[:codec.decode_max_instances].sum())
    rx, ry = cand_pix[r, :N, 0], cand_pix[r, :N, 1]
    off = offsets.reshape(3, K_, h, w)[:, :, ry, rx]  # (3, K, N)
    offset_xy = np.stack([rx[:, None] + off[0].T * codec.offset_norm,
                          ry[:, None] + off[1].T * codec.offset_norm], -1)
    rel_depth = off[2].T * codec.depth_norm
    rel_depth[:, r] = 0.  # Eq. 2: the root's depth relative to itself
    ix = np.clip(np.rint(offset_xy[..., 0]), 0, w - 1).astype(np.intp)
    iy = np.clip(np.rint(offset_xy[..., 1]), 0, h - 1).astype(np.intp)
    heat = heatmaps[np.arange(K_)[None], iy, ix]
    reads = {
        k: np.asarray(m, np.float32).reshape(h, w)[ry, rx]
        for k, m in (root_maps or {}).items() if m is not None
    }
    paf = paf_scores_all_starts(pafs, cand_xy, offset_xy, codec._limbs,
                                codec.decode_paf_samples)
    return DecodeEvidence(cand_xy, cand_score, cand_valid, N,
                          np.stack([rx, ry], -1), offset_xy, rel_depth, heat,
                          paf, reads)


def reference_decode(codec, heatmaps, pafs, offsets, K=None, **root_maps) -> dict:
    """``MARCodec.decode``'s result of ONE image computed with the numpy reference:
    :func:`evidence_numpy` then the codec's grouping.

    Args:
        codec: The :class:`~mmmar.codecs.MARCodec`.
        heatmaps, pafs, offsets: (K, h, w), (2L, h, w), (3K, h, w) arrays or tensors.
        K (optional): (3, 3) intrinsics of the input image.
        **root_maps: ``root_depth``, ``log_sigma_reg``, ``log_sigma_geo``,
            ``torso_length`` maps (None ones are left out).

    Returns:
        dict: the fields of ``MARCodec.decode``.
    """
    ev = evidence_numpy(*(to_numpy(x, float32=True) for x in (heatmaps, pafs, offsets)),
                        codec, {k: to_numpy(v, float32=True)
                                for k, v in root_maps.items() if v is not None})
    return people_from_evidence(ev, codec, to_numpy(K, float32=True))
