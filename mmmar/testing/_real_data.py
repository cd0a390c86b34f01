"""Real 3D poses (Human3.6M, MPI-INF-3DHP, CMU Panoptic) of the fixtures in ``tests/data``
(the shared mmpose test data), mapped to the 17 MuPoTS joints, in camera space (mm) with
their 3x3 intrinsics.

Each sample is a dict ``joints`` (N, 17, 3) mm, ``valid`` (N, 17) bool, ``K`` (3, 3),
``size`` (W, H) of the original image, ``name``. Every loader takes ``data_root``: the
fixtures folder (default :data:`SHARED_DATA`, the repository's ``tests/data``).
"""
import json
import os.path as osp
import pickle

import numpy as np

from mmmar.structures import skeleton
from ._files import data_root as _data_root

# MuPoTS joint k <- source joint H36M_TO_MUPOTS[k] (H36M-17: 0 pelvis, 1-3 R
# hip/knee/ankle, 4-6 L hip/knee/ankle, 7 spine, 8 thorax, 9 neck/nose,
# 10 head top, 11-13 L shoulder/elbow/wrist, 14-16 R shoulder/elbow/wrist)
H36M_TO_MUPOTS = np.array(
    [10, 8, 14, 15, 16, 11, 12, 13, 1, 2, 3, 4, 5, 6, 0, 7, 9])

# CMU Panoptic coco19: 0 neck, 1 nose, 2 body centre (pelvis), 3-5 L
# shoulder/elbow/wrist, 6-8 L hip/knee/ankle, 9-11 R shoulder/elbow/wrist,
# 12-14 R hip/knee/ankle, 15-18 eyes/ears. -1: not available (head_top);
# spine = mean of neck and pelvis; head = nose.
PANOPTIC_TO_MUPOTS = np.array(
    [-1, 0, 9, 10, 11, 3, 4, 5, 12, 13, 14, 6, 7, 8, 2, -2, 1])
PANOPTIC_SCENES = (
    ('160906_band1', 'body3DScene_00000168.json'),
    ('160906_band1', 'body3DScene_00000169.json'),
    ('160906_band2', 'body3DScene_00000139.json'),
    ('160906_band2', 'body3DScene_00000140.json'),
)


def _K(f, c):
    f, c = np.asarray(f).ravel(), np.asarray(c).ravel()
    return np.array([[f[0], 0, c[0]], [0, f[1], c[1]], [0, 0, 1.]])


def h36m_samples(data_root=None):
    """4 single-person H36M frames (metres -> mm)."""
    root = _data_root(data_root)
    d = np.load(osp.join(root, 'h36m', 'test_h36m_body3d.npz'))
    with open(osp.join(root, 'h36m', 'cameras.pkl'), 'rb') as f:
        cams = pickle.load(f)
    out = []
    for name, S in zip(d['imgname'], d['S']):
        subj, cam_id = name.split('/')[1].split('_')[0], name.split('.')[1][:8]
        cam = cams[(subj, cam_id)]
        out.append(
            dict(
                name=str(name),
                joints=S[None, H36M_TO_MUPOTS, :3] * 1000.,
                valid=np.ones((1, 17), bool),
                K=_K(cam['f'], cam['c']),
                size=(int(cam['w']), int(cam['h']))))
    return out


def mpi3dhp_samples(data_root=None):
    """4 single-person MPI-INF-3DHP frames (test + train npz), MuPoTS order
    already, metres -> mm."""
    root = _data_root(data_root)
    out = []
    for split in ('test', 'train'):
        d = np.load(
            osp.join(root, 'mpi_inf_3dhp', f'test_3dhp_{split}.npz'))
        with open(
                osp.join(root, 'mpi_inf_3dhp', f'cameras_{split}.pkl'),
                'rb') as f:
            cams = pickle.load(f)
        for name, S in zip(d['imgname'], d['S']):
            key = name.split('_')[0] if split == 'test' else '_'.join(
                name.split('_')[:3])
            cam = cams[key]
            out.append(
                dict(
                    name=str(name),
                    joints=S[None, :, :3] * 1000.,
                    valid=np.ones((1, 17), bool),
                    K=_K(cam['f'], cam['c']),
                    size=(int(cam['w']), int(cam['h']))))
    return out


def panoptic_world(band, scene, data_root=None):
    """(N, 17, 3) world joints in mm and (N, 17) validity of one scene."""
    path = osp.join(_data_root(data_root), 'panoptic_body3d', band,
                    'hdPose3d_stage1_coco19', scene)
    with open(path) as f:
        bodies = json.load(f)['bodies']
    j19 = np.array([b['joints19'] for b in bodies]).reshape(-1, 19, 4)
    xyz, conf = j19[..., :3] * 10., j19[..., 3]  # cm -> mm
    idx = np.maximum(PANOPTIC_TO_MUPOTS, 0)
    joints = xyz[:, idx]
    valid = (conf[:, idx] > 0) & (PANOPTIC_TO_MUPOTS >= 0)
    spine = skeleton.JOINT_NAMES.index('spine')
    joints[:, spine] = 0.5 * (xyz[:, 0] + xyz[:, 2])
    valid[:, spine] = (conf[:, 0] > 0) & (conf[:, 2] > 0)
    return joints, valid


def panoptic_cameras(band, kind='hd', data_root=None):
    """HD cameras of a band: list of dicts K, R, t (t in mm), size."""
    with open(osp.join(_data_root(data_root), 'panoptic_body3d', band,
                       f'calibration_{band}.json')) as f:
        cams = json.load(f)['cameras']
    return [
        dict(
            name=c['name'],
            K=np.array(c['K'], float),
            R=np.array(c['R'], float),
            t=np.array(c['t'], float).reshape(3) * 10.,
            size=tuple(c['resolution'])) for c in cams if c['type'] == kind
    ]


def panoptic_samples(num_cameras=3, require_inside=True, min_root_sep=0., data_root=None):
    """Panoptic 3-person scenes seen from ``num_cameras`` HD cameras each
    (camera space mm, distortion ignored). With ``require_inside`` only
    cameras where every person's valid joints project inside the image and
    lie in front of the camera are used; ``min_root_sep`` (px) additionally
    requires the projected roots to be that far apart."""
    out = []
    for band, scene in PANOPTIC_SCENES:
        world, valid = panoptic_world(band, scene, data_root)
        n_used = 0
        for cam in panoptic_cameras(band, data_root=data_root):
            P = world @ cam['R'].T + cam['t']
            if (P[..., 2][valid] <= 0).any():
                continue
            p = P @ cam['K'].T
            uv = p[..., :2] / p[..., 2:]
            W, H = cam['size']
            if require_inside:
                inside = (uv[..., 0] >= 0) & (uv[..., 0] < W) & \
                    (uv[..., 1] >= 0) & (uv[..., 1] < H)
                if not inside[valid].all():
                    continue
                roots = uv[:, skeleton.ROOT]
                sep = np.linalg.norm(roots[:, None] - roots[None], axis=-1)
                sep[np.diag_indices(len(sep))] = np.inf
                if sep.min() < min_root_sep:
                    continue
            out.append(
                dict(
                    name=f'{band}/{scene}/{cam["name"]}',
                    joints=P,
                    valid=valid,
                    K=cam['K'],
                    size=cam['size']))
            n_used += 1
            if n_used == num_cameras:
                break
    return out


def rotated_skewed_K(K, angle_deg=17., scale=0.8, skew=12.):
    """``A3 @ K`` for an in-plane rotation + scale about the principal point,
    plus an explicit skew term: a K with off-diagonal entries."""
    th = np.deg2rad(angle_deg)
    cx, cy = K[0, 2], K[1, 2]
    R = scale * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    A = np.eye(3)
    A[:2, :2] = R
    A[:2, 2] = np.array([cx, cy]) - R @ np.array([cx, cy]) + [5., -7.]
    K2 = A @ K
    K2[0, 1] += skew
    return K2
