"""Scores of tracking (CLEAR-MOT style) and smoothing against a known truth."""
from typing import Dict, List, Sequence

import numpy as np

from mmmar.structures.skeleton import ROOT

__all__ = ['clear_mot', 'pose_errors', 'jitter']


def clear_mot(gt_ids: Sequence[Sequence[int]],
              hyps: Sequence[Sequence[tuple]]) -> Dict[str, float]:
    """MOTA-style counts when every hypothesis knows the truth it came from.

    Args:
        gt_ids: Per frame, the identities that should be tracked (visible enough).
        hyps: Per frame, ``(track_id, label)`` of every reported (confirmed) track, where
            ``label`` is the identity of the detection it was given (-1: a false positive).

    Returns:
        dict: ``gt`` (ground-truth objects over all frames), ``tp``, ``fn`` (misses), ``fp``
        (false positives and duplicates), ``idsw`` (an identity reported under a different
        track id than at its previous report, CLEAR-MOT), ``frag`` (an identity's track
        interrupted and resumed), ``mota = 1 - (fn + fp + idsw) / gt``, ``num_tracks``
        (distinct reported ids), ``num_identities``, and ``ids_per_identity`` (distinct track
        ids each identity was reported under, averaged).
    """
    last_tid: Dict[int, int] = {}
    last_seen: Dict[int, int] = {}
    ids_of: Dict[int, set] = {}
    gt = tp = fn = fp = idsw = frag = 0
    tracks = set()
    for t, (gts, hs) in enumerate(zip(gt_ids, hyps)):
        gts = set(int(g) for g in gts)
        gt += len(gts)
        seen = set()
        for tid, label in hs:
            tracks.add(int(tid))
            if label < 0 or label not in gts or label in seen:
                fp += 1
                continue
            seen.add(label)
            tp += 1
            if label in last_tid and last_tid[label] != tid:
                idsw += 1
            if label in last_seen and last_seen[label] < t - 1:
                frag += 1
            last_tid[label], last_seen[label] = int(tid), t
            ids_of.setdefault(label, set()).add(int(tid))
        fn += len(gts - seen)
    return dict(
        gt=gt, tp=tp, fn=fn, fp=fp, idsw=idsw, frag=frag,
        mota=1.0 - (fn + fp + idsw) / max(gt, 1),
        num_tracks=len(tracks), num_identities=len(ids_of),
        ids_per_identity=float(np.mean([len(v) for v in ids_of.values()]))
        if ids_of else 0.0)


def pose_errors(pred: List[np.ndarray], gt: List[np.ndarray]) -> Dict[str, float]:
    """Mean errors (mm) of matched poses.

    Args:
        pred, gt: Lists of (17, 3) camera-space poses (mm), pairwise.

    Returns:
        dict: ``mpjpe`` (camera space, absolute), ``mpjpe_rel`` (root-relative),
        ``root_depth`` (mean ``|Z_root - Z_root_gt|``) and ``n``.
    """
    if not len(pred):
        return dict(mpjpe=float('nan'), mpjpe_rel=float('nan'),
                    root_depth=float('nan'), n=0)
    p = np.asarray(pred, np.float64)
    g = np.asarray(gt, np.float64)
    rel = (p - p[:, ROOT:ROOT + 1]) - (g - g[:, ROOT:ROOT + 1])
    return dict(
        mpjpe=float(np.linalg.norm(p - g, axis=-1).mean()),
        mpjpe_rel=float(np.linalg.norm(rel, axis=-1).mean()),
        root_depth=float(np.abs(p[:, ROOT, 2] - g[:, ROOT, 2]).mean()),
        n=len(p))


def jitter(tracks: Dict[int, List[tuple]]) -> float:
    """Mean joint acceleration (mm per frame^2) over consecutive frames of each track.

    Args:
        tracks: track id -> list of ``(frame_idx, (17, 3) pose)`` in frame order.
    """
    acc = []
    for seq in tracks.values():
        for (f0, a), (f1, b), (f2, c) in zip(seq, seq[1:], seq[2:]):
            if f1 == f0 + 1 and f2 == f1 + 1:
                acc.append(np.linalg.norm(a - 2 * b + c, axis=-1).mean())
    return float(np.mean(acc)) if acc else float('nan')
