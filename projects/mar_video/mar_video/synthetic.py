"""A generated video with known identities, for measuring tracking and smoothing.

The scene (deterministic from a seed) has five people in front of a fixed camera
(640x360, 60-degree horizontal field of view, 25 fps, camera 1.5 m above a flat floor):

* A and B walk towards each other at nearly the same depth (4.0 m and 4.6 m) and cross;
  they overlap in the image for about a second;
* C walks from 9 m away towards the camera, passing behind A and B;
* D stands at 6 m and waves, and is covered by A and B as they pass in front;
* E walks out of the picture on the left, stays out for about 1.4 s, and walks back in
  (it is also hidden behind D for a moment before).

Bodies are the synthetic generator's (``mmmar.datasets.synthetic.generator``: its bone
offsets, joint-rotation helpers, renderer and camera helpers) animated by a walking cycle.
Each frame is rendered (people painted far-to-near), which gives every joint's visibility.

:func:`simulate_detections` turns the true poses into what a MAR-like estimator outputs:
a person is detected when at least ``min_visible`` joints are visible (and not dropped by
``miss_rate``), with 2D noise in pixels, a root-depth error (a constant per-person bias plus
white noise, both relative to the depth) and root-relative depth noise; the 3D joints are the
back-projection of the noisy 2D joints at the noisy depths (as MAR's Eq. 1), so 2D and 3D
agree. Short-lived false positives (random people at random places) are added. The hidden
``label`` of each detection (the identity, or -1 for a false positive) is for scoring only.
"""
from typing import Dict, List, Sequence

import cv2
import numpy as np

from mmmar.datasets.synthetic.generator import (LIMB_COLORS, REST_OFFSETS, make_K, project,
                                                random_background, render_people, rot_x, rot_y,
                                                rot_z, sample_poses)
from mmmar.geometry import back_project_np
from mmmar.structures.skeleton import LIMBS, NUM_JOINTS, ROOT

__all__ = ['SyntheticVideo', 'make_video', 'simulate_detections', 'IDENTITIES']

IDENTITIES = ('A', 'B', 'C', 'D', 'E')
_GROUND_Y = 1500.0  # mm below the camera centre

# (waypoints in the floor plane (X, Z) mm, start time s, speed mm/s); D stands and waves.
_PATHS = {
    'A': ([(-3300., 4000.), (3300., 4000.)], 0.0, 1300.),
    'B': ([(3300., 4600.), (-3300., 4600.)], 0.4, 1250.),
    'C': ([(-1800., 9500.), (900., 3000.)], 0.0, 1000.),
    'D': ([(500., 6000.)], 0.0, 0.),
    'E': ([(1500., 7000.), (-4900., 7000.), (-4900., 7300.), (-1500., 7300.)],
          0.0, 1400.),
}


class SyntheticVideo:
    """Ground truth of the generated video.

    Attributes:
        K (np.ndarray): (3, 3) intrinsics.
        img_size (tuple): (W, H).
        fps (float): Frames per second.
        poses (np.ndarray): (T, P, 17, 3) camera-space joints, mm (P = 5 identities).
        vis (np.ndarray): (T, P, 17) joint visible in frame t (inside, not covered).
        colors (np.ndarray): (P, 16, 3) body-part colours used by :meth:`render`.
        seed (int): The seed.
    """

    def __init__(self, K, img_size, fps, poses, vis, colors, seed):
        self.K, self.img_size, self.fps = K, img_size, fps
        self.poses, self.vis, self.colors, self.seed = poses, vis, colors, seed
        # the training data's look (mmmar.datasets.synthetic): fixed body-part colours with
        # a small per-person jitter, one of its random backgrounds (drawn apart from the
        # scene's generator, so the scene does not depend on it)
        rng = np.random.default_rng([seed, 15])
        self.train_colors = np.clip(
            LIMB_COLORS[None] + rng.uniform(-25, 25, (len(colors), 1, 3)), 0, 255)
        self.background = random_background(rng, tuple(img_size))

    @property
    def num_frames(self) -> int:
        return len(self.poses)

    def render(self, t: int, style: str = 'training') -> np.ndarray:
        """Frame ``t`` as a BGR uint8 image.

        ``style='training'`` (default): drawn as the synthetic training images of the shipped
        model (:func:`~mmmar.datasets.synthetic.generator.render_image`: its body-part
        colours, one of its random backgrounds), so the network sees the kind of picture it
        was trained on. ``'muted'``: a floor grid (every metre, on the floor 1.5 m below the
        camera) and each person in one muted tone (the look of the README's first
        animation; the shipped model finds nobody in it).
        """
        if style == 'training':
            img, _ = render_people(self.background.copy(), self.poses[t], self.K,
                                   colors=self.train_colors)
            return img
        if style != 'muted':
            raise ValueError(f"style must be 'training' or 'muted', got {style!r}")
        w, h = self.img_size
        img = np.empty((h, w, 3), np.uint8)
        img[:] = (215, 210, 200)
        horizon = int(round(self.K[1, 2]))
        img[horizon:] = (175, 180, 185)
        for z in range(2, 31):
            a, b = project(np.array([[-20000., _GROUND_Y, z * 1000.],
                                     [20000., _GROUND_Y, z * 1000.]]), self.K)
            cv2.line(img, tuple(int(v) for v in a), tuple(int(v) for v in b),
                     (150, 155, 160), 1, cv2.LINE_AA)
        for x in range(-12, 13):
            a, b = project(np.array([[x * 1000., _GROUND_Y, 1500.],
                                     [x * 1000., _GROUND_Y, 30000.]]), self.K)
            cv2.line(img, tuple(int(v) for v in a), tuple(int(v) for v in b),
                     (150, 155, 160), 1, cv2.LINE_AA)
        img, _ = render_people(img, self.poses[t], self.K, colors=self.colors)
        return img


def _walk_pose(offsets: np.ndarray, yaw: float, phase: float, speed: float,
               wave: float) -> np.ndarray:
    """Root-relative (17, 3) joints of a walking (or standing, waving) person."""
    a = np.asarray
    amp = min(speed / 1300., 1.0)
    s = np.sin(phase)
    local = {j: np.eye(3) for j in range(NUM_JOINTS)}
    local[ROOT] = rot_y(a(yaw)) @ rot_z(a(0.03 * amp * s))
    local[15] = rot_x(a(-np.deg2rad(5 + 3 * amp)))
    for hip, knee, side in ((8, 9, 1.0), (11, 12, -1.0)):
        flex = np.deg2rad(25) * amp * side * s
        local[hip] = rot_z(a(side * np.deg2rad(3))) @ rot_x(a(-flex))
        kflex = np.deg2rad(5 + 35 * amp * max(0.0, -side * np.cos(phase)))
        local[knee] = rot_x(a(kflex))
    for sho, elb, side in ((2, 3, 1.0), (5, 6, -1.0)):
        flex = -np.deg2rad(20) * amp * side * s
        local[sho] = rot_z(a(side * np.deg2rad(8))) @ rot_x(a(-flex))
        local[elb] = rot_x(a(-np.deg2rad(15 + 10 * amp)))
    if wave > 0:  # right arm up, forearm waving
        local[2] = rot_z(a(np.deg2rad(150)))
        local[3] = rot_z(a(np.deg2rad(25) * np.sin(wave)))
    glob = {ROOT: local[ROOT]}
    pos = np.zeros((NUM_JOINTS, 3))
    for p, c in LIMBS:
        pos[c] = pos[p] + glob[p] @ offsets[c]
        glob[c] = glob[p] @ local[c]
    return pos


def _path_position(points, t0, speed, t):
    """Position (X, Z) and heading along a polyline walked at ``speed`` from ``t0``."""
    pts = np.asarray(points, np.float64)
    if len(pts) == 1 or speed <= 0:
        return pts[0], np.array([0., -1.]), 0.0
    dist = max(t - t0, 0.0) * speed
    for a, b in zip(pts[:-1], pts[1:]):
        seg = float(np.linalg.norm(b - a))
        if dist <= seg:
            d = (b - a) / seg
            return a + d * dist, d, speed if t >= t0 else 0.0
        dist -= seg
    d = pts[-1] - pts[-2]
    return pts[-1], d / np.linalg.norm(d), 0.0


def make_video(seed: int = 0, num_frames: int = 250, fps: float = 25.0,
               img_size=(640, 360)) -> SyntheticVideo:
    """Generate the scene (see the module docstring); deterministic from ``seed``."""
    rng = np.random.default_rng([seed, 14])
    w, h = img_size
    f = w / (2 * np.tan(np.deg2rad(30)))
    K = make_K(f, f, (w - 1) / 2, (h - 1) / 2)
    P = len(IDENTITIES)
    scale = rng.uniform(0.92, 1.08, P)
    poses = np.zeros((num_frames, P, NUM_JOINTS, 3))
    for p, name in enumerate(IDENTITIES):
        pts, t0, speed = _PATHS[name]
        jitter = rng.uniform(-250., 250., (len(pts), 2))
        pts = np.asarray(pts) + jitter * np.array([1.0, 0.5])
        t0 = t0 + rng.uniform(0, 0.3)
        offsets = REST_OFFSETS * scale[p]
        leg = offsets[[8, 9, 10], 1].sum()
        phase0 = rng.uniform(0, 2 * np.pi)
        for t in range(num_frames):
            ts = t / fps
            xz, head, v = _path_position(pts, t0, speed, ts)
            yaw = float(np.arctan2(-head[0], -head[1]))
            phase = phase0 + 2 * np.pi * ts * (v / 1400.)
            wave = 2 * np.pi * 1.2 * ts if name == 'D' else 0.0
            rel = _walk_pose(offsets, yaw, phase, v, wave)
            root = np.array([xz[0], _GROUND_Y - 0.985 * leg, xz[1]])
            poses[t, p] = rel + root
    tones = rng.uniform(90, 140, (P, 1, 3))  # one muted tone per person, limbs shaded
    colors = np.clip(tones + 0.15 * (LIMB_COLORS[None] - 128), 0, 255)
    vis = np.zeros((num_frames, P, NUM_JOINTS), np.int64)
    for t in range(num_frames):
        canvas = np.zeros((h, w, 3), np.uint8)
        _, vis[t] = render_people(canvas, poses[t], K, colors=colors)
    return SyntheticVideo(K, (w, h), fps, poses, vis, colors, seed)


def simulate_detections(video: SyntheticVideo,
                        seed: int = 0,
                        px_noise: float = 2.0,
                        depth_noise_rel: float = 0.04,
                        depth_bias_rel: float = 0.02,
                        rel_depth_noise: float = 40.0,
                        min_visible: int = 5,
                        miss_rate: float = 0.05,
                        fp_rate: float = 0.05) -> List[List[Dict]]:
    """MAR-like noisy detections of every frame (see the module docstring).

    Returns:
        list[list[dict]]: Per frame, person dicts (``keypoints_3d``, ``keypoints``,
        ``keypoint_scores``, ``root_depth``) in random order, plus the hidden ``label``
        (identity index, -1 for a false positive).
    """
    rng = np.random.default_rng([seed, 141])
    T, P = video.poses.shape[:2]
    w, h = video.img_size
    bias = rng.normal(0, depth_bias_rel, P)
    frames, ghosts = [], []
    for t in range(T):
        people = []
        for p in range(P):
            if video.vis[t, p].sum() < min_visible or rng.random() < miss_rate:
                continue
            det = _noisy(video.poses[t, p], video.K, rng, px_noise,
                         depth_noise_rel, bias[p], rel_depth_noise)
            det['keypoint_scores'] = np.where(video.vis[t, p] > 0, 0.9, 0.3)
            det['label'] = p
            people.append(det)
        if rng.random() < fp_rate:  # a false positive living 1-3 frames
            root = np.array([rng.uniform(0.1, 0.9) * w, rng.uniform(0.4, 0.7) * h])
            z = rng.uniform(3000., 9000.)
            xyz = back_project_np(root, z, video.K)
            ghosts.append([int(rng.integers(1, 4)),
                           sample_poses(rng, 1)[0] + xyz])
        for g in ghosts:
            det = _noisy(g[1], video.K, rng, px_noise, depth_noise_rel, 0.0,
                         rel_depth_noise)
            det['keypoint_scores'] = np.full(NUM_JOINTS, 0.5)
            det['label'] = -1
            people.append(det)
            g[0] -= 1
        ghosts = [g for g in ghosts if g[0] > 0]
        order = rng.permutation(len(people))
        frames.append([people[i] for i in order])
    return frames


def _noisy(pose: np.ndarray, K: np.ndarray, rng: np.random.Generator,
           px_noise: float, depth_noise_rel: float, bias_rel: float,
           rel_depth_noise: float) -> Dict:
    z_root = pose[ROOT, 2]
    uv = project(pose, K) + rng.normal(0, px_noise, (NUM_JOINTS, 2))
    z_hat = z_root * (1 + bias_rel + rng.normal(0, depth_noise_rel))
    rel = pose[:, 2] - z_root + rng.normal(0, rel_depth_noise, NUM_JOINTS)
    rel[ROOT] = 0.0
    k3d = back_project_np(uv, z_hat + rel, K)
    return dict(keypoints_3d=k3d, keypoints=uv, root_depth=float(z_hat))


def gt_frames(video: SyntheticVideo, min_visible: int = 5) -> List[Sequence[int]]:
    """Identities that are visible enough to be detected, per frame."""
    return [np.nonzero(video.vis[t].sum(-1) >= min_visible)[0].tolist()
            for t in range(video.num_frames)]
