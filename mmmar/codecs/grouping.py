"""Grouping of MAR's joint candidates into people (host side of the decode).

The dense stages of the decode (heatmap NMS, peak extraction, reading the
root offsets / depth / sigma maps at the roots, PAF line integrals) produce a
small :class:`DecodeEvidence` per image, on the maps' device
(:mod:`mmmar.codecs.dense_decode`; the tests' numpy oracle
:func:`mmmar.testing.evidence_numpy` gives the same). :func:`group_people` walks the
kinematic tree from the roots, parents first (all limbs at once from guessed
parent joints, then again those whose parent came out otherwise), and for
every limb assigns the child-joint candidates to the people with
:func:`~mmmar.codecs.assignment.assign_limb`, which uses all the evidence
the network gives:

- the PAF line integral from the person's parent joint to the candidate,
- the distance of the candidate to the position predicted by the person's
  root offsets (Eq. 2), relative to the gate,
- the candidate's heatmap peak value,
- the one-to-one constraint over the whole limb (an optimal assignment,
  ``scipy.optimize.linear_sum_assignment``, instead of greedy matching by
  PAF score alone, which hands a person a neighbour's joint when the
  neighbour's limb scores marginally higher).

:func:`people_from_evidence` turns the grouping into the codec's per-person
result arrays (Eq. 3 structured pose, relative depths, root depth).
"""
from typing import Dict, List, NamedTuple, Optional, Tuple

import numpy as np

from mmmar.geometry import focal_of
from .assignment import assign_limbs

#: The per-pixel maps read at the root pixels (``DecodeEvidence.root_reads``), in the order
#: of the dense decode's ``root_reads`` tensor.
ROOT_MAPS = ('root_depth', 'log_sigma_reg', 'log_sigma_geo', 'torso_length')


class DecodeEvidence(NamedTuple):
    """What the dense decode stages give the grouping, for ONE image (numpy).

    Joint candidates are the heatmap peaks of each joint, sorted by
    descending peak value (ties: row-major pixel order), padded to M slots;
    the people are the first N root candidates (``N <= M``). Coordinates are
    heatmap px.

    Attributes:
        cand_xy (np.ndarray): (K, M, 2) refined candidate locations.
        cand_score (np.ndarray): (K, M) peak values.
        cand_valid (np.ndarray): (K, M) bool, the slot holds a candidate.
        num_people (int): N.
        root_pix (np.ndarray): (N, 2) integer (x, y) root pixels.
        offset_xy (np.ndarray): (N, K, 2) root + offset joint locations.
        rel_depth (np.ndarray): (N, K) Z_k - Z_root, mm (root: 0).
        heat_at_offset (np.ndarray): (N, K) heatmap value at the rounded
            (clipped) ``offset_xy``.
        paf_scores (np.ndarray): (L, M + N, M) PAF line integral of limb l
            from start row r to the child candidate m; rows ``0..M-1`` start
            at the parent joint's candidates, rows ``M + i`` at person i's
            offset location of the parent joint.
        root_reads (dict): name -> (N,) values of the per-pixel maps
            (``root_depth``, ``log_sigma_reg``, ``log_sigma_geo``,
            ``torso_length``) read at the root pixels.
    """
    cand_xy: np.ndarray
    cand_score: np.ndarray
    cand_valid: np.ndarray
    num_people: int
    root_pix: np.ndarray
    offset_xy: np.ndarray
    rel_depth: np.ndarray
    heat_at_offset: np.ndarray
    paf_scores: np.ndarray
    root_reads: Dict[str, np.ndarray]


def structured_pose(offset_xy: np.ndarray, heatmap_xy: np.ndarray,
                    heatmap_score: np.ndarray,
                    threshold: float) -> Tuple[np.ndarray, np.ndarray]:
    """Eq. 3: the structured 2.5D pose's 2D part.

    Each joint takes its heatmap/PAF location when its heatmap peak value
    ``c_k >= threshold``, otherwise the root + offset location. (The
    relative depth always comes from the offsets.)

    Args:
        offset_xy (np.ndarray): Root + offset locations, shape (..., 2).
        heatmap_xy (np.ndarray): Assembled heatmap locations, shape (..., 2)
            (any value where no heatmap candidate was matched).
        heatmap_score (np.ndarray): Peak value of the matched candidate,
            0 where none, shape (...).
        threshold (float): The heatmap confidence threshold.

    Returns:
        tuple:
        - xy (np.ndarray): Chosen locations, shape (..., 2).
        - from_heatmap (np.ndarray): bool, shape (...).
    """
    from_heatmap = heatmap_score >= threshold
    return np.where(from_heatmap[..., None], heatmap_xy,
                    offset_xy), from_heatmap


def limb_pair_scores(paf_score: np.ndarray, dist: np.ndarray,
                     cand_score: np.ndarray, dist_weight: float,
                     dist_sigma: float,
                     heat_weight: float) -> Tuple[np.ndarray, np.ndarray]:
    """Evidence of pairing person i with candidate m of one limb.

    - ``link = paf_score + dist_weight * exp(-dist^2 / (2 dist_sigma^2))``:
      the evidence that the limb exists, from the PAF and from the root
      offsets (the closeness term is 1 at the offset-predicted location and
      fades within a few ``dist_sigma``);
    - ``score = link + heat_weight * cand_score``.

    Where the offsets are precise the closeness decides between candidates
    whose PAF integrals are alike or wrong (a neighbour's joint 1-3 px away;
    limbs of two people on the same pixels, whose PAF vectors are averaged
    and may cancel); where they are off by more than a few px it adds
    nothing and the PAF decides.

    Args:
        paf_score (np.ndarray): (N, M) PAF line integrals.
        dist (np.ndarray): (N, M) distance of each candidate to each person's
            offset-predicted joint, heatmap px.
        cand_score (np.ndarray): (M,) heatmap peak values (or any shape
            that broadcasts against ``paf_score``).
        dist_weight (float), dist_sigma (float), heat_weight (float): Weights
            of the terms and the scale of the distance, heatmap px.

    Returns:
        tuple: ``link`` and ``score``, (N, M) each.
    """
    link = paf_score + dist_weight * np.exp(-0.5 * (dist / dist_sigma)**2)
    return link, link + heat_weight * cand_score


def limb_levels(limbs: np.ndarray) -> List[np.ndarray]:
    """The limbs grouped by the depth of their parent joint in the kinematic
    tree (root first): the limbs of one level only need the joints that the
    previous levels assembled (:class:`TreePlan`: the depth bounds the
    rounds of :func:`group_people`).

    Args:
        limbs (np.ndarray): (L, 2) (parent, child), parents first.

    Returns:
        list[np.ndarray]: limb indices per level.
    """
    depth, level = {}, []
    for p, c in np.asarray(limbs).reshape(-1, 2):
        level.append(depth.get(int(p), 0))
        depth[int(c)] = level[-1] + 1
    level = np.asarray(level, np.intp)
    return [np.flatnonzero(level == d) for d in range(level.max() + 1)] \
        if level.size else []


class TreePlan(NamedTuple):
    """How :func:`group_people` holds a skeleton: one state row per limb,
    the row of its child joint, in level order (:func:`limb_levels`), then
    the root.

    Attributes:
        depth (int): Number of tree levels (rounds that always suffice).
        limb (np.ndarray): (L,) limb index of each row.
        child (np.ndarray): (L,) the row's joint (the limb's child).
        parent_row (np.ndarray): (L,) the row of the limb's parent joint
            (``L`` = the root).
    """
    depth: int
    limb: np.ndarray
    child: np.ndarray
    parent_row: np.ndarray


def tree_plan(limbs: np.ndarray, root: int) -> TreePlan:
    """The :class:`TreePlan` of a skeleton (``MARCodec`` builds it once).

    Args:
        limbs (np.ndarray): (L, 2) (parent, child), parents first, a tree
            from ``root``.
        root (int): The root joint.
    """
    arr = np.asarray(limbs, np.intp).reshape(-1, 2)
    levels = limb_levels(arr)
    order = np.concatenate(levels) if levels else np.zeros(0, np.intp)
    child = arr[order, 1]
    row_of = {int(j): i for i, j in enumerate(child)}
    row_of[int(root)] = len(order)
    parent_row = np.array([row_of[int(j)] for j in arr[order, 0]], np.intp)
    return TreePlan(len(levels), order, child, parent_row)


def group_people(ev: DecodeEvidence, codec) -> Dict[str, np.ndarray]:
    """Assemble people along the kinematic tree (parents first).

    For each limb (parent p, child c) and each person the start is the
    person's assembled parent joint (a heatmap candidate, or the offset
    location when Eq. 3 chose it). Candidates of c farther than
    ``max(decode_gate_px, decode_gate_ratio * predicted limb length)`` from
    the offset-predicted joint, with a peak below ``decode_candidate_thr``
    or whose limb evidence (PAF integral + closeness to the offset-predicted
    joint, ``link`` of :func:`limb_pair_scores` with ``decode_dist_weight``
    and ``decode_dist_sigma``) is below ``decode_paf_thr`` are not allowed;
    the others are scored (``score`` of :func:`limb_pair_scores`, with
    ``decode_heat_weight``) and assigned by :func:`~.assignment.assign_limb`. Eq. 3
    (:func:`structured_pose`) then picks the heatmap or the offset
    location.

    All limbs are treated at once, speculatively: every non-root joint is
    first guessed as a parent (its candidate nearest to the offset
    location if within ``decode_gate_px`` and at least
    ``decode_keypoint_thr``, else the offset location); the limbs whose
    parent joint then came out otherwise are treated again, until none is
    left. A limb done with its parent's final joint is final, so the result
    is that of going down the tree level by level (:func:`limb_levels`:
    level k is final after k + 1 rounds), in one or two rounds on good maps.

    Args:
        ev (DecodeEvidence): The image's evidence.
        codec: The :class:`MARCodec` (decode parameters, root, limbs).

    Returns:
        dict: ``xy`` (N, K, 2) heatmap px, ``heatmap_score`` (N, K) matched
        peak value (0 where none), ``from_heatmap`` (N, K) bool.
    """
    N = ev.num_people
    K, M = ev.cand_score.shape
    if N == 0:
        return dict(xy=np.zeros((0, K, 2)), heatmap_score=np.zeros((0, K)),
                    from_heatmap=np.zeros((0, K), bool))
    plan = codec._tree
    a = _start_assembly(ev, codec, plan)
    L = len(plan.child)
    used = np.full((L, N), -2, np.intp)  # the parent rows a limb was done with
    todo = np.arange(L)
    for _ in range(plan.depth + 1):  # level k is final after k + 1 rounds
        used[todo] = _assemble_limbs(ev, codec, a, todo)
        # again: the limbs whose parent is not what they were done with
        todo = np.flatnonzero((a.start_row[plan.parent_row] != used).any(1))
        if not todo.size:
            break
    joint = np.append(plan.child, codec.root_index)
    out = dict(xy=np.zeros((N, K, 2)), heatmap_score=np.zeros((N, K)),
               from_heatmap=np.zeros((N, K), bool))
    out['xy'][:, joint] = a.xy.transpose(1, 0, 2)
    out['heatmap_score'][:, joint] = a.hm_score.T
    out['from_heatmap'][:, joint] = a.from_hm.T
    return out


class _Assembly(NamedTuple):
    """:func:`group_people`'s arrays for one image: the state of every row
    of the :class:`TreePlan` (L + 1, N, ...), and what does not depend on
    the assembled parents, per limb (L, N, M) or (L, 1, M)."""
    plan: TreePlan
    pred: np.ndarray  # (L + 1, N, 2) offset locations of the row's joint
    xy: np.ndarray  # (L + 1, N, 2) the assembled joint (Eq. 3)
    hm_score: np.ndarray  # (L + 1, N) matched peak value, 0 where none
    from_hm: np.ndarray  # (L + 1, N) Eq. 3 chose the heatmap location
    match: np.ndarray  # (L + 1, N) matched candidate or -1
    start_row: np.ndarray  # (L + 1, N) paf_scores row of the joint as a parent
    cand_ok: np.ndarray  # (L, 1, M) usable candidates of the child joint
    dist: np.ndarray  # (L, N, M) candidate to offset location, heatmap px
    link0: np.ndarray  # (L, N, M) closeness terms of limb_pair_scores
    score0: np.ndarray


def _start_assembly(ev: DecodeEvidence, codec, plan: TreePlan) -> _Assembly:
    """The root rows (the people's root peaks), the limb evidence that does
    not depend on the parents, and every other joint guessed as a parent:
    its candidate nearest to the offset location if within
    ``decode_gate_px`` and at least ``decode_keypoint_thr``, else the
    offset location."""
    N, M, r = ev.num_people, ev.cand_score.shape[1], codec.root_index
    L, c, people = len(plan.child), plan.child, np.arange(N)
    pred = ev.offset_xy[:, np.append(c, r)].transpose(1, 0, 2)
    a = _Assembly(plan, pred, np.empty((L + 1, N, 2)), np.empty((L + 1, N)),
                  np.empty((L + 1, N), bool), np.empty((L + 1, N), np.intp),
                  np.empty((L + 1, N), np.intp),
                  *_limb_evidence(ev, codec, c, pred[:L]))
    a.xy[L], a.hm_score[L] = ev.cand_xy[r, :N], ev.cand_score[r, :N]
    a.from_hm[L] = True
    a.match[L] = a.start_row[L] = people
    near = np.where(a.cand_ok, a.dist, np.inf).argmin(2)  # (L, N)
    guess = (np.take_along_axis(a.dist, near[..., None], 2)[..., 0] <=
             codec.decode_gate_px) & (ev.cand_score[c[:, None], near] >=
                                      codec.decode_keypoint_thr)
    a.start_row[:L] = np.where(guess, near, M + people)
    a.xy[:L] = np.where(guess[..., None], ev.cand_xy[c[:, None], near],
                        pred[:L])
    return a


def _limb_evidence(ev: DecodeEvidence, codec, c: np.ndarray,
                   pred: np.ndarray) -> tuple:
    """``cand_ok``, ``dist``, ``link0``, ``score0`` of :class:`_Assembly`
    for the child joints ``c`` (L,) with offset locations ``pred``."""
    cand_ok = (ev.cand_valid[c] &
               (ev.cand_score[c] >= codec.decode_candidate_thr))[:, None]
    d = ev.cand_xy[c][:, None] - pred[:, :, None]  # (L, N, M, 2)
    dist = np.sqrt(d[..., 0]**2 + d[..., 1]**2)
    link0, score0 = limb_pair_scores(
        0., dist, ev.cand_score[c][:, None], codec.decode_dist_weight,
        codec.decode_dist_sigma, codec.decode_heat_weight)
    return cand_ok, dist, link0, score0


def _assemble_limbs(ev: DecodeEvidence, codec, a: _Assembly,
                    todo: np.ndarray) -> np.ndarray:
    """Assign the child candidates of the limbs ``todo`` (rows of
    ``a.plan``) from their parents' current rows, update those rows, and
    return the parent rows used (D, N)."""
    plan, N, M = a.plan, ev.num_people, ev.cand_score.shape[1]
    pr, cc = plan.parent_row[todo], plan.child[todo][:, None]
    rows = a.start_row[pr]
    paf = ev.paf_scores[plan.limb[todo][:, None], rows]  # (D, N, M)
    d = a.pred[todo] - a.xy[pr]  # the predicted limb, from the parent
    gate = np.maximum(
        codec.decode_gate_px,
        codec.decode_gate_ratio * np.sqrt(d[..., 0]**2 + d[..., 1]**2))
    allowed = a.cand_ok[todo] & (a.dist[todo] <= gate[..., None])
    m = assign_limbs(a.score0[todo] + paf, allowed &
                     (a.link0[todo] + paf >= codec.decode_paf_thr))
    got = m >= 0
    m0 = np.maximum(m, 0)
    a.hm_score[todo] = np.where(got, ev.cand_score[cc, m0], 0.)
    hm_xy = np.where(got[..., None], ev.cand_xy[cc, m0], 0.)
    a.match[todo] = m
    a.xy[todo], a.from_hm[todo] = structured_pose(
        a.pred[todo], hm_xy, a.hm_score[todo], codec.decode_keypoint_thr)
    a.start_row[todo] = np.where(a.from_hm[todo], m, M + np.arange(N))
    return rows


def people_from_evidence(ev: DecodeEvidence, codec,
                         K: Optional[np.ndarray] = None) -> Dict[str, np.ndarray]:
    """The codec's decode result of one image from its evidence (see
    :meth:`MARCodec.decode` for the fields)."""
    N = ev.num_people
    r = codec.root_index
    g = group_people(ev, codec)
    pos, from_hm = g['xy'], g['from_heatmap']
    kscore = np.where(from_hm, g['heatmap_score'], ev.heat_at_offset)
    scale = codec.scale_factor
    results = dict(
        keypoints=(pos * scale).astype(np.float32),
        keypoint_scores=kscore.astype(np.float32),
        keypoints_rel_depth=np.asarray(ev.rel_depth, np.float32),
        from_heatmap=from_hm,
        roots=(pos[:, r] * scale).astype(np.float32),
        keypoints_offset=(ev.offset_xy * scale).astype(np.float32),
        root_scores=np.asarray(ev.cand_score[r, :N], np.float32),
        scores=kscore.mean(1).astype(np.float32)
        if N else np.zeros(0, np.float32))
    reads = ev.root_reads
    # the root_depth map is the normalised regression depth Z_reg / focal_of(K)
    results['root_depth_reg_norm'] = np.asarray(
        reads.get('root_depth', np.zeros(N, np.float32)), np.float32)
    if K is not None:
        results['root_depth_reg'] = (results['root_depth_reg_norm'] * focal_of(
            np.asarray(K, np.float64))).astype(np.float32)
    for name in ('log_sigma_reg', 'log_sigma_geo', 'torso_length'):
        if name in reads:  # float32 already: no copy
            results[name] = np.asarray(reads[name], np.float32)
    return results
