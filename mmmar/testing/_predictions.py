"""Hand-made MAR ``pred_instances`` (design.md, "Names along the inference path") for the
api / visualisation tests."""
import numpy as np

from mmmar.structures.skeleton import NUM_JOINTS, ROOT
from ._poses import make_K, people_3d, project


def make_pred_instances(n, K, scores=0.9):
    """``InstanceData`` with the fields of ``pred_instances`` (design.md).

    Args:
        n (int): Number of people (:func:`people_3d`).
        K (np.ndarray): (3, 3) intrinsics of the image.
        scores (float): Every keypoint score.

    Returns:
        InstanceData: The ``pred_instances`` of ``n`` people.
    """
    from mmengine.structures import InstanceData
    p3d = people_3d(n)
    p2d = project(p3d, K) if n else np.zeros((0, NUM_JOINTS, 2))
    inst = InstanceData()
    inst.keypoints = p2d.astype(np.float32)
    inst.keypoints_3d = p3d.astype(np.float32)
    inst.keypoint_scores = np.full((n, NUM_JOINTS), scores, np.float32)
    inst.keypoints_visible = inst.keypoint_scores.copy()
    inst.bbox_scores = np.full((n, ), 0.8, np.float32)
    inst.scores = inst.bbox_scores.copy()
    inst.root_depth = p3d[:, ROOT, 2].astype(np.float32)
    inst.root_depth_reg = inst.root_depth + 10
    inst.root_depth_geo = inst.root_depth - 10
    inst.sigma_reg = np.full((n, ), 50., np.float32)
    inst.sigma_geo = np.full((n, ), 80., np.float32)
    if n:
        lo, hi = p2d.min(1), p2d.max(1)
        inst.bboxes = np.concatenate([lo, hi], 1).astype(np.float32)
    else:
        inst.bboxes = np.zeros((0, 4), np.float32)
    return inst


def make_data_sample(n, width=320, height=240):
    """A ``PoseDataSample`` of a ``width`` x ``height`` image predicting ``n`` people.

    Returns:
        tuple: The data sample and its (3, 3) ``K`` (:func:`make_K`).
    """
    from mmpose.structures import PoseDataSample
    K = make_K(width, height)
    ds = PoseDataSample(metainfo=dict(
        img_path='x.jpg', ori_shape=(height, width),
        intrinsics=dict(K=K.tolist(), source='user')))
    ds.pred_instances = make_pred_instances(n, K)
    return ds, K
