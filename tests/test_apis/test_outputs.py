"""Instance fields (mmmar.structures.instances), the inferencer's person dicts and filters
(mmmar.apis.outputs) and the default-intrinsics transform."""
import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData

from mmmar.apis import MARDefaultIntrinsics, default_intrinsics
from mmmar.apis.outputs import filter_instances, pred_instances_to_dicts, prediction_record
from mmmar.geometry.camera import default_intrinsics as geometry_default_intrinsics
from mmmar.structures.instances import first_field, instance_keypoints


def _instances(n=2):
    inst = InstanceData()
    inst.keypoints = torch.rand(n, 17, 2)
    inst.keypoints_3d = torch.rand(n, 17, 3) * 1000
    inst.keypoint_scores = torch.rand(n, 17)
    inst.bboxes = torch.rand(n, 4)
    inst.bbox_scores = torch.tensor([0.9, 0.2])[:n]
    inst.root_depth = torch.tensor([3000., 4000.])[:n]
    return inst


def test_instance_keypoints():
    inst = _instances()
    k2d, k3d = instance_keypoints(inst)
    np.testing.assert_array_equal(k2d, inst.keypoints.numpy())
    np.testing.assert_array_equal(k3d, inst.keypoints_3d.numpy())
    # one name, one meaning: 'keypoints' is always 2D; no guessing from the shape
    old = InstanceData(keypoints=np.ones((1, 17, 3)))
    with pytest.raises(ValueError, match=r'`keypoints` must be the 2D joints.*keypoints_3d'):
        instance_keypoints(old)
    only3d = InstanceData(keypoints_3d=np.ones((1, 17, 3)))
    assert instance_keypoints(only3d)[0] is None
    assert instance_keypoints(only3d)[1].shape == (1, 17, 3)
    empty = InstanceData(keypoints=np.zeros((0, 17, 2)), keypoints_3d=np.zeros((0, 17, 3)))
    assert [a.shape for a in instance_keypoints(empty)] == [(0, 17, 2), (0, 17, 3)]
    # ground truth: 2D 'keypoints', 3D 'keypoints_cam'
    gt = InstanceData(keypoints=np.ones((1, 17, 2)), keypoints_cam=np.zeros((1, 17, 3)))
    assert instance_keypoints(gt)[1] is None
    assert (instance_keypoints(gt, ('keypoints_3d', 'keypoints_cam'))[1] == 0).all()
    assert first_field(dict(a=None, b=[1]), ('a', 'b')).tolist() == [1]
    assert first_field(dict(), ('a', )) is None


def test_pred_instances_to_dicts_and_filter():
    inst = _instances()
    people = pred_instances_to_dicts(inst)
    assert len(people) == 2 and people[1]['root_depth'] == 4000.
    assert set(people[0]) == {'keypoints', 'keypoints_3d', 'keypoint_scores', 'bbox',
                              'bbox_score', 'root_depth'}
    assert pred_instances_to_dicts(None) == []
    assert len(filter_instances(inst, bbox_thr=0.5)) == 1
    assert len(filter_instances(inst, bbox_thr=-1)) == 2
    empty = InstanceData()
    assert filter_instances(empty, bbox_thr=0.5) is empty
    record = prediction_record(dict(ori_shape=(48, 64), intrinsics=dict(source='user')),
                               people)
    assert record == dict(image_size=[64, 48], intrinsics=dict(source='user'),
                          instances=people)


def test_default_intrinsics_transform():
    assert default_intrinsics is geometry_default_intrinsics
    results = MARDefaultIntrinsics()(dict(img=np.zeros((48, 64, 3), np.uint8)))
    cam = results['cam_param']
    K = default_intrinsics(64, 48)
    assert cam['K'].dtype == np.float32 and np.array_equal(cam['K'], K)
    assert cam['f'] == (float(K[0, 0]), float(K[1, 1]))
    assert cam['c'] == (31.5, 23.5)
    assert results['intrinsics_source'] == 'default-fov60'
    given = dict(img_shape=(48, 64), cam_param=dict(K=np.eye(3)))
    assert MARDefaultIntrinsics(fov_deg=90)(given)['intrinsics_source'] == 'given'
