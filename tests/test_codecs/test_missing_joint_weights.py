"""Joints a dataset lacks are unknown, not "no joint here" (issue 10, item 1).

Real COCO and MuCo-format samples go through the dataset, the loading / resize transforms
and ``GenerateTarget``; the heatmap / PAF weights are checked against the rule stated in the
``MARCodec`` docstring, computed here with plain loops over the people.
"""

import numpy as np
import pytest

from mmmar.codecs import MARCodec
from mmmar.structures import skeleton
from mmmar.testing import coco_results, muco_results

INPUT_SIZE, HEATMAP_SIZE = (832, 512), (208, 128)
STRIDE = 4.
HEAD_TOP, NECK, SPINE, HEAD = 0, 1, 15, 16
R_SHO, L_SHO = 2, 5
COCO_MISSING = (HEAD_TOP, SPINE, HEAD)
CODEC = dict(type='MARCodec', input_size=INPUT_SIZE, heatmap_size=HEATMAP_SIZE)


def _person_boxes(res, margin=0.25, pad=3 * 2.):
    """Per person: (bbox in heatmap px, the neighbourhood box in heatmap px): the box
    around the bbox and the valid joints grown by ``margin`` * larger side + ``pad``."""
    out = []
    for n in range(len(res['keypoints'])):
        b = np.asarray(res['bbox'][n], np.float64) / STRIDE
        pts = [b[:2], b[2:]]
        for k in range(17):
            if res['keypoints_valid'][n, k] > 0:
                pts.append(np.asarray(res['keypoints'][n, k], np.float64) / STRIDE)
        pts = np.array(pts)
        lo, hi = pts.min(0), pts.max(0)
        g = margin * max(hi - lo) + pad
        out.append((b, np.concatenate([lo - g, hi + g])))
    return out


def _inside(box):
    """Boolean (h, w) map of the heatmap pixels inside ``box`` (x0, y0, x1, y1)."""
    w, h = HEATMAP_SIZE
    x, y = np.meshgrid(np.arange(w), np.arange(h))
    return (x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])


def _limbs_with(joints):
    return [li for li, (a, b) in enumerate(skeleton.LIMBS) if a in joints or b in joints]


@pytest.mark.parametrize('img_id', [785, 197388])
def test_coco_missing_joints_zero_weight_on_people_full_elsewhere(tmp_path, img_id):
    res = coco_results(tmp_path, img_id, codec=CODEC)
    hw, pw = res['heatmap_weights'], res['paf_weights']
    w, h = HEATMAP_SIZE
    assert hw.shape == (17, h, w) and pw.shape == (32, h, w)
    assert res['heatmap_mask'].min() == 1  # no ignored region in these images
    valid = res['keypoints_valid'] > 0
    assert not valid[:, COCO_MISSING].any()  # COCO has no head_top, spine, head
    limb_valid = np.stack([valid[:, a] & valid[:, b] for a, b in skeleton.LIMBS], 1)
    boxes = _person_boxes(res)
    assert len(boxes) >= 1
    near_j = np.zeros((17, h, w), bool)  # near a person who lacks the joint
    near_l = np.zeros((16, h, w), bool)
    for n, (bbox, hood) in enumerate(boxes):
        on_person = _inside(bbox)
        assert on_person.sum() > 100
        for k in np.flatnonzero(~valid[n]):
            assert hw[k][on_person].max() == 0, (n, skeleton.JOINT_NAMES[k])
            near_j[k] |= _inside(hood)
        for li in np.flatnonzero(~limb_valid[n]):
            assert pw[2 * li:2 * li + 2][:, on_person].max() == 0, (n, skeleton.LIMBS[li])
            near_l[li] |= _inside(hood)
    for k in COCO_MISSING:
        assert (~near_j[k]).sum() > 500  # background away from everyone
    for k in range(17):
        assert hw[k][~near_j[k]].min() == 1, skeleton.JOINT_NAMES[k]
    for li in range(16):
        assert pw[2 * li:2 * li + 2][:, ~near_l[li]].min() == 1, skeleton.LIMBS[li]
    # joints and limbs every person has labelled have full weight everywhere
    labelled = np.flatnonzero(valid.all(0))
    assert {NECK, R_SHO, L_SHO, skeleton.ROOT} <= set(labelled.tolist())
    assert hw[labelled].min() == 1
    for li in np.flatnonzero(limb_valid.all(0)):
        assert pw[2 * li:2 * li + 2].min() == 1, skeleton.LIMBS[li]


def test_coco_unlabelled_shoulder_makes_neck_unknown(tmp_path):
    # COCO joint 5 = left shoulder of the only person of image 785 (annotation 442619)
    res = coco_results(tmp_path, 785, unlabel=[(442619, 5)], codec=CODEC)
    assert res['keypoints_valid'][0, NECK] == 0 and res['keypoints_valid'][0, L_SHO] == 0
    (bbox, hood), = _person_boxes(res)
    on_person, far = _inside(bbox), ~_inside(hood)
    hw, pw = res['heatmap_weights'], res['paf_weights']
    for k in (NECK, L_SHO):
        assert hw[k][on_person].max() == 0 and hw[k][far].min() == 1
    assert hw[R_SHO].min() == 1 and hw[skeleton.ROOT].min() == 1
    neck_limbs = _limbs_with((NECK, L_SHO))
    assert {skeleton.LIMBS[li] for li in neck_limbs} == {(15, 1), (1, 16), (1, 2), (1, 5),
                                                         (5, 6)}
    for li in neck_limbs:
        assert pw[2 * li:2 * li + 2][:, on_person].max() == 0
    assert pw[2 * skeleton.LIMBS.index((2, 3))].min() == 1


def test_muco_sample_has_full_weight(tmp_path):
    res = muco_results(tmp_path, codec=CODEC)
    assert res['has_depth'].tolist() == [1] and res['keypoints_valid'].all()
    assert res['heatmap_weights'].shape == (17, ) + HEATMAP_SIZE[::-1]
    assert res['heatmap_weights'].min() == 1 and res['paf_weights'].min() == 1
    # the person is really in the maps: a head_top peak on it
    assert res['heatmaps'][HEAD_TOP].max() > 0.5


def test_unknown_joint_without_bbox_uses_the_valid_joints_box():
    codec = MARCodec(input_size=(64, 64), heatmap_size=(16, 16), sigma=1.,
                     missing_margin=0.)
    kp = np.zeros((1, 17, 2), np.float32)
    kp[0, :, 0] = np.linspace(20, 36, 17)  # x in [20, 36] input px = [5, 9] heatmap px
    kp[0, :, 1] = np.linspace(24, 40, 17)  # y in [6, 10]
    valid = np.ones((1, 17), np.float32)
    valid[0, HEAD_TOP] = 0
    enc = codec.encode(kp, valid, keypoints_valid=valid)
    hw = enc['heatmap_weights'][HEAD_TOP]
    # the valid joints span x in [5.25, 9], y in [6.25, 10] (joint 0 excluded),
    # grown by 3 sigma = 3 heatmap px
    zero = np.zeros((16, 16), bool)
    zero[4:14, 3:13] = True
    np.testing.assert_array_equal(hw == 0, zero)
    assert enc['heatmap_weights'][np.arange(17) != HEAD_TOP].min() == 1
    # a bbox (input px [0, 40] = heatmap px [0, 10]) widens the region to [-3, 13]
    enc = codec.encode(kp, valid, keypoints_valid=valid,
                       bbox=np.array([[0., 0., 40., 40.]]))
    zero[:14, :14] = True
    np.testing.assert_array_equal(enc['heatmap_weights'][HEAD_TOP] == 0, zero)
    with pytest.raises(ValueError, match='`bbox`'):
        codec.encode(kp, valid, keypoints_valid=valid, bbox=np.zeros((2, 4)))
