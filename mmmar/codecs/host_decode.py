"""The dense stages of MAR's decode for maps that are already on the host
(CPU tensors): the algorithm of :mod:`mmmar.codecs.dense_decode` (sparse
peak NMS, reads at the roots, PAF line integrals of the pairs the grouping
can consider only) written with numpy on zero-copy views of the maps.

On a CPU the maps are where the grouping runs, so nothing is copied; what
costs is the number of array operations, and a numpy operation on the small
per-candidate arrays takes a fraction of a torch one (about 1 us against
3-30 us). :func:`host_evidence` returns the same fields, values and dtypes
as :func:`~mmmar.codecs.dense_decode.dense_evidence` (tested equal in
``tests/test_codecs/test_grouping.py``); ``dense_evidence`` uses it for CPU
tensors unless told ``impl='torch'``. The plain reference that both are
tested against is :mod:`mmmar.codecs.reference_decode`.
"""
from functools import lru_cache
from typing import Dict, Optional, Tuple

import numpy as np

from .grouping import ROOT_MAPS
from .paf import GATE_SLACK, MIN_LIMB_LENGTH


@lru_cache(maxsize=None)
def window_offsets(kernel: int) -> np.ndarray:
    """(dx, dy) offsets of a ``kernel`` window, centre excluded (read-only,
    cached)."""
    r = kernel // 2
    off = np.array([(dx, dy) for dy in range(-r, r + 1)
                    for dx in range(-r, r + 1) if dx or dy], np.intp)
    off.setflags(write=False)
    return off


def _row_maxima(idx: np.ndarray, val: np.ndarray, mask: np.ndarray,
                w: int) -> np.ndarray:
    """Which of the above-threshold pixels ``idx`` (ascending flat indices,
    values ``val``, ``mask`` the (..., w) above-threshold map) are at least
    their left and right neighbours: a neighbour below the threshold is
    smaller, so only consecutive entries of ``idx`` in the same row are
    compared."""
    nxt = idx[1:] - idx[:-1] == 1  # entry i + 1 is the right neighbour of i
    rows = mask.reshape(-1, w)
    wrap = np.flatnonzero(rows[:-1, -1] & rows[1:, 0])  # row end, next start
    if wrap.size:
        nxt[np.searchsorted(idx, (wrap + 1) * w) - 1] = False
    keep = np.ones(idx.size, bool)
    keep[1:] = (val[1:] >= val[:-1]) | ~nxt
    keep[:-1] &= (val[:-1] >= val[1:]) | ~nxt
    return keep


def peaks_sparse_np(heatmaps: np.ndarray, thr: np.ndarray, kernel: int,
                    cap: int) -> Tuple[np.ndarray, np.ndarray]:
    """Heatmap peaks of every (image, joint), sparse: the pixels at or above
    their joint's threshold are tested against their left/right, then
    upper/lower neighbours, then their whole ``kernel`` window (a pixel is a
    peak when it is the maximum of its window, as max-pool NMS; the first
    two tests only discard pixels that are not). Sorted by descending value
    (ties: row-major), at most ``cap`` per joint.

    Args:
        heatmaps (np.ndarray): (B, K, h, w) float32.
        thr (np.ndarray): (K, ) thresholds.
        kernel (int): Odd NMS window.
        cap (int): Most peaks kept per joint.

    Returns:
        tuple: ``index`` (B, K, M) flat pixel index (0 in empty slots) and
        ``valid`` (B, K, M) bool, M = the most peaks of a joint (<= cap).
    """
    B, K_, h, w = heatmaps.shape
    flat = heatmaps.reshape(-1)
    mask = heatmaps >= thr[:, None, None]
    idx = np.flatnonzero(mask)
    idx = idx[_row_maxima(idx, flat[idx], mask, w)]
    y = (idx // w) % h  # 1D maxima along y
    val = flat[idx]
    idx = idx[(val >= flat[idx - w * (y > 0)]) &
              (val >= flat[idx + w * (y < h - 1)])]
    off = window_offsets(kernel)
    x, y = idx % w, (idx // w) % h
    nx = np.minimum(np.maximum(x[:, None] + off[:, 0], 0), w - 1)
    ny = np.minimum(np.maximum(y[:, None] + off[:, 1], 0), h - 1)
    val = flat[idx]
    keep = (val[:, None] >= flat[(idx - y * w - x)[:, None] + ny * w + nx]
            ).all(1)
    idx, val = idx[keep], val[keep]
    ch = idx // (h * w)  # b * K + k
    order = np.lexsort((idx, -val, ch))  # channel, value desc, pixel asc
    idx, ch = idx[order], ch[order]
    counts = np.bincount(ch, minlength=B * K_)
    M = min(cap, int(counts.max())) if idx.size else 0
    rank = np.arange(idx.size) - (np.cumsum(counts) - counts)[ch]
    keep = rank < M
    index = np.zeros((B * K_, M), np.int64)
    valid = np.zeros((B * K_, M), bool)
    index[ch[keep], rank[keep]] = idx[keep] % (h * w)
    valid[ch[keep], rank[keep]] = True
    return index.reshape(B, K_, M), valid.reshape(B, K_, M)


def _take(maps: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``maps`` (B, C, h, w), ``index`` (B, C, n) flat pixels -> (B, C, n)."""
    B, C = maps.shape[:2]
    hw = maps[0, 0].size
    base = np.arange(B * C, dtype=np.int64).reshape(B, C, 1) * hw
    return maps.reshape(-1)[base + index]


def candidates_np(heatmaps: np.ndarray, codec, cap: int):
    """:func:`~mmmar.codecs.dense_decode.candidate_peaks` (sparse), numpy:
    ``xy`` (B, K, M, 2) float32 (quarter-pixel refined), ``score``,
    ``valid``, ``index`` (B, K, M)."""
    B, K_, h, w = heatmaps.shape
    thr = np.full(K_, codec.decode_candidate_thr, np.float32)
    thr[codec.root_index] = min(codec.decode_candidate_thr,
                                codec.decode_root_thr)
    index, valid = peaks_sparse_np(heatmaps, thr, codec.decode_nms_kernel,
                                   cap)
    flat = heatmaps.reshape(-1)
    at = np.arange(B * K_, dtype=np.int64).reshape(B, K_, 1) * (h * w) + index
    score = flat[at]
    x, y = index % w, index // w
    dx = np.sign(flat[at + (x < w - 1)] - flat[at - (x > 0)])
    dy = np.sign(flat[at + w * (y < h - 1)] - flat[at - w * (y > 0)])
    xy = np.stack([x.astype(np.float32) + np.float32(0.25) * dx,
                   y.astype(np.float32) + np.float32(0.25) * dy], -1)
    return xy, score, valid, index


def gate_bounds_np(offset_xy: np.ndarray, root_xy: np.ndarray,
                   codec) -> np.ndarray:
    """:func:`mmmar.codecs.paf_torch.gate_bounds`, numpy: (B, N, K) upper
    bounds of every person's distance gate (+ :data:`GATE_SLACK`)."""
    p, c = codec._limbs[:, 0], codec._limbs[:, 1]
    d = offset_xy[:, :, c] - offset_xy[:, :, p]
    length = np.sqrt(d[..., 0]**2 + d[..., 1]**2)
    G = np.zeros(offset_xy.shape[:-1])
    r = codec.root_index
    d = root_xy - offset_xy[:, :, r]
    G[..., r] = np.sqrt(d[..., 0]**2 + d[..., 1]**2)
    for _ in range(codec._tree.depth):  # one tree level per round
        G[..., c] = np.maximum(codec.decode_gate_ratio * (length + G[..., p]),
                               codec.decode_gate_px)
    return G + GATE_SLACK


@lru_cache(maxsize=None)
def _sample_steps(num_samples: int) -> np.ndarray:
    """Read-only ``linspace(0, 1, num_samples)``."""
    t = np.linspace(0., 1., num_samples)
    t.setflags(write=False)
    return t


def segment_scores_np(pafs: np.ndarray, channel: np.ndarray,
                      starts: np.ndarray, ends: np.ndarray,
                      num_samples: int) -> np.ndarray:
    """PAF line integrals of P segments (as the torch
    ``paf_torch._segment_scores``): ``channel`` (P,) the x channel of each
    in ``pafs.reshape(-1, h, w)``, ``starts``, ``ends`` (P, 2) float64."""
    h, w = pafs.shape[-2:]
    vec = ends - starts
    length = np.sqrt(vec[:, 0]**2 + vec[:, 1]**2)
    unit = (vec / np.maximum(length, MIN_LIMB_LENGTH)[:, None]).astype(
        np.float32)
    t = _sample_steps(num_samples)
    px = np.rint(starts[:, 0:1] + t * vec[:, 0:1])  # (P, S) sample pixels
    py = np.rint(starts[:, 1:2] + t * vec[:, 1:2])
    np.clip(px, 0, w - 1, out=px)
    np.clip(py, 0, h - 1, out=py)
    idx = (py * w + px).astype(np.intp)
    idx += (channel * (h * w))[:, None]
    flat = pafs.reshape(-1)
    score = (flat[idx] * unit[:, None, 0] +
             flat[idx + h * w] * unit[:, None, 1]).mean(-1)
    return np.where(length > MIN_LIMB_LENGTH, score, np.float32(1.))


def limb_paf_scores_np(pafs: np.ndarray, cand_xy: np.ndarray,
                       cand_valid: np.ndarray, offset_xy: np.ndarray,
                       codec) -> np.ndarray:
    """:func:`mmmar.codecs.paf_torch.limb_paf_scores` (``prune=True``),
    numpy: (B, L, M + N, M) float32, ``-inf`` where the grouping cannot
    look."""
    p, c = codec._limbs[:, 0], codec._limbs[:, 1]
    B, K_, M = cand_valid.shape
    N, L = offset_xy.shape[1], len(p)
    out = np.full((B, L, M + N, M), -np.inf, np.float32)
    if M == 0:
        return out
    G = gate_bounds_np(offset_xy, cand_xy[:, codec.root_index, :N], codec)
    # (B, N, K, M): candidate m of joint k near person n's offset location
    d = cand_xy[:, None] - offset_xy[:, :, :, None]
    near = (np.sqrt(d[..., 0]**2 + d[..., 1]**2) <= G[..., None]) & \
        cand_valid[:, None]
    near_p = near[:, :, p].transpose(0, 2, 3, 1)  # (B, L, M, N)
    near_c = near[:, :, c].transpose(0, 2, 1, 3)  # (B, L, N, M)
    # row r < M (the parent's candidate r) is needed where some person has
    # both r and m near; row M + n (person n's offset location) where n has m
    need = np.concatenate([
        np.matmul(near_p.astype(np.float32), near_c.astype(np.float32)) > 0,
        near_c
    ], 2)
    b, l, r, m = np.nonzero(need)  # noqa: E741
    starts = np.concatenate([cand_xy[:, p].astype(np.float64),
                             offset_xy[:, :, p].transpose(0, 2, 1, 3)], 2)
    out[b, l, r, m] = segment_scores_np(pafs, b * (2 * L) + 2 * l,
                                        starts[b, l, r],
                                        cand_xy[b, c[l], m].astype(np.float64),
                                        codec.decode_paf_samples)
    return out


def host_evidence(heatmaps: np.ndarray, pafs: np.ndarray,
                  offsets: np.ndarray, codec,
                  root_maps: Optional[Dict[str, Optional[np.ndarray]]] = None
                  ) -> Dict[str, np.ndarray]:
    """The fields of :func:`~mmmar.codecs.dense_decode.dense_evidence`
    (``fixed_size=False``) for maps on the host.

    Args:
        heatmaps (np.ndarray): (B, K, h, w) float32.
        pafs (np.ndarray): (B, 2L, h, w) float32.
        offsets (np.ndarray): (B, 3K, h, w) float32, normalised as encoded.
        codec: The :class:`MARCodec`.
        root_maps (dict, optional): name -> (B, 1, h, w) map or None.

    Returns:
        dict: numpy arrays, the fields and dtypes of ``dense_evidence``.
    """
    B, K_, h, w = heatmaps.shape
    r = codec.root_index
    cap = max(codec.decode_max_candidates, codec.decode_max_instances)
    cand_xy, cand_score, cand_valid, index = candidates_np(heatmaps, codec,
                                                           cap)
    M = cand_score.shape[-1]
    N = min(codec.decode_max_instances, M)
    root_index = index[:, r, :N]
    person_valid = cand_valid[:, r, :N] & (cand_score[:, r, :N] >=
                                           codec.decode_root_thr)
    off = _take(offsets, np.repeat(root_index[:, None], 3 * K_, 1))
    off = off.reshape(B, 3, K_, N).transpose(0, 1, 3, 2)  # (B, 3, N, K)
    rx = (root_index % w).astype(np.float64)[..., None]
    ry = (root_index // w).astype(np.float64)[..., None]
    offset_xy = np.stack([rx + off[:, 0].astype(np.float64) * codec.offset_norm,
                          ry + off[:, 1].astype(np.float64) * codec.offset_norm],
                         -1)
    rel_depth = off[:, 2] * np.float32(codec.depth_norm)
    rel_depth[..., r] = 0.  # Eq. 2: the root's depth relative to itself is 0
    ix = np.clip(np.rint(offset_xy[..., 0]), 0, w - 1).astype(np.int64)
    iy = np.clip(np.rint(offset_xy[..., 1]), 0, h - 1).astype(np.int64)
    heat = _take(heatmaps, (iy * w + ix).transpose(0, 2, 1))
    reads = []
    for name in ROOT_MAPS:
        m = (root_maps or {}).get(name)
        reads.append(_take(np.asarray(m, np.float32).reshape(B, 1, h * w),
                           root_index[:, None])[:, 0] if m is not None
                     else np.zeros((B, N), np.float32))
    paf = limb_paf_scores_np(pafs, cand_xy, cand_valid, offset_xy, codec)
    return dict(cand_xy=cand_xy, cand_score=cand_score,
                cand_valid=cand_valid, root_index=root_index,
                person_valid=person_valid,
                offset_xy=offset_xy.astype(np.float32), rel_depth=rel_depth,
                heat_at_offset=heat.transpose(0, 2, 1), paf_scores=paf,
                root_reads=np.stack(reads, 1))
