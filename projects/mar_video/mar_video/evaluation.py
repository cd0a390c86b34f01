"""Run a tracker (and smoother) over the generated video and score it."""
from types import SimpleNamespace
from typing import Dict, List, Optional, Sequence

import numpy as np

from .metrics import clear_mot, jitter, pose_errors
from .synthetic import SyntheticVideo, gt_frames
from .tracker import MUPOTS_SIGMAS

__all__ = [
    'evaluate_sequence', 'score_tracker', 'label_detections', 'MMPoseGreedyOKSTracker',
    'format_table'
]


class MMPoseGreedyOKSTracker:
    """Baseline: mmpose's frame-to-frame greedy 2D OKS tracking (``_track_by_oks`` as in
    ``Pose3DInferencer``), no 3D, no tolerance for misses."""

    def __init__(self, thr: float = 0.3, min_keypoints: int = 3):
        self.sigmas = MUPOTS_SIGMAS
        self.thr, self.min_keypoints = thr, min_keypoints
        self.reset()

    def reset(self):
        self.last: List[SimpleNamespace] = []
        self.next_id = 0

    def update(self, people: Sequence[dict], frame_idx: int) -> List[Dict]:
        from mmpose.apis import _track_by_oks
        results = []
        for p in people:
            k = np.asarray(p['keypoints'], np.float64)[None]
            res = SimpleNamespace(track_id=-1)
            res.pred_instances = SimpleNamespace(
                keypoints=k,
                keypoint_scores=np.asarray(p['keypoint_scores'])[None],
                areas=np.array([float(np.prod(k[0].max(0) - k[0].min(0)))]))
            results.append(res)
        last, out = list(self.last), []
        for res in results:
            tid, last, _ = _track_by_oks(res, last, self.thr, self.sigmas)
            if tid == -1:
                tid = self.next_id
                self.next_id += 1
            res.track_id = tid
            out.append(dict(uid=tid, track_id=tid))
        self.last = results
        return out


def label_detections(people: Sequence[dict], video: SyntheticVideo, t: int,
                     max_dist_frac: float = 0.1) -> List[int]:
    """The true identity of each estimated person of frame ``t`` (-1: none): optimal
    assignment on the mean 2D distance between the estimated and the projected true joints
    (whole skeletons: people overlapping in the image differ in size), pairs whose pelvises
    are farther apart than ``max_dist_frac`` of the image width left out."""
    from scipy.optimize import linear_sum_assignment

    from mmmar.structures.skeleton import ROOT
    from .synthetic import project
    labels = [-1] * len(people)
    if not len(people):
        return labels
    true_uv = project(video.poses[t], video.K)  # (P, 17, 2)
    est_uv = np.stack([np.asarray(p['keypoints'], np.float64) for p in people])
    d = np.linalg.norm(est_uv[:, None] - true_uv[None], axis=-1)  # (N, P, 17)
    mean = d.mean(-1)
    gate = max_dist_frac * video.img_size[0]
    mean = np.where(np.isfinite(mean) & (d[..., ROOT] <= gate), mean, 1e9)
    for r, c in zip(*linear_sum_assignment(mean)):
        if mean[r, c] < 1e9:
            labels[r] = int(c)
    return labels


def _public_ids(tracker, frames: List[List[tuple]]) -> List[List[tuple]]:
    """``(track_id, label)`` per frame from ``(uid, track_id, label)``: with a tracker that
    knows its tracks' public ids afterwards (``track_id_of``), every confirmed track from its
    first frame (as the exports write it), else the ids reported online."""
    of = getattr(tracker, 'track_id_of', None)
    out = []
    for frame in frames:
        ids = [(of(uid) if of else tid, label) for uid, tid, label in frame]
        out.append([(tid, label) for tid, label in ids if tid >= 0])
    return out


def score_tracker(detections: List[List[dict]], gt_ids: List[Sequence[int]],
                  tracker) -> Dict[str, float]:
    """Track the detections; CLEAR-MOT (:func:`clear_mot`) plus TrackEval's HOTA / IDF1
    (:func:`~mar_video.identity_metrics.trackeval_metrics`) of the tracks as exported (every
    confirmed track from its first frame)."""
    from .identity_metrics import trackeval_metrics
    tracker.reset()
    frames = []
    for t, people in enumerate(detections):
        assoc = tracker.update(people, t)
        frames.append([(a['uid'], a['track_id'], p['label'])
                       for p, a in zip(people, assoc)])
    hyps = _public_ids(tracker, frames)
    te = trackeval_metrics(gt_ids, hyps)
    return dict(clear_mot(gt_ids, hyps), hota=te['hota'], idf1=te['idf1'],
                deta=te['deta'], assa=te['assa'], te_idsw=te['idsw'])


def evaluate_sequence(video: SyntheticVideo,
                      detections: List[List[dict]],
                      tracker,
                      smoother=None,
                      min_visible: int = 5,
                      offline_smoother=None) -> Dict[str, Dict[str, float]]:
    """Track (and smooth) the detections frame by frame; score against the truth.

    Returns:
        dict: ``mot`` (:func:`score_tracker`), and with a smoother ``raw`` / ``smoothed``
        (:func:`pose_errors` plus ``jitter``) over the true detections of the confirmed
        tracks (from their first frame, as exported), and with an ``offline_smoother``
        (:class:`~mar_video.ZeroLagPoseSmoother`) ``offline``: the same detections after
        smoothing each whole track (raw joints) without lag.
    """
    result = dict(mot=score_tracker(detections, gt_frames(video, min_visible), tracker))
    if smoother is None:
        return result
    tracker.reset()
    entries = []  # (uid, frame, raw, smoothed, truth) of every true detection
    for t, people in enumerate(detections):
        assoc = tracker.update(people, t)
        if getattr(tracker, 'last_depth_scale', 1.0) != 1.0:
            smoother.rescale(tracker.last_depth_scale)
        for person, a in zip(people, assoc):
            out = smoother.smooth(a['uid'], person['keypoints_3d'], t)
            if person['label'] >= 0:
                entries.append((a['uid'], t, np.asarray(person['keypoints_3d']), out,
                                video.poses[t, person['label']]))
        for uid in tracker.ended_uids():
            smoother.drop(uid)
    entries = [e for e in entries if tracker.track_id_of(e[0]) >= 0]  # as exported
    for key, col in (('raw', 2), ('smoothed', 3)):
        seq: Dict[int, list] = {}
        for e in entries:
            seq.setdefault(e[0], []).append((e[1], e[col]))
        result[key] = dict(pose_errors([e[col] for e in entries], [e[4] for e in entries]),
                           jitter=jitter(seq))
    if offline_smoother is not None:
        result['offline'] = _offline_errors(entries, offline_smoother)
    gt_seq = {}
    for t in range(video.num_frames):
        for p in range(video.poses.shape[1]):
            gt_seq.setdefault(p, []).append((t, video.poses[t, p]))
    result['truth_jitter'] = jitter(gt_seq)
    return result


def _offline_errors(entries: List[tuple], offline_smoother) -> Dict[str, float]:
    """Errors of the zero-lag smoothing of each whole track (raw joints) at the frames of
    ``entries`` ``(uid, frame, raw, smoothed, truth)``."""
    from mmmar.structures.skeleton import NUM_JOINTS
    by_uid: Dict[int, Dict[int, np.ndarray]] = {}
    for uid, t, raw, _, _ in entries:
        by_uid.setdefault(uid, {})[t] = raw
    smoothed = {}
    for uid, frames in by_uid.items():
        first, last = min(frames), max(frames)
        pos = np.full((last - first + 1, NUM_JOINTS, 3), np.nan)
        for t, k in frames.items():
            pos[t - first] = k
        smoothed[uid] = (first, offline_smoother.smooth_track(pos))
    pred = [smoothed[u][1][t - smoothed[u][0]] for u, t, _, _, _ in entries]
    seq: Dict[int, list] = {}
    for (u, t, _, _, _), k in zip(entries, pred):
        seq.setdefault(u, []).append((t, k))
    return dict(pose_errors(pred, [e[4] for e in entries]), jitter=jitter(seq))


def format_table(rows: Dict[str, Dict[str, float]], keys: Sequence[str],
                 fmt: Optional[Dict[str, str]] = None, width: int = 12) -> str:
    """A plain-text table: one row per entry of ``rows``, columns ``width`` wide."""
    fmt = fmt or {}
    first = max(len(k) for k in rows) + 2
    head = ''.ljust(first) + ''.join(k.rjust(width) for k in keys)
    lines = [head]
    for name, vals in rows.items():
        cells = []
        for k in keys:
            v = vals.get(k, float('nan'))
            cells.append(format(v, fmt.get(k, '.1f')
                                if isinstance(v, float) else 'd').rjust(width))
        lines.append(name.ljust(first) + ''.join(cells))
    return '\n'.join(lines)
