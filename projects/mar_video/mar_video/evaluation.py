"""Run a tracker (and smoother) over the generated video and score it."""
from types import SimpleNamespace
from typing import Dict, List, Optional, Sequence

import numpy as np

from .metrics import clear_mot, jitter, pose_errors
from .synthetic import SyntheticVideo, gt_frames
from .tracker import MUPOTS_SIGMAS

__all__ = ['evaluate_sequence', 'MMPoseGreedyOKSTracker', 'format_table']


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


def evaluate_sequence(video: SyntheticVideo,
                      detections: List[List[dict]],
                      tracker,
                      smoother=None,
                      min_visible: int = 5) -> Dict[str, Dict[str, float]]:
    """Track (and smooth) the detections frame by frame; score against the truth.

    Returns:
        dict: ``mot`` (:func:`clear_mot`), and with a smoother ``raw`` / ``smoothed``
        (:func:`pose_errors` plus ``jitter``) over the detections the tracker reported.
    """
    tracker.reset()
    hyps, raw, smooth, truth = [], [], [], []
    seq_raw: Dict[int, list] = {}
    seq_smooth: Dict[int, list] = {}
    for t, people in enumerate(detections):
        assoc = tracker.update(people, t)
        frame_hyps = []
        for person, a in zip(people, assoc):
            out = None
            if smoother is not None:
                out = smoother.smooth(a['uid'], person['keypoints_3d'], t)
            if a['track_id'] < 0:
                continue
            frame_hyps.append((a['track_id'], person['label']))
            if smoother is None or person['label'] < 0:
                continue
            gt = video.poses[t, person['label']]
            raw.append(person['keypoints_3d'])
            smooth.append(out)
            truth.append(gt)
            seq_raw.setdefault(a['uid'], []).append((t, person['keypoints_3d']))
            seq_smooth.setdefault(a['uid'], []).append((t, out))
        if smoother is not None and hasattr(tracker, 'ended_uids'):
            for uid in tracker.ended_uids():
                smoother.drop(uid)
        hyps.append(frame_hyps)
    result = dict(mot=clear_mot(gt_frames(video, min_visible), hyps))
    if smoother is not None:
        result['raw'] = dict(pose_errors(raw, truth), jitter=jitter(seq_raw))
        result['smoothed'] = dict(pose_errors(smooth, truth),
                                  jitter=jitter(seq_smooth))
        gt_seq = {}
        for t in range(video.num_frames):
            for p in range(video.poses.shape[1]):
                gt_seq.setdefault(p, []).append((t, video.poses[t, p]))
        result['truth_jitter'] = jitter(gt_seq)
    return result


def format_table(rows: Dict[str, Dict[str, float]], keys: Sequence[str],
                 fmt: Optional[Dict[str, str]] = None) -> str:
    """A plain-text table: one row per entry of ``rows``."""
    fmt = fmt or {}
    width = max(len(k) for k in rows) + 2
    head = ''.ljust(width) + ''.join(k.rjust(12) for k in keys)
    lines = [head]
    for name, vals in rows.items():
        cells = []
        for k in keys:
            v = vals.get(k, float('nan'))
            cells.append(format(v, fmt.get(k, '.1f')
                                if isinstance(v, float) else 'd').rjust(12))
        lines.append(name.ljust(width) + ''.join(cells))
    return '\n'.join(lines)
