"""PAF line integrals in torch, batched over images and limbs, on the maps'
device (the dense decode stage of :mod:`mmmar.codecs.dense_decode`).

Same definition as the numpy oracle :func:`mmmar.testing.paf_pair_scores`:
``E = mean_s <F(p_s), unit(end - start)>`` over ``num_samples`` points
evenly spaced on the segment, nearest pixel (clipped to the map), segments
shorter than :data:`~mmmar.codecs.paf.MIN_LIMB_LENGTH` score 1. Sample
points are computed in float64 so that they round to the same pixels as the
reference.
"""
import torch
from torch import Tensor

from .paf import GATE_SLACK, MIN_LIMB_LENGTH


def _segment_scores(pafs: Tensor, channel: Tensor, starts: Tensor,
                    ends: Tensor, num_samples: int) -> Tensor:
    """Line integrals of P segments; ``channel`` (P,) is the index of each
    segment's x channel in ``pafs.reshape(-1, h, w)`` (y is the next one);
    ``starts``, ``ends`` (P, 2). Any leading shape of P works."""
    h, w = pafs.shape[-2:]
    starts, ends = starts.double(), ends.double()
    vec = ends - starts
    length = vec.norm(dim=-1)
    unit = (vec / length.clamp(min=MIN_LIMB_LENGTH)[..., None]).float()
    t = torch.linspace(0., 1., num_samples, device=pafs.device,
                       dtype=torch.float64)
    px = (starts[..., None, 0] + t * vec[..., None, 0]).round().clamp(
        0, w - 1).long()
    py = (starts[..., None, 1] + t * vec[..., None, 1]).round().clamp(
        0, h - 1).long()
    flat = pafs.reshape(-1)
    idx = channel[..., None] * (h * w) + py * w + px
    score = (flat[idx] * unit[..., None, 0] +
             flat[idx + h * w] * unit[..., None, 1]).mean(-1)
    return torch.where(length > MIN_LIMB_LENGTH, score,
                       torch.ones_like(score))


def paf_scores_batched(pafs: Tensor, starts: Tensor, ends: Tensor,
                       num_samples: int) -> Tensor:
    """PAF line integrals of every (start, end) pair of every limb.

    Args:
        pafs (Tensor): (B, 2L, h, w).
        starts (Tensor): (B, L, R, 2) heatmap px.
        ends (Tensor): (B, L, M, 2) heatmap px.
        num_samples (int): Samples per segment.

    Returns:
        Tensor: (B, L, R, M) scores.
    """
    B, L, R = starts.shape[:3]
    M = ends.shape[2]
    chan = (torch.arange(B, device=pafs.device)[:, None] * (2 * L) +
            2 * torch.arange(L, device=pafs.device))  # (B, L)
    return _segment_scores(
        pafs, chan[:, :, None, None].expand(B, L, R, M),
        starts[:, :, :, None].expand(B, L, R, M, 2),
        ends[:, :, None].expand(B, L, R, M, 2), num_samples)


def gate_bounds(offset_xy: Tensor, root_xy: Tensor, codec) -> Tensor:
    """Upper bounds of every person's distance gate, joint by joint.

    In :func:`mmmar.codecs.grouping.group_people` the candidates of joint c
    must lie within ``gate_c = max(gate_px, ratio * |o_c - s|)`` of the
    offset location ``o_c``, where the start ``s`` (the assembled parent p)
    is ``o_p`` or a candidate within ``gate_p`` of it, and the root's start
    is the root peak. Hence ``gate_c <= G_c = max(gate_px, ratio *
    (|o_c - o_p| + G_p))`` with ``G_root = |root peak - o_root|``; also
    ``|assembled p - o_p| <= G_p``.

    Args:
        offset_xy (Tensor): (B, N, K, 2) offset locations.
        root_xy (Tensor): (B, N, 2) refined root peaks.
        codec: The :class:`MARCodec`.

    Returns:
        Tensor: (B, N, K) bounds (+ :data:`GATE_SLACK`), heatmap px.
    """
    limbs = torch.as_tensor(codec._limbs, device=offset_xy.device)
    p, c = limbs[:, 0], limbs[:, 1]
    length = (offset_xy[:, :, c] - offset_xy[:, :, p]).norm(dim=-1)
    G = torch.zeros(offset_xy.shape[:-1], dtype=offset_xy.dtype,
                    device=offset_xy.device)
    G[..., codec.root_index] = (root_xy.to(offset_xy.dtype) -
                                offset_xy[:, :, codec.root_index]).norm(dim=-1)
    for _ in range(codec._tree.depth):  # one tree level per round
        G[..., c] = (codec.decode_gate_ratio * (length + G[..., p])).clamp(
            min=codec.decode_gate_px)
    return G + GATE_SLACK


def limb_paf_scores(pafs: Tensor, cand_xy: Tensor, cand_valid: Tensor,
                    offset_xy: Tensor, codec, prune: bool = True) -> Tensor:
    """PAF integrals of every limb from every start row (the parent's M
    candidates, then the N people's offset locations of the parent) to the
    child's M candidates: (B, L, M + N, M).

    With ``prune`` only the pairs the grouping can consider are integrated
    (a start within the :func:`gate_bounds` of a person's parent, an end
    within the bound of the same person's child; the others are ``-inf``,
    never read): on crowds about ten times fewer samples. Without it every
    pair is (static shapes, for export).

    Args:
        pafs (Tensor): (B, 2L, h, w).
        cand_xy (Tensor): (B, K, M, 2) candidates, heatmap px.
        cand_valid (Tensor): (B, K, M) bool.
        offset_xy (Tensor): (B, N, K, 2) the people's offset locations.
        codec: The :class:`MARCodec`.
        prune (bool): Integrate the needed pairs only. Defaults to True.

    Returns:
        Tensor: (B, L, M + N, M) float32.
    """
    limbs = torch.as_tensor(codec._limbs, device=pafs.device)
    p, c = limbs[:, 0], limbs[:, 1]
    B, K_, M = cand_valid.shape
    N = offset_xy.shape[1]
    L = len(limbs)
    starts = torch.cat([cand_xy[:, p].double(),
                        offset_xy[:, :, p].transpose(1, 2).double()], 2)
    ends = cand_xy[:, c]
    S = codec.decode_paf_samples
    if not prune:
        return paf_scores_batched(pafs, starts, ends, S)
    G = gate_bounds(offset_xy, cand_xy[:, codec.root_index, :N], codec)
    # (B, L, N, M): candidate of the parent / child near person n's
    o_p = offset_xy[:, :, p].transpose(1, 2)[:, :, :, None]
    o_c = offset_xy[:, :, c].transpose(1, 2)[:, :, :, None]
    near_p = ((cand_xy[:, p][:, :, None] - o_p).norm(dim=-1) <=
              G[:, :, p].transpose(1, 2)[..., None]) & cand_valid[:, p, None]
    near_c = ((cand_xy[:, c][:, :, None] - o_c).norm(dim=-1) <=
              G[:, :, c].transpose(1, 2)[..., None]) & cand_valid[:, c, None]
    own = torch.eye(N, dtype=torch.bool, device=pafs.device).expand(
        B, L, N, N)
    start_ok = torch.cat([near_p, own], -1)  # (B, L, N, M + N)
    # need[r, m] = any_n start_ok[n, r] & near_c[n, m], as a small matmul
    need = torch.matmul(start_ok.transpose(2, 3).float(), near_c.float()) > 0
    b, l, r, m = need.nonzero(as_tuple=True)
    out = torch.full((B, L, M + N, M), float('-inf'), device=pafs.device)
    out[b, l, r, m] = _segment_scores(pafs, b * (2 * L) + 2 * l,
                                      starts[b, l, r], ends[b, l, m], S)
    return out
