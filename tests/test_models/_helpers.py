"""Shared helpers for the model tests: synthetic people, tiny configs."""
import numpy as np
import torch

from mmmar.structures.skeleton import NUM_JOINTS

torch.set_num_threads(1)

#: a standing person, camera space, mm, relative to the pelvis (y down)
TEMPLATE = np.array([
    [0, -720, 0],  # head_top
    [0, -500, 0],  # neck
    [-180, -480, 0],  # r_shoulder
    [-200, -230, 30],  # r_elbow
    [-210, 0, 60],  # r_wrist
    [180, -480, 0],  # l_shoulder
    [200, -230, 30],  # l_elbow
    [210, 0, 60],  # l_wrist
    [-100, 0, 0],  # r_hip
    [-100, 420, 20],  # r_knee
    [-100, 830, 0],  # r_ankle
    [100, 0, 0],  # l_hip
    [100, 420, 20],  # l_knee
    [100, 830, 0],  # l_ankle
    [0, 0, 0],  # pelvis
    [0, -250, 0],  # spine
    [0, -610, 0],  # head
], dtype=np.float64)
assert TEMPLATE.shape == (NUM_JOINTS, 3)


def make_K(f=150., w=128, h=128):
    return np.array([[f, 0, (w - 1) / 2], [0, f, (h - 1) / 2], [0, 0, 1.]])


def make_people(n, K, w=128, h=128, seed=0, z_range=(3000, 6000)):
    """n people with their pelvis inside the image: (keypoints_cam (n,17,3),
    keypoints (n,17,2))."""
    rng = np.random.RandomState(seed)
    cams = []
    for _ in range(n):
        z = rng.uniform(*z_range)
        u = rng.uniform(0.2 * w, 0.8 * w)
        v = rng.uniform(0.3 * h, 0.6 * h)
        root = z * np.linalg.inv(K) @ np.array([u, v, 1.])
        ang = rng.uniform(-0.6, 0.6)
        R = np.array([[np.cos(ang), 0, np.sin(ang)], [0, 1, 0],
                      [-np.sin(ang), 0, np.cos(ang)]])
        cams.append(TEMPLATE @ R.T + root)
    cams = np.array(cams, np.float64).reshape(n, NUM_JOINTS, 3)
    p = cams @ K.T
    kpts = p[..., :2] / p[..., 2:3] if n else np.zeros((0, NUM_JOINTS, 2))
    return cams.astype(np.float32), kpts.astype(np.float32)


def tiny_hrnet(channels=(8, 16, 32, 64)):
    c = channels
    return dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(
                num_modules=1,
                num_branches=1,
                block='BOTTLENECK',
                num_blocks=(1, ),
                num_channels=(8, )),
            stage2=dict(
                num_modules=1,
                num_branches=2,
                block='BASIC',
                num_blocks=(1, 1),
                num_channels=c[:2]),
            stage3=dict(
                num_modules=1,
                num_branches=3,
                block='BASIC',
                num_blocks=(1, 1, 1),
                num_channels=c[:3]),
            stage4=dict(
                num_modules=1,
                num_branches=4,
                block='BASIC',
                num_blocks=(1, 1, 1, 1),
                num_channels=c,
                multiscale_output=True)),
        init_cfg=None)
