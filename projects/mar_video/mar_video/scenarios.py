"""Small scenes that test re-identification: a hidden crossing and a sudden zoom.

Each returns ``(detections, gt_ids)`` in the form of :func:`mar_video.synthetic.simulate_detections`
and :func:`mar_video.synthetic.gt_frames` (person dicts with the hidden ``label``; per frame
the identities that should be tracked), so :func:`mar_video.evaluation.score_tracker` scores
them.

* :func:`hidden_swap`: A (4 m) and B (5 m) walk past each other and swap places (1.2 m/s each,
  2.4 m apart at the start); B is hidden behind A for ``hide_s`` seconds around the crossing
  (no detection), so while hidden B moves ``1.2 * hide_s`` m.
* :func:`sudden_zoom`: three people stand still at 3.5, 5 and 6.5 m; at frame ``zoom_frame``
  the camera's focal length becomes ``factor`` times larger while the estimator keeps the old
  intrinsics (a video has no EXIF, the user's K is fixed): every 2D pose scales by ``factor``
  about the principal point and, since the estimator reads the depth from the apparent size,
  every depth by ``1 / factor`` (X and Y stay); optionally some of them are missed in the
  zoom frame.

The detections carry the noise of :func:`~mar_video.synthetic.simulate_detections` (2 px,
4 % root depth, 40 mm relative depth), deterministic from the seed.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np

from mmmar.datasets.synthetic.generator import make_K, project
from mmmar.geometry import back_project_np
from mmmar.structures.skeleton import NUM_JOINTS, ROOT
from .synthetic import _GROUND_Y, REST_OFFSETS, _walk_pose

__all__ = ['hidden_swap', 'sudden_zoom', 'scene_camera']

Scene = Tuple[List[List[Dict]], List[Sequence[int]]]


def scene_camera(img_size=(640, 360), fov_deg: float = 60.) -> np.ndarray:
    """``K`` of the scenes (the generated video's camera)."""
    w, h = img_size
    f = w / (2 * np.tan(np.deg2rad(fov_deg / 2)))
    return make_K(f, f, (w - 1) / 2, (h - 1) / 2)


def _person(x: float, z: float, yaw: float, phase: float, speed: float) -> np.ndarray:
    leg = REST_OFFSETS[[8, 9, 10], 1].sum()
    rel = _walk_pose(REST_OFFSETS, yaw, phase, speed, 0.0)
    return rel + np.array([x, _GROUND_Y - 0.985 * leg, z])


def _detect(pose: np.ndarray, K_true: np.ndarray, K_used: np.ndarray,
            rng: np.random.Generator, label: int) -> Dict:
    """A noisy detection of ``pose`` seen through ``K_true`` by an estimator that assumes
    ``K_used`` (depth from apparent size: scaled by ``fx_used / fx_true``)."""
    uv = project(pose, K_true) + rng.normal(0, 2.0, (NUM_JOINTS, 2))
    ratio = K_used[0, 0] / K_true[0, 0]
    z_root = pose[ROOT, 2] * ratio * (1 + rng.normal(0, 0.04))
    rel = (pose[:, 2] - pose[ROOT, 2]) + rng.normal(0, 40.0, NUM_JOINTS)
    rel[ROOT] = 0.0
    k3d = back_project_np(uv, z_root + rel, K_used)
    return dict(keypoints_3d=k3d, keypoints=uv, keypoint_scores=np.full(NUM_JOINTS, 0.9),
                root_depth=float(z_root), label=label)


def hidden_swap(hide_s: float = 0.8, seed: int = 0, fps: float = 25.,
                speed: float = 1200.) -> Scene:
    """A and B swap places, B hidden for ``hide_s`` s around the crossing (see module)."""
    rng = np.random.default_rng([seed, 23, 1])
    K = scene_camera()
    T = int(round(3.0 * fps))
    t_walk, dur = 0.5, 2400. / speed
    t_cross = t_walk + dur / 2
    frames, gts = [], []
    for t in range(T):
        ts = t / fps
        walked = np.clip(ts - t_walk, 0, dur) * speed
        moving = t_walk <= ts <= t_walk + dur
        v = speed if moving else 0.0
        phase = 2 * np.pi * ts * (v / 1400.)
        a = _person(-1200. + walked, 4000., -np.pi / 2, phase, v)
        b = _person(1200. - walked, 5000., np.pi / 2, phase + 1., v)
        people = [_detect(a, K, K, rng, 0)]
        gt = [0]
        if abs(ts - t_cross) > hide_s / 2:
            people.append(_detect(b, K, K, rng, 1))
            gt.append(1)
        frames.append([people[i] for i in rng.permutation(len(people))])
        gts.append(gt)
    return frames, gts


def sudden_zoom(factor: float = 1.5, seed: int = 0, num_frames: int = 50,
                zoom_frame: int = 25, missed: int = 0) -> Scene:
    """Three people standing; the focal length times ``factor`` from ``zoom_frame``; the
    first ``missed`` of them are not detected in the zoom frame."""
    rng = np.random.default_rng([seed, 23, 2])
    K = scene_camera()
    K_zoom = K.copy()
    K_zoom[0, 0] *= factor
    K_zoom[1, 1] *= factor
    where = [(-1300., 3500.), (400., 5000.), (1900., 6500.)]
    poses = [_person(x, z, 0.3 * i, 0., 0.) for i, (x, z) in enumerate(where)]
    frames, gts = [], []
    for t in range(num_frames):
        K_true = K_zoom if t >= zoom_frame else K
        people = [_detect(p, K_true, K, rng, i) for i, p in enumerate(poses)]
        gone = missed if t == zoom_frame else 0
        people = people[gone:]
        frames.append([people[i] for i in rng.permutation(len(people))])
        gts.append(list(range(gone, len(poses))))
    return frames, gts
