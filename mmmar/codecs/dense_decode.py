"""The dense stages of MAR's decode in torch, on the maps' device, batched.

:func:`dense_evidence` runs on a batch of network outputs (B, C, h, w)
wherever they are (GPU or CPU):

1. heatmap NMS (``max_pool2d``) and the peaks of every joint above its
   threshold, the ``M`` highest per joint (``topk``), sorted by descending
   value (ties: row-major pixel order), refined by a quarter pixel towards
   the higher neighbour;
2. the people = the first root candidates above ``decode_root_thr`` (at most
   ``decode_max_instances``); offsets, relative depths, root depth, sigmas and
   torso length read at their root pixels (Eq. 2); the heatmap value at each
   offset location;
3. the PAF line integrals of all limbs at once, from every possible start
   (the parent joint's candidates and the people's offset locations of it)
   to every child candidate that the grouping can consider
   (:func:`mmmar.codecs.paf_torch.limb_paf_scores`).

Only these small per-candidate / per-person tensors move to the host
(:func:`evidence_to_host`: one copy per batch, about 70 kB per image at 20
people), where :func:`mmmar.codecs.grouping.group_people` assembles the
people. This is the one implementation, for maps on any device (CPU
tensors included); with ``fixed_size=True`` it has static shapes (max-pool
NMS and ``topk`` instead of the sparse peak search, every PAF pair
integrated: no data-dependent sizes, no host synchronisation), which is
what the ONNX export includes in the graph
(``tools/deployment/export_onnx.py``). The plain numpy oracle the tests
compare it with is :func:`mmmar.testing.evidence_numpy`.
"""
from functools import lru_cache
from typing import Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from mmmar.structures.utils import to_numpy
from .grouping import ROOT_MAPS, DecodeEvidence
from .paf_torch import limb_paf_scores

#: Order of the tensors of :func:`dense_evidence` (and of the ONNX outputs).
EVIDENCE_FIELDS = ('cand_xy', 'cand_score', 'cand_valid', 'root_index',
                   'person_valid', 'offset_xy', 'rel_depth',
                   'heat_at_offset', 'paf_scores', 'root_reads')


@lru_cache(maxsize=None)
def window_offsets(kernel: int) -> np.ndarray:
    """(dx, dy) offsets of a ``kernel`` window, centre excluded (read-only,
    cached)."""
    r = kernel // 2
    off = np.array([(dx, dy) for dy in range(-r, r + 1)
                    for dx in range(-r, r + 1) if dx or dy], np.intp)
    off.setflags(write=False)
    return off


def _gather_flat(maps: Tensor, index: Tensor) -> Tensor:
    """``maps`` (B, C, h, w), ``index`` (B, C, n) flat pixel indices ->
    (B, C, n) values."""
    return maps.flatten(2).gather(-1, index)


def _peaks_dense(heatmaps: Tensor, thr: Tensor, kernel: int,
                 num: int) -> Tuple[Tensor, Tensor]:
    """Max-pool NMS + ``topk``: static shapes (export). The sort key is the
    value with ties broken by the pixel index (row-major first): the relative
    perturbation < 2e-8 never reorders distinct float32 values."""
    B, K_, h, w = heatmaps.shape
    mx = F.max_pool2d(heatmaps, kernel, stride=1, padding=kernel // 2)
    peak = ((heatmaps >= mx) & (heatmaps >= thr[:, None, None])).flatten(2)
    flat = heatmaps.flatten(2)
    pix = torch.arange(h * w, device=heatmaps.device, dtype=torch.float64)
    key = torch.where(peak, flat.double() * (1. - pix * 2e-14),
                      torch.full_like(flat, -1., dtype=torch.float64))
    key, index = key.topk(min(num, h * w), dim=-1)
    return index, key > -0.5


def _above(heatmaps: Tensor, thr: Tensor) -> Tensor:
    """Flat indices of the pixels at or above their channel's threshold."""
    return (heatmaps >= thr[:, None, None]).reshape(-1).nonzero()[:, 0]


def _peaks_sparse(heatmaps: Tensor, thr: Tensor, kernel: int,
                  cap: int) -> Tuple[Tensor, Tensor]:
    """The same peaks as :func:`_peaks_dense`, found sparsely (fast on
    CPUs): the pixels above their threshold are tested against their left
    and right, then upper and lower neighbours, then their whole ``kernel``
    window (clamped coordinates stay inside the window, so each test is
    exact). M = the most peaks of a joint (at most ``cap``); one host
    synchronisation."""
    B, K_, h, w = heatmaps.shape
    dev = heatmaps.device
    flat = heatmaps.reshape(-1)
    idx = _above(heatmaps, thr).to(dev)
    for step in (1, w):  # 1D maxima along x, then along y
        if step == 1:
            c, n = idx % w, w
        else:
            c, n = torch.div(idx, w, rounding_mode='floor') % h, h
        val = flat[idx]
        keep = (val >= flat[idx - step * (c > 0)]) & (
            val >= flat[idx + step * (c < n - 1)])
        idx = idx[keep]
    off = torch.tensor(window_offsets(kernel), dtype=torch.long, device=dev)
    x, y = idx % w, torch.div(idx, w, rounding_mode='floor') % h
    nx = (x[:, None] + off[:, 0]).clamp(0, w - 1)
    ny = (y[:, None] + off[:, 1]).clamp(0, h - 1)
    nb = flat[(idx - y * w - x)[:, None] + ny * w + nx]
    idx = idx[(flat[idx][:, None] >= nb).all(1)]
    ch = torch.div(idx, h * w, rounding_mode='floor')  # b * K + k
    val = flat[idx]
    # order: channel, value descending, pixel ascending (idx is ascending)
    order = torch.sort(-val, stable=True)[1]
    order = order[torch.sort(ch[order], stable=True)[1]]
    idx, ch = idx[order], ch[order]
    counts = torch.bincount(ch, minlength=B * K_)
    M = min(cap, int(counts.max())) if idx.numel() else 0
    first = torch.cumsum(counts, 0) - counts
    rank = torch.arange(idx.numel(), device=dev) - first[ch]
    keep = rank < M
    index = torch.zeros(B * K_, M, dtype=torch.long, device=dev)
    valid = torch.zeros(B * K_, M, dtype=torch.bool, device=dev)
    index[ch[keep], rank[keep]] = idx[keep] % (h * w)
    valid[ch[keep], rank[keep]] = True
    return index.reshape(B, K_, M), valid.reshape(B, K_, M)


def candidate_peaks(heatmaps: Tensor, codec, num: Optional[int] = None):
    """Heatmap peaks of every joint (step 1 of :func:`dense_evidence`):
    pixels that are the maximum of their ``decode_nms_kernel`` window and
    reach the joint's threshold, sorted by descending value (ties:
    row-major), refined by a quarter pixel towards the higher neighbour.

    Args:
        heatmaps (Tensor): (B, K, h, w) float32.
        codec: The :class:`MARCodec`.
        num (int, optional): Slots per joint M (static shapes: max-pool NMS
            and ``topk``). ``None``: as many as the joint with most peaks in
            the batch has, at most ``max(decode_max_candidates,
            decode_max_instances)`` (sparse NMS, one host synchronisation).

    Returns:
        tuple: ``xy`` (B, K, M, 2) refined heatmap px, ``score`` (B, K, M),
        ``valid`` (B, K, M) bool, ``index`` (B, K, M) flat pixel index.
    """
    B, K_, h, w = heatmaps.shape
    r = codec.root_index
    cap = max(codec.decode_max_candidates, codec.decode_max_instances)
    thr = torch.full((K_, ), float(codec.decode_candidate_thr),
                     device=heatmaps.device)
    thr[r] = min(codec.decode_candidate_thr, codec.decode_root_thr)
    if num is None:
        index, valid = _peaks_sparse(heatmaps, thr, codec.decode_nms_kernel,
                                     cap)
    else:
        index, valid = _peaks_dense(heatmaps, thr, codec.decode_nms_kernel,
                                    num)
    index = torch.where(valid, index, torch.zeros_like(index))  # empty: px 0
    flat = heatmaps.flatten(2)
    score = flat.gather(-1, index)
    x, y = index % w, torch.div(index, w, rounding_mode='floor')
    xl, xr = (x - 1).clamp(0, w - 1), (x + 1).clamp(0, w - 1)
    yu, yd = (y - 1).clamp(0, h - 1), (y + 1).clamp(0, h - 1)
    dx = torch.sign(flat.gather(-1, y * w + xr) - flat.gather(-1, y * w + xl))
    dy = torch.sign(flat.gather(-1, yd * w + x) - flat.gather(-1, yu * w + x))
    xy = torch.stack([x.float() + 0.25 * dx, y.float() + 0.25 * dy], -1)
    return xy, score, valid, index


def dense_evidence(heatmaps: Tensor,
                   pafs: Tensor,
                   offsets: Tensor,
                   codec,
                   root_maps: Optional[Dict[str, Optional[Tensor]]] = None,
                   fixed_size: bool = False) -> Dict[str, Tensor]:
    """The decode's dense stages for a batch, on the maps' device.

    Args:
        heatmaps (Tensor): (B, K, h, w).
        pafs (Tensor): (B, 2L, h, w).
        offsets (Tensor): (B, 3K, h, w), normalised as encoded.
        codec: The :class:`MARCodec` (decode parameters, root, limbs).
        root_maps (dict, optional): name (:data:`ROOT_MAPS`) -> (B, 1, h, w)
            map or None.
        fixed_size (bool): M = ``max(decode_max_candidates,
            decode_max_instances)`` slots per joint and N =
            ``decode_max_instances`` people slots whatever the maps hold (for
            export); else M is the largest peak count of the batch.

    Returns:
        dict: float32 / bool / int64 tensors (:data:`EVIDENCE_FIELDS`):
        ``cand_xy`` (B, K, M, 2), ``cand_score`` (B, K, M), ``cand_valid``
        (B, K, M), ``root_index`` (B, N) flat root pixels, ``person_valid``
        (B, N) (a prefix of the slots), ``offset_xy`` (B, N, K, 2),
        ``rel_depth`` (B, N, K) mm, ``heat_at_offset`` (B, N, K),
        ``paf_scores`` (B, L, M + N, M) and ``root_reads`` (B, 4, N) (the
        maps of :data:`ROOT_MAPS`, 0 where not given).
    """
    heatmaps, pafs, offsets = (t.float() for t in (heatmaps, pafs, offsets))
    B, K_, h, w = heatmaps.shape
    r = codec.root_index
    cap = max(codec.decode_max_candidates, codec.decode_max_instances)
    cand_xy, cand_score, cand_valid, index = candidate_peaks(
        heatmaps, codec, cap if fixed_size else None)
    M = cand_score.shape[-1]
    N = min(codec.decode_max_instances, M)
    root_index = index[:, r, :N]  # (B, N)
    person_valid = cand_valid[:, r, :N] & (cand_score[:, r, :N] >=
                                           codec.decode_root_thr)
    off = _gather_flat(offsets, root_index[:, None].expand(-1, 3 * K_, -1))
    off = off.reshape(B, 3, K_, N).permute(0, 1, 3, 2)  # (B, 3, N, K)
    rx = (root_index % w).double()[..., None]
    ry = torch.div(root_index, w, rounding_mode='floor').double()[..., None]
    offset_xy = torch.stack([rx + off[:, 0].double() * codec.offset_norm,
                             ry + off[:, 1].double() * codec.offset_norm], -1)
    not_root = torch.ones(K_, device=heatmaps.device)
    not_root[r] = 0.  # Eq. 2: the root's depth relative to itself is 0
    rel_depth = off[:, 2] * codec.depth_norm * not_root
    ix = offset_xy[..., 0].round().clamp(0, w - 1).long()
    iy = offset_xy[..., 1].round().clamp(0, h - 1).long()
    heat = _gather_flat(heatmaps, (iy * w + ix).transpose(1, 2))
    reads = []
    for name in ROOT_MAPS:
        m = (root_maps or {}).get(name)
        reads.append(
            _gather_flat(m.float().reshape(B, 1, h, w), root_index[:, None])
            [:, 0] if m is not None else torch.zeros_like(heat[:, 0]))
    paf = limb_paf_scores(pafs, cand_xy, cand_valid, offset_xy, codec,
                          prune=not fixed_size)
    return dict(cand_xy=cand_xy, cand_score=cand_score,
                cand_valid=cand_valid, root_index=root_index,
                person_valid=person_valid, offset_xy=offset_xy,
                rel_depth=rel_depth, heat_at_offset=heat.transpose(1, 2),
                paf_scores=paf, root_reads=torch.stack(reads, 1))


def evidence_to_host(dense: Dict[str, Tensor], heatmap_size,
                     root_maps_given=ROOT_MAPS) -> List[DecodeEvidence]:
    """Move :func:`dense_evidence`'s tensors to the host in ONE copy and split
    them into one :class:`DecodeEvidence` per image.

    Args:
        dense (dict): Output of :func:`dense_evidence` (torch tensors, or
            numpy arrays e.g. from onnxruntime).
        heatmap_size (tuple): (w, h).
        root_maps_given (Sequence[str]): The :data:`ROOT_MAPS` that were
            given (the others are left out of ``root_reads``).

    Returns:
        list[DecodeEvidence]: float32 fields as copied (no second cast), the
        candidate and offset locations as float64 (the grouping's precision),
        the indices and flags as integers / bools (exact: float32 holds
        integers below 2**24).
    """
    names = EVIDENCE_FIELDS
    if isinstance(dense['cand_xy'], Tensor):
        B = dense['cand_xy'].shape[0]
        flat = to_numpy(torch.cat([dense[k].reshape(B, -1).to(torch.float32)
                                   for k in names], 1))
        parts, o = {}, 0
        for k in names:
            n = dense[k][0].numel()
            parts[k] = flat[:, o:o + n].reshape((B, ) + dense[k].shape[1:])
            o += n
    else:
        parts = {k: np.asarray(dense[k]) for k in names}
    B, K_, M = parts['cand_score'].shape
    w = heatmap_size[0]
    out = []
    for b in range(B):
        N = int(parts['person_valid'][b].astype(bool).sum())
        ridx = parts['root_index'][b, :N].astype(np.int64)
        reads = {name: parts['root_reads'][b, i, :N]
                 for i, name in enumerate(ROOT_MAPS)
                 if name in root_maps_given}
        out.append(DecodeEvidence(
            cand_xy=parts['cand_xy'][b].astype(np.float64),
            cand_score=np.asarray(parts['cand_score'][b], np.float32),
            cand_valid=parts['cand_valid'][b].astype(bool),
            num_people=N,
            root_pix=np.stack([ridx % w, ridx // w], -1),
            offset_xy=parts['offset_xy'][b, :N].astype(np.float64),
            rel_depth=parts['rel_depth'][b, :N],
            heat_at_offset=parts['heat_at_offset'][b, :N],
            paf_scores=parts['paf_scores'][b, :, :M + N],
            root_reads=reads))
    return out


def transferred_bytes(dense: Dict[str, Tensor]) -> int:
    """Bytes that :func:`evidence_to_host` copies to the host (float32; for
    maps already on the host, what a device would copy)."""
    return 4 * sum(int(np.prod(dense[k].shape)) for k in EVIDENCE_FIELDS)
