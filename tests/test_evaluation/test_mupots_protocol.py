"""The per-frame and per-sequence steps of the MuPoTS protocol, one by one, and the sample
readers the metrics share."""
import numpy as np
import pytest
import torch

from mmmar.evaluation.functional import MATCH_THR, PCK_THR, PCOD_THR, ROOT_THR, evaluate_mupots
from mmmar.evaluation.functional.mupots_io import seq_sort_key
from mmmar.evaluation.functional.mupots_protocol import (MISSED_VALUE, joint_errors, match_frame,
                                                         pck_scores, pcod_pairs, score_sequence)
from mmmar.evaluation.metrics.utils import get_field, pred_keypoints, pred_scores
from mmmar.structures.skeleton import PCK_JOINTS, ROOT
from mmmar.testing import gt_frame, person, pred_frame


def test_match_frame_orders_predictions_like_the_ground_truth():
    a, b, far = person(-800, 4000), person(800, 5000), person(5000, 4000)
    g, p = gt_frame([a, b]), pred_frame([far, b, a])
    pred_for_gt, matched = match_frame(g['keypoints_2d'], g['keypoints_3d'],
                                       p['keypoints_2d'], p['keypoints_3d'])
    assert matched.tolist() == [True, True]
    np.testing.assert_array_equal(pred_for_gt, g['keypoints_3d'])
    pred_for_gt, matched = match_frame(g['keypoints_2d'], g['keypoints_3d'],
                                       p['keypoints_2d'][:1], p['keypoints_3d'][:1])
    assert matched.tolist() == [False, False] and np.isnan(pred_for_gt).all()


def test_joint_errors_score_a_missed_person_at_the_missed_value():
    a = person(0, 4000)[0]
    gt = np.stack([a, a])
    pred = np.stack([a + [0, 0, 100.0], np.full_like(a, np.nan)])
    p, err, nonfinite = joint_errors(gt, pred, np.array([True, False]))
    assert nonfinite == 0
    assert (p[1] == MISSED_VALUE).all()
    np.testing.assert_allclose(err['abs'][0], 100)
    np.testing.assert_allclose(err['rel'][0], 0, atol=1e-9)
    assert (err['abs'][1] > 1e4).all() and (err['rel'][1] > 1e4).all()


def test_joint_errors_count_a_zero_length_bone_as_wrong():
    a = person(0, 4000)[0]
    bad = a.copy()
    bad[15] = bad[14]  # spine on the pelvis: zero-length bone, NaN below it
    _, err, nonfinite = joint_errors(a[None], bad[None], np.array([True]))
    # counted per joint: spine, neck, head_top, head and both arms hang below the bone
    assert nonfinite == 10
    assert np.isinf(err['abs'][0, 1]) and err['abs'][0, ROOT] == 0


def test_pck_scores():
    assert pck_scores(np.zeros((0, 14))) == (None, None, None)
    err = np.array([[0.0, 149.9, 150.0, 500.0]])
    pck, auc, per_joint = pck_scores(err, thresholds=(0.0, 100.0, 200.0))
    assert pck == 50.0
    assert auc == pytest.approx(100 * 4 / 12)  # 0 < 100; 0, 149.9, 150 < 200; none < 0
    assert per_joint == [100.0, 100.0, 0.0, 0.0]


def test_pcod_pairs_only_pair_people_of_one_frame():
    frame_idx = np.array([0, 0, 1, 1, 1, 2])
    gt = np.array([1000.0, 2000.0, 1000.0, 2000.0, 3000.0, 1000.0])
    assert pcod_pairs(gt, gt.copy(), frame_idx) == (4, 4)  # 1 pair + 3 pairs, none in frame 2
    pred = gt.copy()
    pred[:2] = pred[1::-1]  # frame 0's order swapped (gaps 1000 mm > 300 mm)
    assert pcod_pairs(gt, pred, frame_idx) == (3, 4)
    assert pcod_pairs(gt, pred, frame_idx, thr=1500.0) == (4, 4)
    assert pcod_pairs(gt[:1], pred[:1], frame_idx[:1]) == (0, 0)


def test_score_sequence_is_the_row_of_evaluate_mupots():
    a, b, c = person(-800, 4000), person(800, 5000), person(0, 3000)
    shifted = (b[0] + [0, 0, 200.0], b[1])
    gt = {'TS1': {0: gt_frame([a, b]), 1: gt_frame([c, a])}}
    pred = {'TS1': {0: pred_frame([shifted, a]), 1: pred_frame([c])}}
    res = evaluate_mupots(gt, pred)
    g3 = np.concatenate([gt['TS1'][0]['keypoints_3d'], gt['TS1'][1]['keypoints_3d']])
    p3 = np.stack([a[0], shifted[0], c[0], np.full_like(c[0], np.nan)])
    matched = np.array([True, True, True, False])
    row, root_ok, nonfinite = score_sequence(g3, p3, matched, np.array([0, 0, 1, 1]),
                                             list(PCK_JOINTS))
    expected = res['per_sequence']['TS1']
    for k, v in row.items():
        if not k.startswith('per_joint'):
            assert v == expected[k], k
    assert root_ok['all'].tolist() == [True, False, True, False]
    assert root_ok['matched'].tolist() == [True, False, True] and nonfinite == 0
    assert res['PCK_root_all'] == 50.0


def test_seq_sort_key():
    assert sorted(['TS10', 'TS2', 'TS1', 'other'], key=seq_sort_key) == \
        ['TS1', 'TS2', 'TS10', 'other']


def test_metric_defaults_are_the_protocol_thresholds():
    from mmmar.evaluation import MuPoTSMetric
    assert MuPoTSMetric().thr == dict(match_thr=MATCH_THR, pck_thr=PCK_THR, root_thr=ROOT_THR,
                                      pcod_thr=PCOD_THR)
    assert (MATCH_THR, PCK_THR, ROOT_THR, PCOD_THR) == (40.0, 150.0, 150.0, 300.0)


class _Obj:

    def __init__(self, **kw):
        self.__dict__.update(kw)


def test_sample_readers():
    assert get_field(None, 'a', 3) == 3
    assert get_field(dict(a=1), 'a') == 1 and get_field(_Obj(a=2), 'a') == 2
    assert get_field(_Obj(), 'a', 'x') == 'x'
    kp = torch.ones(2, 17, 2, dtype=torch.bfloat16)
    k2, k3 = pred_keypoints(dict(keypoints=kp, keypoints_3d=torch.zeros(2, 17, 3)), 'm', 1)
    assert isinstance(k2, np.ndarray) and k2.dtype == np.float32 and k2.shape == (2, 17, 2)
    assert k3.shape == (2, 17, 3)
    k2, k3 = pred_keypoints(dict(), 'm', 1)
    assert k2.shape == (0, 17, 2) and k3.shape == (0, 17, 3)
    # one name, one meaning: 3D joints under 'keypoints' are refused, naming the field
    with pytest.raises(ValueError, match=r'm: image 1: pred_instances\.keypoints must be'):
        pred_keypoints(dict(keypoints=np.ones((1, 17, 3))), 'm', 1)
    assert pred_scores(_Obj(scores=torch.tensor([0.5]))).tolist() == [0.5]
    assert pred_scores(dict(bbox_scores=[0.25], scores=[0.5])).tolist() == [0.25]
    assert pred_scores(dict()) is None
