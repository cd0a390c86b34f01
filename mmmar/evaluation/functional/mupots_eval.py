"""MuPoTS-3D multi-person evaluation of a whole data set, rule for rule as the official MATLAB
code (the rules: :mod:`~mmmar.evaluation.functional.mupots_protocol`).

Plain numpy (no mmengine / mmpose / torch), so arrays from any method can be scored.

Entry point
-----------
:func:`evaluate_mupots` (``gt_frames``, ``pred_frames``) -> dict; see its docstring for the input
layout. It checks the input, matches each frame, scores each sequence and averages over
sequences. :func:`~mmmar.evaluation.functional.load_mupots_gt` builds ``gt_frames`` from the
MuPoTS JSON; :func:`~mmmar.evaluation.functional.format_table1` prints the paper's Table 1.
"""
from collections import OrderedDict
from typing import Any, Dict, Hashable, List, Mapping, Sequence, Tuple

import numpy as np

from mmmar.structures.skeleton import JOINT_NAMES, NUM_JOINTS, PCK_JOINTS
from .mupots_io import seq_sort_key
from .mupots_protocol import (AUC_THRESHOLDS, MATCH_THR, PCK_MODES, PCK_THR, PCOD_THR, PEOPLE_MODES,
                              ROOT_THR, match_frame, score_sequence)


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


def _as_frame_map(frames, what: str, seq) -> Mapping:
    if isinstance(frames, Mapping):
        return frames
    if isinstance(frames, Sequence):
        return {i: f for i, f in enumerate(frames)}
    raise TypeError(f'{what}[{seq!r}] must be a mapping frame_key -> frame dict or a list '
                    f'of frame dicts, got {type(frames)}')


def _frame_maps(gt_frames: Mapping, pred_frames: Mapping,
                missing_frames: str) -> Tuple[dict, dict]:
    """Check the arguments of :func:`evaluate_mupots`; both inputs as ``{seq: {frame_key:
    frame}}``. A predicted sequence or frame that the ground truth lacks raises ValueError."""
    if not isinstance(gt_frames, Mapping):
        raise TypeError('gt_frames must be a mapping {seq_name: frames}')
    if not isinstance(pred_frames, Mapping):
        raise TypeError('pred_frames must be a mapping {seq_name: frames}')
    if missing_frames not in ('empty', 'error'):
        raise ValueError("missing_frames must be 'empty' or 'error'")
    gt_maps = {s: _as_frame_map(f, 'gt_frames', s) for s, f in gt_frames.items()}
    pred_maps = {s: _as_frame_map(f, 'pred_frames', s) for s, f in pred_frames.items()}
    for s, fm in pred_maps.items():
        if s not in gt_maps:
            raise ValueError(f'predictions for sequence {s!r}, which the ground truth lacks '
                             f'(ground truth has {sorted(gt_maps, key=seq_sort_key)})')
        unknown = [k for k in fm if k not in gt_maps[s]]
        if unknown:
            raise ValueError(f'{len(unknown)} prediction frame(s) of sequence {s!r}, which the '
                             f'ground truth lacks, e.g. image id {unknown[0]!r}')
    return gt_maps, pred_maps


def _read_people(frame: Mapping, who: str, where: str,
                 use_valid: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """The people of a frame dict: (N, 17, 2) px and (N, 17, 3) mm, checked.

    Args:
        frame: ``dict(keypoints_2d, keypoints_3d[, valid])``.
        who: 'ground-truth' or 'predicted' (for messages).
        where: The sequence and frame (for messages).
        use_valid: Keep only the people that ``valid`` marks (default: all).
    """
    k2 = _to_array(frame.get('keypoints_2d'), 2, f'{who} keypoints_2d', where)
    k3 = _to_array(frame.get('keypoints_3d'), 3, f'{who} keypoints_3d', where)
    if len(k2) != len(k3):
        raise ValueError(f'{where}: {len(k2)} 2D but {len(k3)} 3D {who} people')
    valid = frame.get('valid') if use_valid else None
    if valid is not None:
        valid = np.asarray(valid).reshape(-1).astype(bool)
        if len(valid) != len(k3):
            raise ValueError(f'{where}: valid has {len(valid)} entries for {len(k3)} people')
        k2, k3 = k2[valid], k3[valid]
    _check_finite(k2, f'{who} keypoints_2d', where)
    _check_finite(k3, f'{who} keypoints_3d', where)
    return k2, k3


# --------------------------------------------------------------------------------------------
# one sequence: match its frames
# --------------------------------------------------------------------------------------------
def _new_counts() -> Dict[str, int]:
    return dict(num_sequences=0, num_frames=0, num_frames_skipped_no_valid_gt=0,
                num_frames_without_prediction=0, num_gt_people=0, num_matched=0,
                num_predictions=0, num_false_positives=0, num_nonfinite_after_rescale=0)


def match_sequence(seq: Hashable, gt_map: Mapping, pred_map: Mapping, counts: Dict[str, int],
                   match_thr: float = MATCH_THR, missing_frames: str = 'empty') -> Tuple:
    """Match every frame of one sequence and stack its ground-truth people.

    Args:
        seq: The sequence name (for messages). gt_map, pred_map: ``{frame_key: frame}``.
        counts: Frame / prediction counters, updated in place.
        match_thr, missing_frames: see :func:`evaluate_mupots`.

    Returns:
        tuple: ``(gt_3d, pred_3d, matched, frame_idx)``: (N, 17, 3) ground truth, (N, 17, 3)
        matched predictions in the same order (NaN where missed), (N,) bool and (N,) the
        index of each person's frame among the scored frames.
    """
    gts, preds, matched, frame_idx = [], [], [], []
    for fkey, gframe in gt_map.items():
        where = f'sequence {seq!r}, frame {fkey!r}'
        counts['num_frames'] += 1
        g2, g3 = _read_people(gframe, 'ground-truth', where, use_valid=True)
        pframe = pred_map.get(fkey)
        if pframe is None:
            if missing_frames == 'error':
                raise ValueError(f'{where}: no prediction for this ground-truth frame')
            counts['num_frames_without_prediction'] += 1
            pframe = {}
        p2, p3 = _read_people(pframe, 'predicted', where)
        counts['num_predictions'] += len(p3)
        if len(g3) == 0:
            counts['num_frames_skipped_no_valid_gt'] += 1
            counts['num_false_positives'] += len(p3)
            continue
        pp, ok = match_frame(g2, g3, p2, p3, thr=match_thr)
        counts['num_false_positives'] += len(p3) - int(ok.sum())
        frame_idx.append(np.full(len(g3), len(gts)))
        gts.append(g3)
        preds.append(pp)
        matched.append(ok)
    counts['num_sequences'] += 1
    if not gts:
        return (np.zeros((0, NUM_JOINTS, 3)), np.zeros((0, NUM_JOINTS, 3)), np.zeros(0, bool),
                np.zeros(0, np.int64))
    return (np.concatenate(gts), np.concatenate(preds), np.concatenate(matched),
            np.concatenate(frame_idx))


def _sequence_messages(seq: Hashable, row: Mapping[str, Any]) -> List[str]:
    """Why a sequence is left out of some averages."""
    n, nm = row['num_people'], row['num_matched']
    messages = []
    if n == 0:
        messages.append(f'sequence {seq}: no valid ground-truth person; left out of all '
                        'averages')
    elif nm == 0:
        messages.append(f'sequence {seq}: nobody matched ({n} ground-truth people); left '
                        'out of the "matched" averages and MPJPE, scores 0 in "all"')
    for mode in PEOPLE_MODES:
        if row[f'PCOD_{mode}'] is None and (n if mode == 'all' else nm):
            messages.append(f'sequence {seq}: no pair of {mode} people in any frame; left '
                            f'out of PCOD_{mode}')
    return messages


def _score_sequences(people: Mapping[Hashable, Tuple], counts: Dict[str, int],
                     pck_joints: Sequence[int], *args) -> Tuple:
    """:func:`score_sequence` of each sequence (``people = {seq: (gt_3d, pred_3d, matched,
    frame_idx)}``; ``args``: its ``rescale_bones`` and thresholds). Updates the people
    ``counts``; returns ``(per_sequence, root_ok, messages)`` (see :func:`aggregate`)."""
    per_sequence, root_ok, messages = OrderedDict(), {m: [] for m in PEOPLE_MODES}, []
    for seq, seq_people in people.items():
        row, ok, nonfinite = score_sequence(*seq_people, pck_joints, *args)
        counts['num_gt_people'] += row['num_people']
        counts['num_matched'] += row['num_matched']
        counts['num_nonfinite_after_rescale'] += nonfinite
        for mode in PEOPLE_MODES:
            root_ok[mode].append(ok[mode])
        per_sequence[seq] = row
        messages += _sequence_messages(seq, row)
    return per_sequence, root_ok, messages


# --------------------------------------------------------------------------------------------
# over sequences
# --------------------------------------------------------------------------------------------
def aggregate(per_sequence: Mapping[Hashable, Mapping[str, Any]],
              root_ok: Mapping[str, List[np.ndarray]]) -> 'OrderedDict[str, Any]':
    """The data set's scores: the mean over sequences of the per-sequence scores (sequences
    where one is None left out), except PCK_root, pooled over the people of all sequences.

    Args:
        per_sequence: ``{seq: row}`` of :func:`score_sequence`.
        root_ok: ``{'all': [(N_s,) bool per sequence], 'matched': [...]}``.

    Returns:
        OrderedDict: ``PCK_*, PCK_root_*, PCOD_*, AUC_*, MPJPE_rel, MPJPE_abs`` (None where no
        sequence has people to score).
    """
    def _mean(key):
        vals = [r[key] for r in per_sequence.values() if r[key] is not None]
        return float(np.mean(vals)) if vals else None

    results = OrderedDict()
    for key in PCK_MODES:
        results[f'PCK_{key}'] = _mean(f'PCK_{key}')
    for mode in PEOPLE_MODES:
        r = np.concatenate(root_ok[mode]) if root_ok[mode] else np.zeros(0, bool)
        results[f'PCK_root_{mode}'] = float(r.mean() * 100) if len(r) else None
    for mode in PEOPLE_MODES:
        results[f'PCOD_{mode}'] = _mean(f'PCOD_{mode}')
    for key in PCK_MODES:
        results[f'AUC_{key}'] = _mean(f'AUC_{key}')
    results['MPJPE_rel'] = _mean('MPJPE_rel')
    results['MPJPE_abs'] = _mean('MPJPE_abs')
    return results


def per_joint_tables(per_sequence: Mapping[Hashable, dict],
                     pck_joints: Sequence[int]) -> 'OrderedDict[str, Any]':
    """Per-joint 3DPCK averaged over sequences, ``{'PCK_rel_all': {joint: value}, ...}``; also
    names the joints of each row's raw ``per_joint_PCK_*`` lists (moved to the row's end)."""
    per_joint = OrderedDict()
    for key in PCK_MODES:
        rows = [r[f'per_joint_PCK_{key}'] for r in per_sequence.values()
                if r[f'per_joint_PCK_{key}'] is not None]
        per_joint[f'PCK_{key}'] = (OrderedDict(
            (JOINT_NAMES[j], float(v)) for j, v in zip(pck_joints, np.mean(rows, 0)))
            if rows else None)
    for r in per_sequence.values():
        for key in PCK_MODES:
            v = r.pop(f'per_joint_PCK_{key}')
            r[f'per_joint_PCK_{key}'] = (None if v is None else OrderedDict(
                (JOINT_NAMES[j], x) for j, x in zip(pck_joints, v)))
    return per_joint


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
    gt_maps, pred_maps = _frame_maps(gt_frames, pred_frames, missing_frames)
    pck_joints = list(PCK_JOINTS)
    thresholds = np.asarray(auc_thresholds, dtype=np.float64)
    counts = _new_counts()
    people = OrderedDict(
        (seq, match_sequence(seq, gt_maps[seq], pred_maps.get(seq, {}), counts, match_thr,
                             missing_frames)) for seq in sorted(gt_maps, key=seq_sort_key))
    per_sequence, root_ok, messages = _score_sequences(
        people, counts, pck_joints, rescale_bones, pck_thr, root_thr, pcod_thr, thresholds)
    if counts['num_nonfinite_after_rescale']:
        messages.append(f"{counts['num_nonfinite_after_rescale']} matched people had a "
                        'zero-length predicted bone; the joints below it are scored as wrong')
    results = aggregate(per_sequence, root_ok)
    messages += [f'{k} is undefined (no sequence has people to score for it)'
                 for k, v in results.items() if v is None]
    per_joint = per_joint_tables(per_sequence, pck_joints)
    results['per_sequence'] = per_sequence
    results['per_joint'] = per_joint
    results['counts'] = counts
    results['messages'] = messages
    results['config'] = dict(rescale_bones=bool(rescale_bones), match_thr=match_thr,
                             pck_thr=pck_thr, root_thr=root_thr, pcod_thr=pcod_thr,
                             auc_thresholds=[float(t) for t in thresholds],
                             pck_joints=[JOINT_NAMES[j] for j in pck_joints])
    return results
