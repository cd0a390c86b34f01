"""MuPoTS-3D multi-person evaluation rules, one function each, as the official MATLAB code.

Plain numpy (no mmengine / mmpose / torch), so arrays from any method can be scored.

Sources of the rules
--------------------
* ``mpii_mupots_multiperson_eval.m`` (MuPoTS-3D release) and the helpers it calls:
  ``mpii_multiperson_get_identity_matching.m`` (greedy 2D matching, :func:`match_people`),
  ``mpii_map_to_gt_bone_lengths.m`` (bone rescaling, :func:`rescale_to_gt_bones`),
  ``mpii_get_joint_set('relevant')`` (``joint_parents_o1``, :data:`EVAL_PARENTS`),
  ``mpii_evaluate_multiperson_errors.m`` (3DPCK, AUC: :func:`pck_scores`).
* PCK_root and PCOD as in SMAP's extension of that script (``cal_ordinal.m``, threshold 300 mm,
  :func:`pcod_correct`; ``PCK15`` with ``<= 150`` pooled over all sequences).

Per frame, :func:`match_frame` puts the matched predictions in ground-truth order; per
sequence, :func:`score_sequence` gives every score of one sequence. The composition over a
whole data set is :func:`mmmar.evaluation.functional.evaluate_mupots`.
"""
from collections import OrderedDict
from typing import Dict, Sequence, Tuple

import numpy as np

from mmmar.structures.skeleton import ROOT

#: Parents used by the official evaluation for bone rescaling (0-based). From
#: ``mpii_get_joint_set('relevant')``: ``joint_parents_o1 = [2 16 2 3 4 2 6 7 15 9 10 15 12 13
#: 15 15 2]`` (1-based). It differs from :data:`mmmar.structures.skeleton.PARENTS` in one place:
#: head_top (0) hangs from the **neck** (1) here, from head (16) in the model's skeleton.
#: The pelvis is its own parent (never rescaled).
EVAL_PARENTS = (1, 15, 1, 2, 3, 1, 5, 6, 14, 8, 9, 14, 11, 12, 14, 14, 1)

#: Order in which bones are rescaled: ``safe_traversal_order(2:end)`` of the official script,
#: ``[15 16 2 1 17 3 4 ... 14]`` (1-based) without its first entry (the pelvis). Every joint
#: comes after its parent in :data:`EVAL_PARENTS`.
EVAL_TRAVERSAL = (15, 1, 0, 16, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13)

#: Joints compared in the 2D matching: neck..left ankle (``matching_joints = 2:14``, 1-based).
MATCH_JOINTS = tuple(range(1, 14))
MATCH_THR = 40.0  # px, |dx| < thr and |dy| < thr (strict)
PCK_THR = 150.0  # mm, error < thr (strict)
ROOT_THR = 150.0  # mm, pelvis error <= thr (non-strict, SMAP's PCK15 column)
PCOD_THR = 300.0  # mm, both depth gaps < thr counts as agreeing
AUC_THRESHOLDS = tuple(float(t) for t in range(0, 151, 5))  # 31 thresholds
#: Coordinate given to an unmatched ground-truth person (official: ``100000 * ones``).
MISSED_VALUE = 100000.0

#: The four 3DPCK / AUC modes: root-relative or absolute, all or matched people.
PCK_MODES = ('rel_all', 'abs_all', 'rel_matched', 'abs_matched')
#: People evaluated: all valid ground-truth people (missed = wrong), or the matched ones.
PEOPLE_MODES = ('all', 'matched')


# --------------------------------------------------------------------------------------------
# the three official building blocks
# --------------------------------------------------------------------------------------------
def match_people(gt_2d: np.ndarray, pred_2d: np.ndarray, thr: float = MATCH_THR,
                 joints: Sequence[int] = MATCH_JOINTS) -> np.ndarray:
    """Official 2D identity matching (``mpii_multiperson_get_identity_matching``).

    Greedy in ground-truth order: ground-truth person g takes the still unmatched prediction
    with the most joints (among ``joints``) inside the box |dx| < thr and |dy| < thr; ties go to
    the lowest prediction index; a score of 0 leaves g unmatched. A predicted joint at exactly
    (0, 0) is ignored (the official "visibility"); every ground-truth joint counts.

    Args:
        gt_2d: (G, 17, 2) px. pred_2d: (P, 17, 2) px.
    Returns:
        (G,) int64, the matched prediction index or -1.
    """
    G, P = len(gt_2d), len(pred_2d)
    match = -np.ones(G, dtype=np.int64)
    if G == 0 or P == 0:
        return match
    jj = list(joints)
    g = np.asarray(gt_2d, dtype=np.float64)[:, jj, :2]
    p = np.asarray(pred_2d, dtype=np.float64)[:, jj, :2]
    d = np.abs(g[:, None] - p[None])  # (G, P, J, 2)
    inside = (d[..., 0] < thr) & (d[..., 1] < thr)
    pred_vis = ~((p[..., 0] == 0) & (p[..., 1] == 0))  # (P, J)
    score = (inside & pred_vis[None]).sum(-1)  # (G, P)
    used = np.zeros(P, dtype=bool)
    for gi in range(G):
        s = np.where(used, -1, score[gi])
        j = int(np.argmax(s))  # first maximum = lowest index
        if s[j] > 0:
            match[gi] = j
            used[j] = True
    return match


def rescale_to_gt_bones(pred: np.ndarray, gt: np.ndarray,
                        parents: Sequence[int] = EVAL_PARENTS,
                        order: Sequence[int] = EVAL_TRAVERSAL) -> np.ndarray:
    """``mpii_map_to_gt_bone_lengths``, vectorised over people.

    Walking ``order`` outward from the pelvis, joint j is put at (already mapped parent) +
    (predicted bone direction j - parent(j)) * |gt bone|. The pelvis is left where it is.
    A zero-length predicted bone gives NaN there (as in MATLAB; scored as wrong).

    Args:
        pred, gt: (N, 17, 3). Returns (N, 17, 3).
    """
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    out = pred.copy()
    with np.errstate(divide='ignore', invalid='ignore'):
        for j in order:
            p = parents[j]
            gt_len = np.linalg.norm(gt[:, j] - gt[:, p], axis=-1)
            vec = pred[:, j] - pred[:, p]
            scale = gt_len / np.linalg.norm(vec, axis=-1)
            out[:, j] = out[:, p] + vec * scale[:, None]
    return out


def pcod_correct(gt_depth_a, gt_depth_b, pred_depth_a, pred_depth_b,
                 thr: float = PCOD_THR) -> np.ndarray:
    """SMAP's ``cal_ordinal`` (``ordi >= 0``): the pair is correct when the ground-truth and
    predicted depth orders agree (product of the gaps > 0), or when both gaps are < thr."""
    dg = np.asarray(gt_depth_a, np.float64) - np.asarray(gt_depth_b, np.float64)
    dp = np.asarray(pred_depth_a, np.float64) - np.asarray(pred_depth_b, np.float64)
    with np.errstate(invalid='ignore'):
        return (dg * dp > 0) | ((np.abs(dg) < thr) & (np.abs(dp) < thr))


# --------------------------------------------------------------------------------------------
# per frame
# --------------------------------------------------------------------------------------------
def match_frame(gt_2d: np.ndarray, gt_3d: np.ndarray, pred_2d: np.ndarray,
                pred_3d: np.ndarray, thr: float = MATCH_THR) -> Tuple[np.ndarray, np.ndarray]:
    """Match one frame (:func:`match_people`) and put the predictions in ground-truth order.

    Args:
        gt_2d, gt_3d: (G, 17, 2) px and (G, 17, 3) mm of the valid ground-truth people.
        pred_2d, pred_3d: (P, 17, 2) px and (P, 17, 3) mm.
        thr: Matching box half-size in px.

    Returns:
        tuple: ``(pred_for_gt, matched)``: (G, 17, 3) the matched prediction of each
        ground-truth person (NaN where missed) and (G,) bool.
    """
    m = match_people(gt_2d, pred_2d, thr=thr)
    matched = m >= 0
    pred_for_gt = np.full_like(gt_3d, np.nan)
    pred_for_gt[matched] = pred_3d[m[matched]]
    return pred_for_gt, matched


# --------------------------------------------------------------------------------------------
# per sequence
# --------------------------------------------------------------------------------------------
def joint_errors(gt_3d: np.ndarray, pred_3d: np.ndarray, matched: np.ndarray,
                 rescale_bones: bool = True) -> Tuple[np.ndarray, Dict[str, np.ndarray], int]:
    """Per-joint errors of every ground-truth person, a missed one scored at
    :data:`MISSED_VALUE` (official: 100000 in every coordinate, not root-centred).

    Args:
        gt_3d: (N, 17, 3) mm. pred_3d: (N, 17, 3) mm in ground-truth order (rows of missed
            people are ignored). matched: (N,) bool.
        rescale_bones: Map each matched prediction to the ground-truth bone lengths first.

    Returns:
        tuple: ``(pred, err, num_nonfinite)``: the scored (N, 17, 3) prediction; ``err =
        {'abs': (N, 17), 'rel': (N, 17)}`` mm with NaN (a degenerate bone) as inf, i.e. a
        wrong joint; the number of non-finite joints of matched people after rescaling.
    """
    p = pred_3d.copy()
    if rescale_bones and matched.sum():
        p[matched] = rescale_to_gt_bones(pred_3d[matched], gt_3d[matched])
    num_nonfinite = int((~np.isfinite(p[matched])).any(-1).sum())
    p[~matched] = MISSED_VALUE
    err = {}
    with np.errstate(invalid='ignore'):
        err['abs'] = np.linalg.norm(p - gt_3d, axis=-1)
        p_rel = p - p[:, ROOT:ROOT + 1]
        p_rel[~matched] = MISSED_VALUE  # the missed pose is not centred (official)
        err['rel'] = np.linalg.norm(p_rel - (gt_3d - gt_3d[:, ROOT:ROOT + 1]), axis=-1)
    for k in err:  # NaN (degenerate bone) -> wrong joint
        err[k] = np.where(np.isfinite(err[k]), err[k], np.inf)
    return p, err, num_nonfinite


def pck_scores(err: np.ndarray, pck_thr: float = PCK_THR,
               thresholds: Sequence[float] = AUC_THRESHOLDS) -> Tuple:
    """3DPCK, AUC and per-joint 3DPCK (percent) of (N, J) joint errors; Nones when N = 0."""
    if len(err) == 0:
        return None, None, None
    hit = err < pck_thr
    auc = (err[..., None] < np.asarray(thresholds, dtype=np.float64)).mean() * 100
    return float(hit.mean() * 100), float(auc), (hit.mean(0) * 100).tolist()


def pcod_pairs(gt_depth: np.ndarray, pred_depth: np.ndarray, frame_idx: np.ndarray,
               thr: float = PCOD_THR) -> Tuple[int, int]:
    """Count the PCOD-correct pairs (:func:`pcod_correct`) among the people of each frame.

    Args:
        gt_depth, pred_depth: (N,) root depths in mm. frame_idx: (N,) frame of each person;
            the rows of a frame are contiguous.
        thr: PCOD threshold in mm.

    Returns:
        tuple: ``(num_correct, num_pairs)``.
    """
    corr, total = 0, 0
    for k in range(1, len(frame_idx)):
        same = frame_idx[k:] == frame_idx[:-k]
        if not same.any():
            break
        a, b = np.nonzero(same)[0] + k, np.nonzero(same)[0]
        c = pcod_correct(gt_depth[a], gt_depth[b], pred_depth[a], pred_depth[b], thr)
        corr += int(c.sum())
        total += len(c)
    return corr, total


def score_sequence(gt_3d: np.ndarray, pred_3d: np.ndarray, matched: np.ndarray,
                   frame_idx: np.ndarray, pck_joints: Sequence[int],
                   rescale_bones: bool = True, pck_thr: float = PCK_THR,
                   root_thr: float = ROOT_THR, pcod_thr: float = PCOD_THR,
                   thresholds: Sequence[float] = AUC_THRESHOLDS) -> Tuple:
    """Every score of one sequence.

    Args:
        gt_3d, pred_3d, matched, frame_idx: the sequence's people (N of them) as in
            :func:`joint_errors` and :func:`pcod_pairs`.
        pck_joints: Joints scored by 3DPCK / AUC / MPJPE.
        other: see :func:`joint_errors` and the module thresholds.

    Returns:
        tuple: ``(row, root_ok, num_nonfinite)``: ``row`` = OrderedDict ``num_people,
        num_matched, PCK_/AUC_/per_joint_PCK_{rel,abs}_{all,matched}`` (raw per-joint lists),
        ``PCK_root_*, PCOD_*, num_pairs_*, MPJPE_rel, MPJPE_abs`` (None where undefined);
        ``root_ok = {'all': (N,) bool, 'matched': (M,) bool}`` for pooling PCK_root.
    """
    n, nm, jj = len(gt_3d), int(matched.sum()), list(pck_joints)
    p, err, num_nonfinite = joint_errors(gt_3d, pred_3d, matched, rescale_bones)
    select = dict(all=np.ones(n, bool), matched=matched)
    row = OrderedDict(num_people=n, num_matched=nm)
    for space in ('rel', 'abs'):
        for mode in PEOPLE_MODES:
            key = f'{space}_{mode}'
            row[f'PCK_{key}'], row[f'AUC_{key}'], row[f'per_joint_PCK_{key}'] = pck_scores(
                err[space][select[mode]][:, jj], pck_thr, thresholds)
    root_ok = {}
    for mode in PEOPLE_MODES:
        sel = select[mode]
        root_ok[mode] = r = err['abs'][sel, ROOT] <= root_thr
        row[f'PCK_root_{mode}'] = float(r.mean() * 100) if len(r) else None
        corr, total = pcod_pairs(gt_3d[sel, ROOT, 2], p[sel, ROOT, 2], frame_idx[sel], pcod_thr)
        row[f'PCOD_{mode}'] = corr / total * 100 if total else None
        row[f'num_pairs_{mode}'] = total
    for space in ('rel', 'abs'):
        e = err[space][matched][:, jj]
        e = e[np.isfinite(e)]
        row[f'MPJPE_{space}'] = float(e.mean()) if e.size else None
    return row, root_ok, num_nonfinite
