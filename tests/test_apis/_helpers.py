"""Hand-made MAR predictions (design.md "Predictions") for the api / visualisation tests."""
import numpy as np
from mmengine.structures import InstanceData

from mmpose.structures import PoseDataSample

from mmmar.structures.skeleton import NUM_JOINTS

#: A standing person in camera axes (X right, Y down, Z forward), mm, pelvis at the origin.
TEMPLATE = np.array([
    [0, -720, 0],  # head_top
    [0, -500, 0],  # neck
    [-180, -480, 0], [-220, -220, 0], [-230, 30, 0],  # right arm
    [180, -480, 0], [220, -220, 0], [230, 30, 0],  # left arm
    [-100, 0, 0], [-110, 430, 0], [-110, 850, 0],  # right leg
    [100, 0, 0], [110, 430, 0], [110, 850, 0],  # left leg
    [0, 0, 0],  # pelvis
    [0, -250, 0],  # spine
    [0, -610, 0],  # head
], dtype=np.float64)
assert TEMPLATE.shape == (NUM_JOINTS, 3)


def make_K(width, height, f=None):
    f = f if f is not None else 0.9 * width
    return np.array([[f, 0, (width - 1) / 2], [0, f, (height - 1) / 2],
                     [0, 0, 1]], np.float64)


def people_3d(n, spread=1200., depth=4000., depth_step=1500.):
    """(n, 17, 3) mm: people side by side, each one further away."""
    out = []
    for i in range(n):
        x = (i - (n - 1) / 2) * spread
        out.append(TEMPLATE + np.array([x, 300., depth + i * depth_step]))
    return np.array(out, np.float64).reshape(n, NUM_JOINTS, 3)


def project(points, K):
    uvw = points @ K.T
    return uvw[..., :2] / uvw[..., 2:3]


def make_pred_instances(n, K, scores=0.9):
    """InstanceData with every field of the Predictions contract, n people."""
    p3d = people_3d(n)
    p2d = project(p3d, K) if n else np.zeros((0, NUM_JOINTS, 2))
    inst = InstanceData()
    inst.keypoints = p3d.astype(np.float32)
    inst.transformed_keypoints = p2d.astype(np.float32)
    inst.keypoints_2d = p2d.astype(np.float32)
    inst.keypoint_scores = np.full((n, NUM_JOINTS), scores, np.float32)
    inst.keypoints_visible = inst.keypoint_scores.copy()
    inst.bbox_scores = np.full((n, ), 0.8, np.float32)
    inst.scores = inst.bbox_scores.copy()
    inst.root_depth = p3d[:, 14, 2].astype(np.float32)
    inst.depth_reg = inst.root_depth + 10
    inst.depth_geo = inst.root_depth - 10
    inst.sigma_reg = np.full((n, ), 50., np.float32)
    inst.sigma_geo = np.full((n, ), 80., np.float32)
    if n:
        lo, hi = p2d.min(1), p2d.max(1)
        inst.bboxes = np.concatenate([lo, hi], 1).astype(np.float32)
    else:
        inst.bboxes = np.zeros((0, 4), np.float32)
    return inst


def make_data_sample(n, width=320, height=240):
    K = make_K(width, height)
    ds = PoseDataSample(metainfo=dict(
        img_path='x.jpg', ori_shape=(height, width),
        intrinsics=dict(K=K.tolist(), source='user')))
    ds.pred_instances = make_pred_instances(n, K)
    return ds, K
