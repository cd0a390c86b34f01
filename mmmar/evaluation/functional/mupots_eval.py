"""MuPoTS-3D multi-person evaluation, rule for rule as the official MATLAB code.

Plain numpy (no mmengine / mmpose / torch), so arrays from any method can be scored.

Sources of the rules
--------------------
* ``mpii_mupots_multiperson_eval.m`` (MuPoTS-3D release) and the helpers it calls:
  ``mpii_multiperson_get_identity_matching.m`` (greedy 2D matching),
  ``mpii_map_to_gt_bone_lengths.m`` (bone rescaling), ``mpii_get_joint_set('relevant')``
  (``joint_parents_o1``, the tree below), ``mpii_evaluate_multiperson_errors.m`` (3DPCK, AUC).
* PCK_root and PCOD as in SMAP's extension of that script (``cal_ordinal.m``, threshold 300 mm;
  ``PCK15`` with ``<= 150`` pooled over all sequences).

Entry point
-----------
:func:`evaluate_mupots` (``gt_frames``, ``pred_frames``) -> dict; see its docstring for the input
layout. :func:`load_mupots_gt` builds ``gt_frames`` from the MuPoTS JSON;
:func:`format_table1` prints the paper's Table 1 columns, with the published rows beside ours
only for results measured on MuPoTS-3D (:func:`published_rows`).
"""
import json
import re
from collections import OrderedDict
from typing import Any, Dict, Hashable, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmmar.structures.skeleton import JOINT_NAMES, NUM_JOINTS, PCK_JOINTS, ROOT

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

#: Table 1 of the paper (MuPoTS-3D). Columns = :data:`TABLE1_KEYS`.
TABLE1_KEYS = ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all',
               'PCK_rel_matched', 'PCK_abs_matched')
TABLE1_HEADERS = ('PCK_rel', 'PCK_abs', 'PCK_root', 'PCOD', 'PCK_rel', 'PCK_abs')
PUBLISHED_TABLE1 = OrderedDict([
    ('SMAP (published)', (73.5, 35.4, 45.5, 97.0, 80.5, 38.7)),
    ('MAR (published)', (76.2, 36.3, 48.9, 97.1, 81.5, 39.5)),
])

#: Dataset names (lower case, letters and digits only) that mean MuPoTS-3D: the only data the
#: published rows were measured on (``MuPoTS3DDataset.DATA_SOURCE`` is 'mupots3d').
MUPOTS3D_NAMES = ('mupots3d', 'mupots')

_MODES = ('rel_all', 'abs_all', 'rel_matched', 'abs_matched')


def is_mupots3d(dataset: Optional[str]) -> bool:
    """Whether ``dataset`` (e.g. 'mupots3d', 'MuPoTS-3D'; None: unknown) names MuPoTS-3D."""
    return dataset is not None and re.sub(r'[^a-z0-9]', '', str(dataset).lower()) in \
        MUPOTS3D_NAMES


def published_rows(dataset: Optional[str]) -> 'OrderedDict[str, Tuple[float, ...]]':
    """The published Table 1 rows (SMAP, MAR) to print beside results on ``dataset``: all of
    :data:`PUBLISHED_TABLE1` for MuPoTS-3D, none for any other or unknown data (synthetic,
    custom sets), where they would compare different data."""
    return OrderedDict(PUBLISHED_TABLE1) if is_mupots3d(dataset) else OrderedDict()


# --------------------------------------------------------------------------------------------
# input checking
# --------------------------------------------------------------------------------------------
def _to_array(x, dim: int, what: str, where: str) -> np.ndarray:
    """(N, 17, dim) float64; accepts N = 0 in any empty shape; extra trailing columns of a 2D
    array (e.g. a score) are dropped only for ``dim == 2``."""
    a = np.asarray(x if x is not None else np.zeros((0, NUM_JOINTS, dim)), dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, NUM_JOINTS, dim))
    if a.ndim == 2 and a.shape[0] == NUM_JOINTS:  # a single person
        a = a[None]
    if a.ndim != 3 or a.shape[1] != NUM_JOINTS:
        raise ValueError(f'{where}: {what} must have shape (N, {NUM_JOINTS}, {dim}) '
                         f'(the 17 MuPoTS joints), got {a.shape}')
    if a.shape[2] < dim or (dim == 3 and a.shape[2] != 3):
        raise ValueError(f'{where}: {what} must have shape (N, {NUM_JOINTS}, {dim}), '
                         f'got {a.shape}')
    return a[..., :dim]


def _check_finite(a: np.ndarray, what: str, where: str):
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))[0]
        raise ValueError(f'{where}: {what} contains NaN/inf (first at person {bad[0]}, '
                         f'joint {bad[1]} {JOINT_NAMES[bad[1]]}); refusing to score it')


def _seq_sort_key(name) -> Tuple:
    s = str(name)
    m = re.search(r'(\d+)\s*$', s)
    return (re.sub(r'\d+\s*$', '', s), int(m.group(1)) if m else -1, s)


def _as_frame_map(frames, what: str, seq) -> Mapping:
    if isinstance(frames, Mapping):
        return frames
    if isinstance(frames, Sequence):
        return {i: f for i, f in enumerate(frames)}
    raise TypeError(f'{what}[{seq!r}] must be a mapping frame_key -> frame dict or a list '
                    f'of frame dicts, got {type(frames)}')


# --------------------------------------------------------------------------------------------
# the three building blocks
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
# main entry
# --------------------------------------------------------------------------------------------
def evaluate_mupots(gt_frames: Mapping[Hashable, Any],
                    pred_frames: Mapping[Hashable, Any],
                    rescale_bones: bool = True,
                    match_thr: float = MATCH_THR,
                    pck_thr: float = PCK_THR,
                    root_thr: float = ROOT_THR,
                    pcod_thr: float = PCOD_THR,
                    auc_thresholds: Sequence[float] = AUC_THRESHOLDS,
                    missing_frames: str = 'empty') -> Dict[str, Any]:
    """Score MuPoTS-3D predictions with the official protocol.

    Args:
        gt_frames: ``{seq_name: {frame_key: frame}}`` (a list of frames is read as
            ``{index: frame}``), ground truth ``frame = dict(
            keypoints_2d=(G, 17, 2) px (annot2), keypoints_3d=(G, 17, 3) mm (univ_annot3,
            camera space), valid=(G,) bool/0-1 (isValidFrame; optional, default all valid))``.
            Invalid people are removed before matching; frames with no valid person are skipped.
        pred_frames: same nesting, ``frame = dict(keypoints_2d=(P, 17, 2) px of the original
            image, keypoints_3d=(P, 17, 3) mm camera space)``; P may be 0. Every
            (seq, frame_key) must exist in ``gt_frames`` (else ValueError).
        rescale_bones: map each matched prediction to the ground-truth bone lengths first
            (official behaviour); False scores the raw prediction.
        missing_frames: a ground-truth frame absent from ``pred_frames``: 'empty' = nobody
            predicted (all its people missed), 'error' = raise.
        other thresholds: see the module constants (defaults = the official values).

    Joints are in the 17-joint MuPoTS order (:data:`mmmar.structures.skeleton.JOINT_NAMES`).

    Returns:
        dict with (percentages in [0, 100], errors in mm; ``None`` where undefined, explained
        in ``messages``):
        ``PCK_rel_all, PCK_abs_all, PCK_rel_matched, PCK_abs_matched`` and the same with
        ``AUC_`` (mean over sequences of per-sequence scores); ``PCK_root_all,
        PCK_root_matched`` (pooled over people); ``PCOD_all, PCOD_matched`` (mean over
        sequences); ``MPJPE_rel, MPJPE_abs`` (matched people, mean over sequences);
        ``per_sequence`` {seq: {same keys + counts}}; ``per_joint`` {'PCK_rel_all': {joint:
        value}, ...} (per-sequence per-joint PCK averaged over sequences); ``counts``;
        ``messages`` (list of str); ``config``.
    """
    if not isinstance(gt_frames, Mapping):
        raise TypeError('gt_frames must be a mapping {seq_name: frames}')
    if not isinstance(pred_frames, Mapping):
        raise TypeError('pred_frames must be a mapping {seq_name: frames}')
    if missing_frames not in ('empty', 'error'):
        raise ValueError("missing_frames must be 'empty' or 'error'")
    pck_joints = list(PCK_JOINTS)
    thresholds = np.asarray(auc_thresholds, dtype=np.float64)
    messages = []

    gt_maps = {s: _as_frame_map(f, 'gt_frames', s) for s, f in gt_frames.items()}
    pred_maps = {s: _as_frame_map(f, 'pred_frames', s) for s, f in pred_frames.items()}
    # predictions for images the ground truth lacks
    for s, fm in pred_maps.items():
        if s not in gt_maps:
            raise ValueError(f'predictions for sequence {s!r}, which the ground truth lacks '
                             f'(ground truth has {sorted(gt_maps, key=_seq_sort_key)})')
        unknown = [k for k in fm if k not in gt_maps[s]]
        if unknown:
            raise ValueError(f'{len(unknown)} prediction frame(s) of sequence {s!r}, which the '
                             f'ground truth lacks, e.g. image id {unknown[0]!r}')

    counts = dict(num_sequences=0, num_frames=0, num_frames_skipped_no_valid_gt=0,
                  num_frames_without_prediction=0, num_gt_people=0, num_matched=0,
                  num_predictions=0, num_false_positives=0, num_nonfinite_after_rescale=0)
    per_seq_data = OrderedDict()
    for seq in sorted(gt_maps, key=_seq_sort_key):
        gts, preds, matched, frame_idx = [], [], [], []
        n_frame = 0
        for fkey, gframe in gt_maps[seq].items():
            where = f'sequence {seq!r}, frame {fkey!r}'
            counts['num_frames'] += 1
            g2 = _to_array(gframe.get('keypoints_2d'), 2, 'ground-truth keypoints_2d', where)
            g3 = _to_array(gframe.get('keypoints_3d'), 3, 'ground-truth keypoints_3d', where)
            if len(g2) != len(g3):
                raise ValueError(f'{where}: {len(g2)} 2D but {len(g3)} 3D ground-truth people')
            valid = gframe.get('valid')
            valid = (np.ones(len(g3), bool) if valid is None else
                     np.asarray(valid).reshape(-1).astype(bool))
            if len(valid) != len(g3):
                raise ValueError(f'{where}: valid has {len(valid)} entries for {len(g3)} people')
            g2, g3 = g2[valid], g3[valid]
            _check_finite(g2, 'ground-truth keypoints_2d', where)
            _check_finite(g3, 'ground-truth keypoints_3d', where)

            pframe = pred_maps.get(seq, {}).get(fkey)
            if pframe is None:
                if missing_frames == 'error':
                    raise ValueError(f'{where}: no prediction for this ground-truth frame')
                counts['num_frames_without_prediction'] += 1
                pframe = {}
            p2 = _to_array(pframe.get('keypoints_2d'), 2, 'predicted keypoints_2d', where)
            p3 = _to_array(pframe.get('keypoints_3d'), 3, 'predicted keypoints_3d', where)
            if len(p2) != len(p3):
                raise ValueError(f'{where}: {len(p2)} 2D but {len(p3)} 3D predicted people')
            _check_finite(p2, 'predicted keypoints_2d', where)
            _check_finite(p3, 'predicted keypoints_3d', where)
            counts['num_predictions'] += len(p3)

            if len(g3) == 0:
                counts['num_frames_skipped_no_valid_gt'] += 1
                counts['num_false_positives'] += len(p3)
                continue
            m = match_people(g2, p2, thr=match_thr)
            counts['num_false_positives'] += len(p3) - int((m >= 0).sum())
            gts.append(g3)
            pp = np.full_like(g3, np.nan)
            pp[m >= 0] = p3[m[m >= 0]]
            preds.append(pp)
            matched.append(m >= 0)
            frame_idx.append(np.full(len(g3), n_frame))
            n_frame += 1
        counts['num_sequences'] += 1
        if gts:
            per_seq_data[seq] = (np.concatenate(gts), np.concatenate(preds),
                                 np.concatenate(matched), np.concatenate(frame_idx))
        else:
            per_seq_data[seq] = (np.zeros((0, NUM_JOINTS, 3)), np.zeros((0, NUM_JOINTS, 3)),
                                 np.zeros(0, bool), np.zeros(0, np.int64))

    per_sequence = OrderedDict()
    root_ok = {'all': [], 'matched': []}
    for seq, (g3, p3, ok, fidx) in per_seq_data.items():
        n, nm = len(g3), int(ok.sum())
        counts['num_gt_people'] += n
        counts['num_matched'] += nm
        p = p3.copy()
        if rescale_bones and nm:
            p[ok] = rescale_to_gt_bones(p3[ok], g3[ok])
        counts['num_nonfinite_after_rescale'] += int((~np.isfinite(p[ok])).any(-1).sum())
        p[~ok] = MISSED_VALUE  # official: 100000 in every coordinate
        err = {}
        with np.errstate(invalid='ignore'):
            err['abs'] = np.linalg.norm(p - g3, axis=-1)
            p_rel = p - p[:, ROOT:ROOT + 1]
            p_rel[~ok] = MISSED_VALUE  # the missed pose is not centred (official)
            err['rel'] = np.linalg.norm(p_rel - (g3 - g3[:, ROOT:ROOT + 1]), axis=-1)
        for k in err:  # NaN (degenerate bone) -> wrong joint
            err[k] = np.where(np.isfinite(err[k]), err[k], np.inf)
        srow = OrderedDict(num_people=n, num_matched=nm)
        for space in ('rel', 'abs'):
            for mode in ('all', 'matched'):
                sel = np.ones(n, bool) if mode == 'all' else ok
                e = err[space][sel][:, pck_joints]
                key = f'{space}_{mode}'
                if len(e) == 0:
                    srow[f'PCK_{key}'] = srow[f'AUC_{key}'] = None
                    srow[f'per_joint_PCK_{key}'] = None
                    continue
                srow[f'PCK_{key}'] = float((e < pck_thr).mean() * 100)
                srow[f'AUC_{key}'] = float((e[..., None] < thresholds).mean() * 100)
                srow[f'per_joint_PCK_{key}'] = ((e < pck_thr).mean(0) * 100).tolist()
        for mode in ('all', 'matched'):
            sel = np.ones(n, bool) if mode == 'all' else ok
            r = err['abs'][sel, ROOT] <= root_thr
            root_ok[mode].append(r)
            srow[f'PCK_root_{mode}'] = float(r.mean() * 100) if len(r) else None
            # PCOD over the pairs of evaluated people of each frame
            zg = g3[sel, ROOT, 2]
            zp = p[sel, ROOT, 2]
            f = fidx[sel]  # rows of a frame are contiguous
            corr, total = 0, 0
            for k in range(1, len(f)):
                same = f[k:] == f[:-k]
                if not same.any():
                    break
                a, b = np.nonzero(same)[0] + k, np.nonzero(same)[0]
                c = pcod_correct(zg[a], zg[b], zp[a], zp[b], pcod_thr)
                corr += int(c.sum())
                total += len(c)
            srow[f'PCOD_{mode}'] = corr / total * 100 if total else None
            srow[f'num_pairs_{mode}'] = total
        for space in ('rel', 'abs'):
            e = err[space][ok][:, pck_joints]
            e = e[np.isfinite(e)]
            srow[f'MPJPE_{space}'] = float(e.mean()) if e.size else None
        per_sequence[seq] = srow

        if n == 0:
            messages.append(f'sequence {seq}: no valid ground-truth person; left out of all '
                            'averages')
        elif nm == 0:
            messages.append(f'sequence {seq}: nobody matched ({n} ground-truth people); left '
                            'out of the "matched" averages and MPJPE, scores 0 in "all"')
        for mode in ('all', 'matched'):
            if srow[f'PCOD_{mode}'] is None and (n if mode == 'all' else nm):
                messages.append(f'sequence {seq}: no pair of {mode} people in any frame; left '
                                f'out of PCOD_{mode}')

    if counts['num_nonfinite_after_rescale']:
        messages.append(f"{counts['num_nonfinite_after_rescale']} matched people had a "
                        'zero-length predicted bone; the joints below it are scored as wrong')

    def _mean(key):
        vals = [r[key] for r in per_sequence.values() if r[key] is not None]
        return float(np.mean(vals)) if vals else None

    results = OrderedDict()
    for key in _MODES:
        results[f'PCK_{key}'] = _mean(f'PCK_{key}')
    for mode in ('all', 'matched'):
        r = np.concatenate(root_ok[mode]) if root_ok[mode] else np.zeros(0, bool)
        results[f'PCK_root_{mode}'] = float(r.mean() * 100) if len(r) else None
    for mode in ('all', 'matched'):
        results[f'PCOD_{mode}'] = _mean(f'PCOD_{mode}')
    for key in _MODES:
        results[f'AUC_{key}'] = _mean(f'AUC_{key}')
    results['MPJPE_rel'] = _mean('MPJPE_rel')
    results['MPJPE_abs'] = _mean('MPJPE_abs')
    for k, v in list(results.items()):
        if v is None:
            messages.append(f'{k} is undefined (no sequence has people to score for it)')

    per_joint = OrderedDict()
    for key in _MODES:
        rows = [r[f'per_joint_PCK_{key}'] for r in per_sequence.values()
                if r[f'per_joint_PCK_{key}'] is not None]
        per_joint[f'PCK_{key}'] = (OrderedDict(
            (JOINT_NAMES[j], float(v)) for j, v in zip(pck_joints, np.mean(rows, 0)))
            if rows else None)
    for r in per_sequence.values():
        for key in _MODES:
            v = r.pop(f'per_joint_PCK_{key}')
            r[f'per_joint_PCK_{key}'] = (None if v is None else OrderedDict(
                (JOINT_NAMES[j], x) for j, x in zip(pck_joints, v)))

    results['per_sequence'] = per_sequence
    results['per_joint'] = per_joint
    results['counts'] = counts
    results['messages'] = messages
    results['config'] = dict(rescale_bones=bool(rescale_bones), match_thr=match_thr,
                             pck_thr=pck_thr, root_thr=root_thr, pcod_thr=pcod_thr,
                             auc_thresholds=[float(t) for t in thresholds],
                             pck_joints=[JOINT_NAMES[j] for j in pck_joints])
    return results


# --------------------------------------------------------------------------------------------
# ground truth from the MuPoTS JSON
# --------------------------------------------------------------------------------------------
def seq_name_from_path(path: str) -> Optional[str]:
    """'TS1/img_000000.jpg' (or any path containing a TS<k> folder) -> 'TS1'."""
    if not path:
        return None
    m = re.search(r'(?:^|[\\/])(TS\d+)(?:[\\/])', str(path))
    if m:
        return m.group(1)
    parts = re.split(r'[\\/]', str(path))
    return parts[-2] if len(parts) >= 2 else None


#: Keys of the "universal" (height-normalised, the official protocol's) 3D ground truth of a
#: MuPoTS annotation: ``keypoints_univ``, the name of the data contract (written by
#: ``tools/dataset_converters/mupots_mat_to_json.py``, output by ``MuPoTS3DDataset``), then
#: ``univ_annot3``, MuPoTS's own name; both are accepted on input.
UNIV_KEYS = ('keypoints_univ', 'univ_annot3')


def univ_key(ann: Mapping) -> Optional[str]:
    """The key of :data:`UNIV_KEYS` that holds ``ann``'s universal 3D joints, or None."""
    for key in UNIV_KEYS:
        if ann.get(key) is not None:
            return key
    return None


def gt_frame_from_anns(anns: Sequence[Mapping], prefer_univ: bool = True
                       ) -> Tuple[Dict[str, np.ndarray], Optional[str]]:
    """One image's MuPoTS JSON annotation dicts -> a ground-truth frame dict.

    3D = the universal joints (``keypoints_univ`` or ``univ_annot3``, :data:`UNIV_KEYS`)
    when present in every annotation and ``prefer_univ``, else ``keypoints_cam``. Returns
    ``(frame, source)`` with source 'keypoints_univ' / 'keypoints_cam' (None when the image
    has no annotation)."""
    anns = list(anns or [])
    if not anns:
        return dict(keypoints_2d=np.zeros((0, NUM_JOINTS, 2)),
                    keypoints_3d=np.zeros((0, NUM_JOINTS, 3)), valid=np.zeros(0, bool)), None
    use_univ = prefer_univ and all(univ_key(a) for a in anns)
    src = 'keypoints_univ' if use_univ else 'keypoints_cam'
    keys = [univ_key(a) if use_univ else 'keypoints_cam' for a in anns]
    for a, key in zip(anns, keys):
        for k in ('keypoints_img', key):
            if a.get(k) is None:
                raise KeyError(f'MuPoTS annotation (image {a.get("image_id")!r}) lacks {k!r}')
    k2 = np.stack([np.asarray(a['keypoints_img'], np.float64).reshape(NUM_JOINTS, -1)[:, :2]
                   for a in anns])
    k3 = np.stack([np.asarray(a[key], np.float64).reshape(NUM_JOINTS, 3)
                   for a, key in zip(anns, keys)])
    valid = np.array([bool(np.asarray(a.get('is_valid', 1)).reshape(-1)[0]) for a in anns])
    return dict(keypoints_2d=k2, keypoints_3d=k3, valid=valid), src


def load_mupots_gt(ann_file, prefer_univ: bool = True
                   ) -> Tuple[Dict[str, Dict[Hashable, dict]], Dict[Hashable, Tuple[str, str]],
                              Dict[str, int]]:
    """The MuPoTS JSON (path or loaded dict) -> ``(gt_frames, img_index, sources)``.

    ``gt_frames = {seq_name: {img_id: frame}}`` (frames ordered by ``frame_idx`` / file name),
    ``img_index = {img_id: (seq_name, file_name)}``, ``sources`` counts the frames scored with
    'keypoints_univ' vs 'keypoints_cam'. Sequence names come from the image's ``seq_name`` or
    its file name ('TS1/img_000000.jpg')."""
    if isinstance(ann_file, Mapping):
        data = ann_file
    else:
        with open(ann_file) as f:
            data = json.load(f)
    anns_by_img = {}
    for a in data.get('annotations', []):
        anns_by_img.setdefault(a['image_id'], []).append(a)
    images = list(data['images'])
    img_index, staged = {}, {}
    for img in images:
        iid = img['id']
        if iid in img_index:
            raise ValueError(f'duplicate image id {iid!r} in the MuPoTS annotation file')
        seq = img.get('seq_name') or seq_name_from_path(img.get('file_name', ''))
        if seq is None:
            raise ValueError(f'cannot tell the sequence of image {iid!r}')
        img_index[iid] = (seq, img.get('file_name'))
        order = img.get('frame_idx', img.get('file_name', iid))
        staged.setdefault(seq, []).append((order, iid))
    unknown = set(anns_by_img) - set(img_index)
    if unknown:
        raise ValueError(f'annotations refer to image ids not in images, e.g. '
                         f'{next(iter(unknown))!r}')
    gt_frames, sources = OrderedDict(), {'keypoints_univ': 0, 'keypoints_cam': 0}
    for seq in sorted(staged, key=_seq_sort_key):
        fr = OrderedDict()
        for _, iid in sorted(staged[seq], key=lambda t: (str(type(t[0])), t[0])):
            frame, src = gt_frame_from_anns(anns_by_img.get(iid, []), prefer_univ)
            if src:
                sources[src] += 1
            fr[iid] = frame
        gt_frames[seq] = fr
    return gt_frames, img_index, sources


# --------------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------------
def _fmt(v, width=8):
    return f'{v:{width}.1f}' if v is not None else f'{"n/a":>{width}}'


def _lookup(results: Mapping[str, Any], key: str):
    """``key`` itself, else ``'mupots/' + key``, else any ``'<prefix>/' + key`` (so an
    mmengine metric dict works too)."""
    if key in results:
        return results[key]
    if 'mupots/' + key in results:
        return results['mupots/' + key]
    for k, v in results.items():
        if str(k).endswith('/' + key):
            return v
    return None


def format_table1(results: Mapping[str, Any],
                  published: Optional[Mapping[str, Sequence[float]]] = None,
                  name: str = 'ours',
                  dataset: Optional[str] = 'mupots3d') -> str:
    """Table 1 of the paper: PCK_rel, PCK_abs, PCK_root, PCOD (all people) | PCK_rel, PCK_abs
    (matched people), with the published SMAP and MAR rows above ``name``'s row when the
    results were measured on MuPoTS-3D.

    Args:
        results: The dict of :func:`evaluate_mupots`, or an mmengine metric dict whose keys
            carry a prefix (``'mupots/PCK_rel_all'``). Missing values print as ``n/a``.
        published: Rows to print above ours; None: :func:`published_rows` of ``dataset``.
        name: Label of our row.
        dataset: The data ``results`` were measured on ('mupots3d', 'synthetic', ...; None:
            unknown). Published rows appear only beside MuPoTS-3D results; otherwise a first
            line says that they are left out.
    """
    note = []
    if published is None:
        published = published_rows(dataset)
        if not published:
            note = [f'measured on {dataset or "unknown data"}: the published MuPoTS-3D rows '
                    f'(SMAP, MAR) are not shown beside it (different data)']
    rows = [(k, list(v)) for k, v in published.items()]
    rows.append((name, [_lookup(results, k) for k in TABLE1_KEYS]))
    w0 = max(18, max(len(r[0]) for r in rows) + 1)
    head1 = f'{"":<{w0}}|{"All people":^36}|{"Matched people":^18}'
    head2 = f'{"Method":<{w0}}|' + ''.join(f'{h:>9}' for h in TABLE1_HEADERS[:4]) + '|' + \
        ''.join(f'{h:>9}' for h in TABLE1_HEADERS[4:])
    lines = note + [head1, head2, '-' * len(head2)]
    for nm, vals in rows:
        lines.append(f'{nm:<{w0}}|' + ''.join(_fmt(v, 9) for v in vals[:4]) + '|' +
                     ''.join(_fmt(v, 9) for v in vals[4:]))
    return '\n'.join(lines)


def format_sequence_table(results: Mapping[str, Any]) -> str:
    """Per-sequence table (TS1..TS20 and the average over sequences)."""
    keys = ('PCK_rel_all', 'PCK_abs_all', 'PCK_rel_matched', 'PCK_abs_matched', 'PCK_root_all',
            'PCOD_all', 'MPJPE_rel', 'MPJPE_abs')
    head = f'{"Seq":<6}{"people":>7}{"matched":>8}' + ''.join(f'{k:>16}' for k in keys)
    lines = [head, '-' * len(head)]
    for seq, r in results['per_sequence'].items():
        lines.append(f'{str(seq):<6}{r["num_people"]:>7}{r["num_matched"]:>8}' +
                     ''.join(_fmt(r.get(k), 16) for k in keys))
    lines.append(f'{"avg":<6}{"":>15}' + ''.join(_fmt(results.get(k), 16) for k in keys))
    lines.append('avg = mean over sequences, except PCK_root (pooled over all people)')
    return '\n'.join(lines)


def format_joint_table(results: Mapping[str, Any]) -> str:
    """Per-joint 3DPCK (averaged over sequences) for the four modes."""
    pj = results['per_joint']
    keys = list(pj)
    head = f'{"joint":<12}' + ''.join(f'{k:>18}' for k in keys)
    lines = [head, '-' * len(head)]
    for j in PCK_JOINTS:
        nm = JOINT_NAMES[j]
        lines.append(f'{nm:<12}' + ''.join(
            _fmt(pj[k][nm] if pj[k] is not None else None, 18) for k in keys))
    return '\n'.join(lines)


def to_jsonable(obj):
    """Results dict -> something ``json.dump`` accepts (numpy scalars/arrays, tuple keys)."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
