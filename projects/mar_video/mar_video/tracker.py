"""Multi-person tracking in 3D: stable IDs from MAR's camera-space skeletons.

Each frame's people are associated with the live tracks by an optimal assignment
(:func:`scipy.optimize.linear_sum_assignment`) on the cost

.. math::

    c = w_{3D} \\min(d / d_0, 1) + (1 - w_{3D}) (1 - \\mathrm{OKS}),

where ``d`` is the distance (mm) between the detection's root (pelvis) and the track's
predicted root, the depth difference weighted by ``depth_weight`` (MAR's depth is noisier
than its X, Y), ``d_0 = dist_scale``, and OKS the 2D object keypoint similarity between the
detection's and the track's last 2D joints (mmpose's
:func:`~mmpose.evaluation.functional.nms.oks_iou`, with the MuPoTS-3D joint sigmas, the scale
being the 2D box area). Each track follows its root with an alpha-beta filter (constant
velocity, predicted at most ``predict_frames`` ahead), which averages the per-frame depth noise
out of the prediction. mmpose's own tracking helpers (``mmpose.apis._track_by_oks`` /
``_track_by_iou``) are greedy frame-to-frame 2D matchers without miss tolerance; they serve as
the baseline in :mod:`mar_video.evaluation`. Pairs farther than the gate ``max_dist +
max_speed * gap`` (mm; ``gap`` in seconds since the track was last seen) or with a cost above
``max_cost`` are never matched. The 3D term tells apart people who overlap in the image at
different depths (where a 2D tracker swaps them); the 2D term separates people standing close
together in 3D.

Life cycle: an unmatched detection starts a *tentative* track; it becomes *confirmed* and gets
its public ``track_id`` (0, 1, 2, ...) after ``min_hits`` matched frames; a tentative track
missed once is dropped; a confirmed track is kept through up to ``max_age`` missed frames
(occlusion, leaving the picture shortly, a missed detection) and then ends (death).
"""
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmmar.datasets.metainfo.mupots3d import dataset_info as mupots_info
from mmmar.structures.skeleton import NUM_JOINTS, ROOT
from .registry import TASK_UTILS

__all__ = ['PoseTracker3D', 'Track', 'MUPOTS_SIGMAS', 'oks_matrix']

#: OKS sigmas of the 17 MuPoTS-3D joints (from mmmar's dataset metainfo).
MUPOTS_SIGMAS = np.asarray(mupots_info['sigmas'], np.float64)

_INFEASIBLE = 1e6


def _area(kpts2d: np.ndarray) -> float:
    ok = np.isfinite(kpts2d).all(-1)
    if not ok.any():
        return 1.0
    wh = kpts2d[ok].max(0) - kpts2d[ok].min(0)
    return float(max(wh[0] * wh[1], 1.0))


def oks_matrix(kpts_a: Sequence[np.ndarray], scores_a: Sequence[np.ndarray],
               kpts_b: Sequence[np.ndarray], scores_b: Sequence[np.ndarray],
               sigmas: np.ndarray = MUPOTS_SIGMAS,
               vis_thr: float = 0.2) -> np.ndarray:
    """OKS between every pose of ``a`` and every pose of ``b`` (len(a), len(b)).

    Uses mmpose's :func:`oks_iou` (scale: mean of the two 2D box areas).
    """
    from mmpose.evaluation.functional.nms import oks_iou
    out = np.zeros((len(kpts_a), len(kpts_b)), np.float64)
    if not len(kpts_a) or not len(kpts_b):
        return out
    flat_b = np.stack([
        np.concatenate([np.nan_to_num(k), s[:, None]], 1).reshape(-1)
        for k, s in zip(kpts_b, scores_b)
    ])
    area_b = np.array([_area(k) for k in kpts_b])
    for i, (k, s) in enumerate(zip(kpts_a, scores_a)):
        g = np.concatenate([np.nan_to_num(k), s[:, None]], 1).reshape(-1)
        out[i] = oks_iou(g, flat_b, _area(k), area_b, sigmas=sigmas,
                         vis_thr=vis_thr)
    return np.nan_to_num(out)


class Track:
    """State of one track (internal ``uid``; public ``track_id`` once confirmed).

    The root is followed by an alpha-beta filter (position gain ``alpha``, velocity gain
    ``beta``), so that the per-frame depth noise of the detections is averaged out of the
    prediction the next frame is matched against.
    """

    def __init__(self, uid: int, frame_idx: int, root: np.ndarray,
                 kpts2d: np.ndarray, scores: np.ndarray):
        self.uid = uid
        self.track_id = -1
        self.hits = 1
        self.first_frame = frame_idx
        self.last_frame = frame_idx
        self.root = root.copy()
        self.velocity = np.zeros(3)  # mm per frame
        self.kpts2d = kpts2d.copy()
        self.scores = scores.copy()

    @property
    def confirmed(self) -> bool:
        return self.track_id >= 0

    def predict_root(self, frame_idx: int, predict_frames: int) -> np.ndarray:
        gap = min(frame_idx - self.last_frame, predict_frames)
        return self.root + self.velocity * gap

    def update(self, frame_idx: int, root: np.ndarray, kpts2d: np.ndarray,
               scores: np.ndarray, alpha: float, beta: float,
               predict_frames: int, max_step: float) -> None:
        gap = max(frame_idx - self.last_frame, 1)
        pred = self.predict_root(frame_idx, predict_frames)
        residual = root - pred
        self.root = pred + alpha * residual
        self.velocity = self.velocity + beta * residual / gap
        speed = float(np.linalg.norm(self.velocity))
        if speed > max_step:
            self.velocity *= max_step / speed
        self.kpts2d, self.scores = kpts2d.copy(), scores.copy()
        self.last_frame = frame_idx
        self.hits += 1


@TASK_UTILS.register_module()
class PoseTracker3D:
    """Track MAR's people over frames (see the module docstring for the cost).

    Args:
        fps (float): Frame rate (for the speed gate). Defaults to 25.
        w_3d (float): Weight of the 3D root distance in the cost, in [0, 1].
        dist_scale (float): Root distance (mm) at which the 3D term reaches 1.
        max_dist (float): Gate on the root distance (mm) for a track seen in the previous
            frame.
        max_speed (float): The gate grows by this many mm per second of absence.
        max_cost (float): Pairs with a larger cost are not matched.
        min_hits (int): Matched frames before a track is confirmed (birth).
        max_age (int): Missed frames a confirmed track survives (death after that).
        predict_frames (int): Constant-velocity prediction horizon (frames).
        depth_weight (float): Weight of the depth (Z) difference in the root distance
            (MAR's depth is noisier than its X, Y).
        alpha, beta (float): Gains of the tracks' alpha-beta root filter.
        vis_thr (float): Joints with scores below this are left out of the OKS.
    """

    def __init__(self,
                 fps: float = 25.0,
                 w_3d: float = 0.5,
                 dist_scale: float = 1000.0,
                 max_dist: float = 1000.0,
                 max_speed: float = 2500.0,
                 max_cost: float = 0.85,
                 min_hits: int = 2,
                 max_age: int = 50,
                 predict_frames: int = 5,
                 depth_weight: float = 0.5,
                 alpha: float = 0.4,
                 beta: float = 0.05,
                 vis_thr: float = 0.2):
        if not 0 <= w_3d <= 1:
            raise ValueError(f'w_3d must be in [0, 1], got {w_3d}')
        if min_hits < 1 or max_age < 0 or fps <= 0:
            raise ValueError('need min_hits >= 1, max_age >= 0 and fps > 0')
        self.fps = float(fps)
        self.w_3d = float(w_3d)
        self.dist_scale = float(dist_scale)
        self.max_dist = float(max_dist)
        self.max_speed = float(max_speed)
        self.max_cost = float(max_cost)
        self.min_hits = int(min_hits)
        self.max_age = int(max_age)
        self.predict_frames = int(predict_frames)
        self.depth_weight = float(depth_weight)
        self.alpha, self.beta = float(alpha), float(beta)
        self.vis_thr = float(vis_thr)
        self.reset()

    @property
    def _axis_w(self) -> np.ndarray:
        return np.array([1.0, 1.0, self.depth_weight])

    def reset(self) -> None:
        """Forget every track."""
        self.tracks: List[Track] = []
        self.ended: List[Track] = []
        self._next_uid = 0
        self._next_track_id = 0

    # ------------------------------------------------------------------
    @staticmethod
    def _parse(person: dict, i: int):
        k3d = np.asarray(person['keypoints_3d'], np.float64)
        k2d = np.asarray(person['keypoints'], np.float64)
        if k3d.shape != (NUM_JOINTS, 3) or k2d.shape != (NUM_JOINTS, 2):
            raise ValueError(
                f'person {i}: keypoints_3d must be ({NUM_JOINTS}, 3) and keypoints '
                f'({NUM_JOINTS}, 2), got {k3d.shape} and {k2d.shape}')
        scores = np.asarray(person.get('keypoint_scores', np.ones(NUM_JOINTS)),
                            np.float64).reshape(NUM_JOINTS)
        return k3d[ROOT], k2d, scores

    def cost_matrix(self, dets: List[tuple], frame_idx: int) -> np.ndarray:
        """Cost (tracks x detections), :data:`_INFEASIBLE` outside the gates."""
        n_t, n_d = len(self.tracks), len(dets)
        cost = np.full((n_t, n_d), _INFEASIBLE)
        if not n_t or not n_d:
            return cost
        oks = oks_matrix([t.kpts2d for t in self.tracks],
                         [t.scores for t in self.tracks], [d[1] for d in dets],
                         [d[2] for d in dets], vis_thr=self.vis_thr)
        for i, trk in enumerate(self.tracks):
            pred = trk.predict_root(frame_idx, self.predict_frames)
            gap_s = (frame_idx - trk.last_frame) / self.fps
            gate = self.max_dist + self.max_speed * max(gap_s - 1 / self.fps, 0)
            for j, (root, _, _) in enumerate(dets):
                d = float(np.linalg.norm((root - pred) * self._axis_w))
                if not np.isfinite(d) or d > gate:
                    continue
                c = self.w_3d * min(d / self.dist_scale, 1.0) + \
                    (1 - self.w_3d) * (1 - oks[i, j])
                if c <= self.max_cost:
                    cost[i, j] = c
        return cost

    def _prune(self, frame_idx: int) -> None:
        """End the tracks that missed too many frames before ``frame_idx``: tentative
        tracks after one, confirmed ones after ``max_age``."""
        survivors = []
        for trk in self.tracks:
            missed = frame_idx - trk.last_frame - 1
            limit = self.max_age if trk.confirmed else 0
            (survivors if missed <= limit else self.ended).append(trk)
        self.tracks = survivors

    def _assign(self, cost: np.ndarray) -> Dict[int, Track]:
        """Optimal assignment, detection index -> track; pairs outside the gates stay
        unmatched."""
        from scipy.optimize import linear_sum_assignment
        matched = {}
        if cost.size:
            for r, c in zip(*linear_sum_assignment(cost)):
                if cost[r, c] < _INFEASIBLE:
                    matched[c] = self.tracks[r]
        return matched

    def update(self, people: Sequence[dict], frame_idx: int) -> List[Dict]:
        """Associate one frame's people with the tracks.

        Args:
            people (list[dict]): Per person ``keypoints_3d`` (17, 3) camera mm,
                ``keypoints`` (17, 2) px and optionally ``keypoint_scores`` (17,) (the
                inferencer's person dicts).
            frame_idx (int): Frame index (increasing; gaps allowed).

        Returns:
            list[dict]: One per input person, in input order: ``uid`` (internal id of the
            track it now belongs to, also for tentative tracks) and ``track_id`` (the public
            id, -1 while the track is tentative).
        """
        dets = [self._parse(p, i) for i, p in enumerate(people)]
        self._prune(frame_idx)
        cost = self.cost_matrix(dets, frame_idx)
        matched_d = self._assign(cost)
        for j, trk in matched_d.items():
            trk.update(frame_idx, *dets[j], self.alpha, self.beta,
                       self.predict_frames, self.max_speed / self.fps)
            if not trk.confirmed and trk.hits >= self.min_hits:
                trk.track_id = self._next_track_id
                self._next_track_id += 1
        self._prune(frame_idx + 1)
        out = []
        for j, det in enumerate(dets):
            trk = matched_d.get(j)
            if trk is None:
                trk = Track(self._next_uid, frame_idx, *det)
                self._next_uid += 1
                if self.min_hits <= 1:
                    trk.track_id = self._next_track_id
                    self._next_track_id += 1
                self.tracks.append(trk)
            out.append(dict(uid=trk.uid, track_id=trk.track_id))
        return out

    def ended_uids(self) -> List[int]:
        """Internal ids of the tracks that ended since the last call (then forgotten)."""
        uids = [t.uid for t in self.ended]
        self.ended = []
        return uids

    def track_of_uid(self, uid: int) -> Optional[Track]:
        """The live track with internal id ``uid`` (None once ended)."""
        for t in self.tracks:
            if t.uid == uid:
                return t
        return None
