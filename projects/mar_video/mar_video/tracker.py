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
velocity, predicted through the whole gap while a track is missed, up to ``max_age`` frames),
which averages the per-frame depth noise out of the prediction. mmpose's own tracking helpers
(``mmpose.apis._track_by_oks`` / ``_track_by_iou``) are greedy frame-to-frame 2D matchers
without miss tolerance; they serve as the baseline in :mod:`mar_video.evaluation`.

Gates: a pair farther than ``gate = max_dist + max_speed * (gap - 1 frame)`` (mm; ``gap`` in
seconds since the track was last seen; ``max_speed`` is how fast a person may stray from the
constant-velocity prediction) is never matched. For a track seen in the previous frame the
pair's cost must also stay below ``max_cost`` (its 2D pose must overlap the detection's, or
their roots be close: with no 2D overlap, ``d <= 0.7 d_0``). After misses (``full_gate``) the
track's 2D pose is stale (the person moved while hidden), so the distance gate alone decides,
and the 3D term ``0.9 min(d / d_0, 1) + 0.1 d / gate`` (equal to ``d / d_0`` up to ``d_0`` for a
track seen in the previous frame) keeps ranking pairs beyond ``d_0``; a re-identified track
restarts from the detection (the gain of a Kalman filter tends to 1 as the prediction's
variance grows). The 3D term tells apart people who overlap in the image at different depths
(where a 2D tracker swaps them); the 2D term separates people standing close together in 3D.

**Zoom** (``rescale_test``, :mod:`mar_video.zoom`): when the camera's focal length changes but
the intrinsics given to the estimator do not, every depth scales by the same factor ``s`` in one
frame (X, Y stay, the 2D poses scale by ``1 / s`` about the principal point); the assignment is
then also solved with the tracks rescaled, and the rescale kept if it explains the frame better
(:attr:`PoseTracker3D.last_depth_scale` tells the smoother).

Life cycle: an unmatched detection starts a *tentative* track; it becomes *confirmed* and gets
its public ``track_id`` (0, 1, 2, ...) after ``min_hits`` matched frames; a tentative track
missed once is dropped; a confirmed track is kept through up to ``max_age`` missed frames
(occlusion, leaving the picture shortly, a missed detection) and then ends (death). Once
confirmed, a track's earlier (tentative) frames belong to it too:
:meth:`PoseTracker3D.track_id_of` gives the public id of any internal ``uid``, so that exports
can write every track from its first frame.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmmar.datasets.metainfo.mupots3d import dataset_info as mupots_info
from mmmar.structures.skeleton import NUM_JOINTS, ROOT
from .registry import TASK_UTILS
from .zoom import is_zoom, principal_point, refine_scale, zoom_candidates

__all__ = ['PoseTracker3D', 'Track', 'MUPOTS_SIGMAS', 'oks_matrix', 'principal_point']

#: OKS sigmas of the 17 MuPoTS-3D joints (from mmmar's dataset metainfo).
MUPOTS_SIGMAS = np.asarray(mupots_info['sigmas'], np.float64)

_INFEASIBLE = 1e6
#: Tracks seen within this many frames are the references of the zoom test.
RECENT_FRAMES = 3


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

    def predict_root(self, frame_idx: int,
                     predict_frames: Optional[int] = None) -> np.ndarray:
        gap = frame_idx - self.last_frame
        if predict_frames is not None:
            gap = min(gap, predict_frames)
        return self.root + self.velocity * gap

    def update(self, frame_idx: int, root: np.ndarray, kpts2d: np.ndarray,
               scores: np.ndarray, alpha: float, beta: float,
               predict_frames: Optional[int], max_step: float,
               reset_after_miss: bool = True) -> None:
        gap = max(frame_idx - self.last_frame, 1)
        pred = self.predict_root(frame_idx, predict_frames)
        residual = root - pred
        # after misses the prediction is uncertain: the position is re-initialised at the
        # detection (the gain of a Kalman filter tends to 1 as the prediction's variance grows)
        self.root = pred + (alpha if gap == 1 or not reset_after_miss else 1.0) * residual
        self.velocity = self.velocity + beta * residual / gap
        speed = float(np.linalg.norm(self.velocity))
        if speed > max_step:
            self.velocity *= max_step / speed
        self.kpts2d, self.scores = kpts2d.copy(), scores.copy()
        self.last_frame = frame_idx
        self.hits += 1

    def rescale_depth(self, s: float, center: Optional[np.ndarray]) -> None:
        """The camera zoomed: depths times ``s``, 2D pose about ``center`` times ``1/s``."""
        self.root[2] *= s
        self.velocity[2] *= s
        if center is not None:
            self.kpts2d = center + (self.kpts2d - center) / s


@TASK_UTILS.register_module()
class PoseTracker3D:
    """Track MAR's people over frames (see the module docstring for the cost and gates).

    Args:
        fps (float): Frame rate (for the speed gate). Defaults to 25.
        w_3d (float): Weight of the 3D root distance in the cost, in [0, 1].
        dist_scale (float): Root distance ``d_0`` (mm) at which ``min(d / d_0, 1)``
            saturates.
        max_dist (float): Gate on the root distance (mm) for a track seen in the previous
            frame.
        max_speed (float): The gate grows by this many mm per second of absence: how far a
            person may stray from the constant-velocity prediction.
        max_cost (float): Pairs of a track seen in the previous frame with a larger cost
            are not matched (all pairs when ``full_gate`` is False).
        min_hits (int): Matched frames before a track is confirmed (birth).
        max_age (int): Missed frames a confirmed track survives (death after that).
        predict_frames (int, optional): Constant-velocity prediction horizon (frames);
            None (default): through the whole gap.
        depth_weight (float): Weight of the depth (Z) difference in the root distance
            (MAR's depth is noisier than its X, Y).
        alpha, beta (float): Gains of the tracks' alpha-beta root filter.
        vis_thr (float): Joints with scores below this are left out of the OKS.
        full_gate (bool): After misses the whole gate is usable: ``max_cost`` only applies
            to tracks seen in the previous frame, the 3D term keeps growing beyond ``d_0``
            and a re-identified track restarts from the detection (default). False: the
            cost limit of mar_video before issue 23 (about 0.7 m usable whatever the gap).
        rescale_test (bool): Test a global depth rescale (zoom) each frame. Default True.
        rescale_min (float): Relative change of the median depth from which the rescale
            is tested. Default 0.2 (smaller changes are within the depth noise of a few
            people and the gates cover them).
        max_velocity (float): Largest speed (mm/s) of a track's prediction.
    """

    def __init__(self,
                 fps: float = 25.0,
                 w_3d: float = 0.5,
                 dist_scale: float = 1000.0,
                 max_dist: float = 800.0,
                 max_speed: float = 1000.0,
                 max_cost: float = 0.85,
                 min_hits: int = 2,
                 max_age: int = 50,
                 predict_frames: Optional[int] = None,
                 depth_weight: float = 0.5,
                 alpha: float = 0.4,
                 beta: float = 0.05,
                 vis_thr: float = 0.2,
                 full_gate: bool = True,
                 rescale_test: bool = True,
                 rescale_min: float = 0.2,
                 max_velocity: float = 2500.0):
        if not 0 <= w_3d <= 1:
            raise ValueError(f'w_3d must be in [0, 1], got {w_3d}')
        if min_hits < 1 or max_age < 0 or fps <= 0:
            raise ValueError('need min_hits >= 1, max_age >= 0 and fps > 0')
        if predict_frames is not None and predict_frames < 0:
            raise ValueError(f'predict_frames must be >= 0 or None, got {predict_frames}')
        self.fps = float(fps)
        self.w_3d = float(w_3d)
        self.dist_scale = float(dist_scale)
        self.max_dist = float(max_dist)
        self.max_speed = float(max_speed)
        self.max_cost = float(max_cost)
        self.min_hits = int(min_hits)
        self.max_age = int(max_age)
        self.predict_frames = None if predict_frames is None else int(predict_frames)
        self.depth_weight = float(depth_weight)
        self.alpha, self.beta = float(alpha), float(beta)
        self.vis_thr = float(vis_thr)
        self.full_gate = bool(full_gate)
        self.rescale_test = bool(rescale_test)
        self.rescale_min = float(rescale_min)
        self.max_velocity = float(max_velocity)
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
        self._track_ids: Dict[int, int] = {}
        #: Depth scale applied to the tracks in the last frame (1.0: no zoom detected).
        self.last_depth_scale = 1.0

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
        return k3d[ROOT], k2d, scores, k3d

    def gate(self, gap_frames: int) -> float:
        """The root-distance gate (mm) of a track last seen ``gap_frames`` ago."""
        return self.max_dist + self.max_speed * max(gap_frames - 1, 0) / self.fps

    def cost_matrix(self, dets: List[tuple], frame_idx: int, depth_scale: float = 1.0,
                    center: Optional[np.ndarray] = None) -> np.ndarray:
        """Cost (tracks x detections), :data:`_INFEASIBLE` outside the gates; with
        ``depth_scale`` the tracks as if the camera had zoomed (see the module)."""
        n_t, n_d = len(self.tracks), len(dets)
        cost = np.full((n_t, n_d), _INFEASIBLE)
        if not n_t or not n_d:
            return cost
        k2d = [t.kpts2d for t in self.tracks]
        if depth_scale != 1.0 and center is not None:
            k2d = [center + (k - center) / depth_scale for k in k2d]
        oks = oks_matrix(k2d, [t.scores for t in self.tracks], [d[1] for d in dets],
                         [d[2] for d in dets], vis_thr=self.vis_thr)
        for i, trk in enumerate(self.tracks):
            pred = trk.predict_root(frame_idx, self.predict_frames) * \
                np.array([1.0, 1.0, depth_scale])
            gap = frame_idx - trk.last_frame
            gate = self.gate(gap)
            cost_gated = gap <= 1 or not self.full_gate
            for j, det in enumerate(dets):
                d = float(np.linalg.norm((det[0] - pred) * self._axis_w))
                if not np.isfinite(d) or d > gate:
                    continue
                c = self.w_3d * self._dist_cost(d, gate) + (1 - self.w_3d) * (1 - oks[i, j])
                if c <= self.max_cost or not cost_gated:
                    cost[i, j] = c
        return cost

    def _dist_cost(self, d: float, gate: float) -> float:
        """The 3D term: ``min(d / d_0, 1)``; with ``full_gate``, ``0.9 min(d / d_0, 1) +
        0.1 d / gate`` (the same up to ``d_0`` for a track seen in the previous frame, and
        still growing beyond ``d_0`` inside a larger gate, to rank far pairs)."""
        near = min(d / self.dist_scale, 1.0)
        return 0.9 * near + 0.1 * d / gate if self.full_gate else near

    def _prune(self, frame_idx: int) -> None:
        """End the tracks that missed too many frames before ``frame_idx``: tentative
        tracks after one, confirmed ones after ``max_age``."""
        survivors = []
        for trk in self.tracks:
            missed = frame_idx - trk.last_frame - 1
            limit = self.max_age if trk.confirmed else 0
            (survivors if missed <= limit else self.ended).append(trk)
        self.tracks = survivors

    def _assign(self, cost: np.ndarray) -> Tuple[Dict[int, Track], float]:
        """Optimal assignment: (detection index -> track, total cost); pairs outside the
        gates stay unmatched."""
        from scipy.optimize import linear_sum_assignment
        matched, total = {}, 0.0
        if cost.size:
            for r, c in zip(*linear_sum_assignment(cost)):
                if cost[r, c] < _INFEASIBLE:
                    matched[c] = self.tracks[r]
                    total += float(cost[r, c])
        return matched, total

    def _recent(self, frame_idx: int) -> List[Track]:
        """Confirmed tracks seen in the last :data:`RECENT_FRAMES` frames (their predicted
        depths are good references for the zoom test)."""
        return [t for t in self.tracks
                if t.confirmed and frame_idx - t.last_frame <= RECENT_FRAMES]

    def _associate(self, dets: List[tuple], frame_idx: int) -> Dict[int, Track]:
        """The assignment of this frame, with the zoom test (:mod:`mar_video.zoom`)."""
        self.last_depth_scale = 1.0
        matched, total = self._assign(self.cost_matrix(dets, frame_idx))
        recent = self._recent(frame_idx)
        if not self.rescale_test:
            return matched
        pred_z = [t.predict_root(frame_idx, self.predict_frames)[2] for t in recent]
        cands = zoom_candidates([d[0][2] for d in dets], pred_z, self.rescale_min)
        if not cands:
            return matched
        center = principal_point(dets)
        recent_ids = {id(t) for t in recent}

        def solve(s):
            m, c = self._assign(self.cost_matrix(dets, frame_idx, s, center))
            pairs = [(dets[j][0][2], t) for j, t in m.items() if id(t) in recent_ids]
            return m, c, pairs

        best = None
        for s in cands:
            m, c, pairs = solve(s)
            key = (len(pairs), len(m), -c)
            if best is None or key > best[0]:
                best = (key, s, pairs)
        s = refine_scale(best[1], best[2], frame_idx, self.predict_frames)
        if abs(np.log(s)) < np.log1p(self.rescale_min):
            return matched  # the people matched under the candidate did not scale
        matched_s, total_s, pairs = solve(s)
        if is_zoom(len(pairs), len(recent), len(dets), len(matched_s), total_s,
                   len(matched), total):
            for trk in self.tracks:
                trk.rescale_depth(s, center)
            self.last_depth_scale = s
            return matched_s
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
            track it now belongs to, also for tentative tracks), ``track_id`` (the public
            id, -1 while the track is tentative) and ``confirmed_now`` (True in the frame
            the track was confirmed: its earlier frames, under the same ``uid``, now belong
            to ``track_id`` too).
        """
        dets = [self._parse(p, i) for i, p in enumerate(people)]
        self._prune(frame_idx)
        matched_d = self._associate(dets, frame_idx)
        confirmed_now = set()
        for j, trk in matched_d.items():
            trk.update(frame_idx, *dets[j][:3], self.alpha, self.beta,
                       self.predict_frames, self.max_velocity / self.fps, self.full_gate)
            if not trk.confirmed and trk.hits >= self.min_hits:
                self._confirm(trk)
                confirmed_now.add(trk.uid)
        self._prune(frame_idx + 1)
        out = []
        for j, det in enumerate(dets):
            trk = matched_d.get(j)
            if trk is None:
                trk = Track(self._next_uid, frame_idx, *det[:3])
                self._next_uid += 1
                if self.min_hits <= 1:
                    self._confirm(trk)
                    confirmed_now.add(trk.uid)
                self.tracks.append(trk)
            out.append(dict(uid=trk.uid, track_id=trk.track_id,
                            confirmed_now=trk.uid in confirmed_now))
        return out

    def _confirm(self, trk: Track) -> None:
        trk.track_id = self._next_track_id
        self._track_ids[trk.uid] = trk.track_id
        self._next_track_id += 1

    def track_id_of(self, uid: int) -> int:
        """Public id of the track with internal id ``uid`` (-1: never confirmed so far)."""
        return self._track_ids.get(uid, -1)

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
