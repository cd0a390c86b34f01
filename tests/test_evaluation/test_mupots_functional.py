"""Hand-built cases in which one rule of the official MuPoTS protocol decides the number."""
import numpy as np
import pytest

from mmmar.evaluation.functional import (EVAL_PARENTS, evaluate_mupots, format_table1, match_people,
                                         pcod_correct, rescale_to_gt_bones)
from mmmar.structures.skeleton import PARENTS
from mmmar.testing import TEMPLATE, gt_frame, person, pred_frame

MAIN = ('PCK_rel_all', 'PCK_abs_all', 'PCK_rel_matched', 'PCK_abs_matched', 'PCK_root_all',
        'PCK_root_matched')


def ev(gt, pred, **kw):
    return evaluate_mupots(gt, pred, **kw)


def scores(res, keys=MAIN + ('PCOD_all', 'PCOD_matched', 'MPJPE_rel', 'MPJPE_abs')):
    return {k: res[k] for k in keys}


# ------------------------------------------------------------------ properties
def test_perfect_predictions_give_100():
    a, b = person(-800, 4000), person(800, 5000)
    gt = {'TS1': {0: gt_frame([a, b]), 1: gt_frame([a])}, 'TS2': {5: gt_frame([b])}}
    pred = {'TS1': {0: pred_frame([b, a]), 1: pred_frame([a])}, 'TS2': {5: pred_frame([b])}}
    res = ev(gt, pred)
    for k in MAIN + ('PCOD_all', 'PCOD_matched'):
        assert res[k] == pytest.approx(100.0), k
    assert res['MPJPE_rel'] == pytest.approx(0, abs=1e-6)
    assert res['MPJPE_abs'] == pytest.approx(0, abs=1e-6)
    # AUC: the threshold 0 is strict (err < 0 never holds), so 30 of 31 thresholds
    assert res['AUC_rel_all'] == pytest.approx(100 * 30 / 31)
    # TS2 has one person per frame: no pair for PCOD there (said, not NaN)
    assert res['messages'] and all('TS2' in m and 'PCOD' in m for m in res['messages'])
    assert res['per_sequence']['TS2']['PCOD_all'] is None
    assert res['counts']['num_gt_people'] == 4 and res['counts']['num_matched'] == 4
    assert all(v == pytest.approx(100) for v in res['per_joint']['PCK_abs_all'].values())
    assert len(res['per_joint']['PCK_abs_all']) == 14


def test_depth_shift_200mm():
    a = person(0, 4000)
    shifted = (a[0] + np.array([0, 0, 200.0]), a[1])  # same 2D
    res = ev({'TS1': {0: gt_frame([a])}}, {'TS1': {0: pred_frame([shifted])}})
    assert res['PCK_rel_all'] == pytest.approx(100)
    assert res['PCK_rel_matched'] == pytest.approx(100)
    assert res['PCK_abs_all'] == 0 and res['PCK_abs_matched'] == 0
    assert res['PCK_root_all'] == 0 and res['PCK_root_matched'] == 0
    assert res['MPJPE_abs'] == pytest.approx(200)
    assert res['MPJPE_rel'] == pytest.approx(0, abs=1e-6)


def test_swapping_depths_drops_pcod():
    a, b = person(-800, 3000), person(800, 6000)
    gt = {'TS1': {0: gt_frame([a, b])}}
    good = ev(gt, {'TS1': {0: pred_frame([a, b])}})
    # same 2D, root depths exchanged (3000 <-> 6000)
    a_sw = (a[0] + [0, 0, 3000.0], a[1])
    b_sw = (b[0] - [0, 0, 3000.0], b[1])
    bad = ev(gt, {'TS1': {0: pred_frame([a_sw, b_sw])}})
    assert good['PCOD_all'] == 100 and bad['PCOD_all'] == 0
    assert bad['PCOD_matched'] == 0
    assert bad['PCK_rel_all'] == pytest.approx(100)


# ------------------------------------------------------------------ matching
def _pose2d(x, y):
    return np.tile([[x, y]], (17, 1)).astype(float)


def test_matching_is_greedy_in_gt_order():
    # GT 0 sees prediction 0 with 5 joints in the box, GT 1 sees it with all 13:
    # greedy in GT order gives it to GT 0 anyway.
    g0, g1 = _pose2d(100, 100), _pose2d(500, 500)
    p = g1.copy()
    p[1:6] = [100, 100]  # 5 of the matching joints (1..13) near GT 0, 8 near GT 1
    assert match_people(np.stack([g0, g1]), p[None]).tolist() == [0, -1]
    assert match_people(np.stack([g1, g0]), p[None]).tolist() == [0, -1]


def test_matching_ties_go_to_lowest_index_and_used_are_skipped():
    g = np.stack([_pose2d(100, 100), _pose2d(110, 100)])
    p = np.stack([_pose2d(105, 100), _pose2d(100, 100)])  # both inside both boxes: all tie
    assert match_people(g, p).tolist() == [0, 1]
    # not an optimal assignment: GT 0 takes pred 0 (13 joints) though pred 1 is exact
    p2 = np.stack([_pose2d(130, 100), _pose2d(100, 100)])
    g2 = np.stack([_pose2d(100, 100), _pose2d(100, 300)])
    assert match_people(g2, p2).tolist() == [0, -1]


def test_matching_box_is_strict_and_a_box_not_a_circle():
    g = _pose2d(500, 500)[None]
    assert match_people(g, (g + [39.999, 0])).tolist() == [0]
    assert match_people(g, (g + [40.0, 0])).tolist() == [-1]
    assert match_people(g, (g + [0, -40.0])).tolist() == [-1]
    assert match_people(g, (g + [30.0, 30.0])).tolist() == [0]  # 42.4 px apart, inside box


def test_matching_uses_joints_neck_to_left_ankle_only():
    g = _pose2d(500, 500)[None]
    p = g.copy() + 1000
    p[0, 0] = [500, 500]   # head_top agrees: not a matching joint
    p[0, 14:] = [500, 500]  # pelvis, spine, head agree: not matching joints
    assert match_people(g, p).tolist() == [-1]
    p[0, 13] = [500, 500]  # left ankle agrees -> score 1
    assert match_people(g, p).tolist() == [0]


def test_zero_zero_predicted_joints_are_ignored():
    g = _pose2d(10, 10)[None]
    p = np.zeros((1, 17, 2))  # every joint at exactly (0, 0): within 40 px but ignored
    assert match_people(g, p).tolist() == [-1]
    p[0, 5] = [0, 0.001]
    assert match_people(g, p).tolist() == [0]
    # through evaluate: the (0, 0) prediction leaves the person missed
    a = person(0, 4000)
    gt2d = np.tile([[10.0, 10.0]], (17, 1))
    res = ev({'TS1': {0: dict(keypoints_3d=a[0][None], keypoints_2d=gt2d[None])}},
             {'TS1': {0: dict(keypoints_3d=a[0][None], keypoints_2d=np.zeros((1, 17, 2)))}})
    assert res['PCK_rel_all'] == 0 and res['counts']['num_matched'] == 0


def test_greedy_order_decides_the_score():
    # A and B overlap in 2D (10 px apart) but are 1000 mm apart in depth. Two predictions:
    # pred 0 = B's 3D pose, pred 1 = A's 3D pose, both with 2D inside both boxes.
    # Greedy + lowest index: A <- pred 0 (B's pose), B <- pred 1 (A's pose): all abs wrong.
    a3, a2 = person(0, 4000)
    b3 = a3 + [0, 0, 1000.0]
    b2 = a2 + [10.0, 0]
    gt = {'TS1': {0: dict(keypoints_3d=np.stack([a3, b3]), keypoints_2d=np.stack([a2, b2]))}}
    pred = {'TS1': {0: dict(keypoints_3d=np.stack([b3, a3]),
                            keypoints_2d=np.stack([b2, a2]))}}
    res = ev(gt, pred)
    assert res['counts']['num_matched'] == 2
    assert res['PCK_abs_all'] == 0  # an optimal assignment would give 100
    assert res['PCK_rel_all'] == pytest.approx(100)  # same shape: relative pose right
    # matched in the other order -> 100
    pred_ok = {'TS1': {0: dict(keypoints_3d=np.stack([a3, b3]),
                               keypoints_2d=np.stack([a2, b2]))}}
    assert ev(gt, pred_ok)['PCK_abs_all'] == pytest.approx(100)


# ------------------------------------------------------------------ bone rescaling
def test_bone_rescaling_uses_gt_lengths_and_pred_directions():
    a3, a2 = person(0, 4000)
    root = a3[14]
    big = root + 1.5 * (a3 - root)  # every bone 1.5x longer, same directions, same pelvis
    gt = {'TS1': {0: gt_frame([(a3, a2)])}}
    pred = {'TS1': {0: dict(keypoints_3d=big[None], keypoints_2d=a2[None])}}
    on = ev(gt, pred)
    off = ev(gt, pred, rescale_bones=False)
    assert on['PCK_rel_all'] == pytest.approx(100) and on['PCK_abs_all'] == pytest.approx(100)
    # without rescaling the error is 0.5 |joint - pelvis|: < 150 only for the wrists
    # (|.| = 196.5 mm) and hips (100 mm): 4 of 14 joints.
    assert off['PCK_rel_all'] == pytest.approx(100 * 4 / 14)
    assert off['PCK_abs_all'] == pytest.approx(100 * 4 / 14)
    assert off['config']['rescale_bones'] is False


def test_bone_rescaling_tree_is_the_official_one():
    # Official tree: head_top hangs from the neck (not from head as in skeleton.PARENTS).
    assert EVAL_PARENTS[0] == 1 and PARENTS[0] == 16
    a3, a2 = person(0, 4000)
    p = a3.copy()
    p[16] += [500.0, 0, 0]  # only the (unscored) head is wrong
    res = ev({'TS1': {0: gt_frame([(a3, a2)])}},
             {'TS1': {0: dict(keypoints_3d=p[None], keypoints_2d=a2[None])}})
    assert res['PCK_abs_all'] == pytest.approx(100)  # with head as parent: 13/14
    # the spine is in the tree: a wrong spine direction moves everything above it
    p = a3.copy()
    p[15] = a3[14] + [250.0, 0, 0]  # spine bent 90 degrees sideways
    out = rescale_to_gt_bones(p[None], a3[None])[0]
    np.testing.assert_allclose(out[15], a3[14] + [250.0, 0, 0])
    np.testing.assert_allclose(out[1], out[15] + (a3[1] - p[15]) * 250 / np.linalg.norm(
        a3[1] - p[15]))
    np.testing.assert_allclose(out[14], a3[14])  # the pelvis stays


def test_rescaling_applies_in_absolute_mode_keeping_pelvis():
    a3, a2 = person(0, 4000)
    p = a3.copy() + [0, 0, 100.0]  # abs error 100 everywhere
    p[[4, 7]] += (p[[4, 7]] - p[[3, 6]]) * 1.0  # forearms twice as long
    res_on = ev({'TS1': {0: gt_frame([(a3, a2)])}},
                {'TS1': {0: dict(keypoints_3d=p[None], keypoints_2d=a2[None])}})
    res_off = ev({'TS1': {0: gt_frame([(a3, a2)])}},
                 {'TS1': {0: dict(keypoints_3d=p[None], keypoints_2d=a2[None])}},
                 rescale_bones=False)
    assert res_on['PCK_abs_all'] == pytest.approx(100)
    # wrists off by 100 + |forearm| (~221 mm) -> 12/14 without rescaling
    assert res_off['PCK_abs_all'] == pytest.approx(100 * 12 / 14)


# ------------------------------------------------------------------ all / matched / averaging
def test_all_vs_matched():
    a, b = person(-800, 4000), person(800, 5000)
    res = ev({'TS1': {0: gt_frame([a, b])}}, {'TS1': {0: pred_frame([a])}})
    assert res['PCK_rel_all'] == pytest.approx(50)
    assert res['PCK_abs_all'] == pytest.approx(50)
    assert res['PCK_rel_matched'] == pytest.approx(100)
    assert res['PCK_abs_matched'] == pytest.approx(100)
    assert res['PCK_root_all'] == pytest.approx(50)
    assert res['PCK_root_matched'] == pytest.approx(100)
    # the missed person takes part in PCOD_all with depth 100000 (behind A): order right
    assert res['PCOD_all'] == pytest.approx(100)
    # ... but wrong when the missed person is in front of A in the ground truth
    res_front = ev({'TS1': {0: gt_frame([a, person(800, 3000)])}},
                   {'TS1': {0: pred_frame([a])}})
    assert res_front['PCOD_all'] == 0
    assert res['PCOD_matched'] is None  # only one matched person: no pair
    assert any('PCOD_matched' in m for m in res['messages'])


def test_sequences_are_averaged_not_pooled():
    a, b, c = person(-900, 4000), person(0, 5000), person(900, 6000)
    gt = {'TS1': {0: gt_frame([a])}, 'TS2': {0: gt_frame([a, b, c])}}
    pred = {'TS1': {0: pred_frame([a])}, 'TS2': {0: pred_frame([a])}}
    res = ev(gt, pred)
    # TS1 100, TS2 1/3 -> mean of sequences 66.7 (pooled would be 2/4 = 50)
    assert res['per_sequence']['TS1']['PCK_rel_all'] == pytest.approx(100)
    assert res['per_sequence']['TS2']['PCK_rel_all'] == pytest.approx(100 / 3)
    assert res['PCK_rel_all'] == pytest.approx((100 + 100 / 3) / 2)
    # PCK_root is pooled over people: 2 of 4
    assert res['PCK_root_all'] == pytest.approx(50)
    assert list(res['per_sequence']) == ['TS1', 'TS2']


def test_sequence_order_is_natural():
    a = person()
    gt = {f'TS{i}': {0: gt_frame([a])} for i in (10, 2, 1)}
    res = ev(gt, {})
    assert list(res['per_sequence']) == ['TS1', 'TS2', 'TS10']


def test_sequence_with_nobody_matched_gives_message_not_nan():
    a = person()
    gt = {'TS1': {0: gt_frame([a])}, 'TS2': {0: gt_frame([a])}}
    res = ev(gt, {'TS1': {0: pred_frame([a])}})  # TS2 frame has no prediction
    assert res['per_sequence']['TS2']['PCK_rel_matched'] is None
    assert res['PCK_rel_matched'] == pytest.approx(100)  # from TS1 only
    assert res['PCK_rel_all'] == pytest.approx(50)
    assert any('TS2' in m and 'nobody matched' in m for m in res['messages'])
    assert res['counts']['num_frames_without_prediction'] == 1
    # nobody matched anywhere: None + message, never NaN
    res = ev(gt, {})
    assert res['PCK_rel_matched'] is None and res['MPJPE_rel'] is None
    assert res['PCK_rel_all'] == 0
    assert any('PCK_rel_matched is undefined' in m for m in res['messages'])
    for k, v in res.items():
        assert not (isinstance(v, float) and np.isnan(v)), k
    text = format_table1(res)
    assert 'n/a' in text and 'MAR' in text


def test_missing_frames_error_mode():
    a = person()
    with pytest.raises(ValueError, match='no prediction'):
        ev({'TS1': {0: gt_frame([a])}}, {}, missing_frames='error')


# ------------------------------------------------------------------ PCOD
def test_pcod_rule_and_300mm_band():
    # orders agree
    assert pcod_correct(4000, 5000, 3000, 7000)
    # orders disagree but both gaps < 300 -> correct
    assert pcod_correct(4000, 4200, 4200, 4000)
    # disagree, gt gap 200 < 300 but pred gap 300 (not < 300) -> wrong
    assert not pcod_correct(4000, 4200, 4300, 4000)
    # disagree, gt gap 400 -> wrong even if pred gap is tiny
    assert not pcod_correct(4000, 4400, 4010, 4000)
    # agreeing order with large gaps on both sides
    assert pcod_correct(4000, 4400, 3000, 9000)


@pytest.mark.parametrize('shift,expected', [(-400.0, 100.0), (-500.0, 0.0), (-700.0, 0.0)])
def test_pcod_band_through_evaluate(shift, expected):
    # GT roots 4000 (A) and 4200 (B); B's prediction moved by `shift` in depth:
    # -400 -> 3800: order flips, gaps 200 / 200 (< 300) -> correct;
    # -500 -> 3700: gaps 200 / 300 -> wrong; -700 -> 3500: gaps 200 / 500 -> wrong.
    a, b = person(-800, 4000), person(800, 4200)
    b_pred = (b[0] + [0, 0, shift], b[1])
    res = ev({'TS1': {0: gt_frame([a, b])}}, {'TS1': {0: pred_frame([a, b_pred])}})
    assert res['PCOD_all'] == pytest.approx(expected)
    assert res['PCOD_matched'] == pytest.approx(expected)


def test_pcod_per_sequence_average():
    a, b = person(-800, 3000), person(800, 6000)
    b_bad = (b[0] - [0, 0, 4000.0], b[1])
    gt = {'TS1': {0: gt_frame([a, b])},
          'TS2': {0: gt_frame([a, b]), 1: gt_frame([a, b]), 2: gt_frame([a, b])}}
    pred = {'TS1': {0: pred_frame([a, b_bad])},
            'TS2': {0: pred_frame([a, b]), 1: pred_frame([a, b]), 2: pred_frame([a, b])}}
    res = ev(gt, pred)
    assert res['per_sequence']['TS1']['PCOD_all'] == 0
    assert res['per_sequence']['TS2']['PCOD_all'] == 100
    assert res['PCOD_all'] == pytest.approx(50)  # pooled would be 75


# ------------------------------------------------------------------ invalid people / FPs
def test_false_positives_change_nothing():
    a, b = person(-800, 4000), person(800, 5000)
    gt = {'TS1': {0: gt_frame([a, b]), 1: gt_frame([a, b], valid=[0, 0])}}
    pred = {'TS1': {0: pred_frame([a, (b[0] + [0, 0, 400.0], b[1])])}}
    base = ev(gt, pred)
    far = (a[0] + [3000.0, 0, 0], a[1] + 1500)  # nowhere near anyone in 2D
    fp = {'TS1': {0: pred_frame([far, a, (b[0] + [0, 0, 400.0], b[1]), far]),
                  1: pred_frame([a, far])}}  # frame 1 has no valid person: skipped
    res = ev(gt, fp)
    assert scores(res) == scores(base)
    assert res['counts']['num_false_positives'] == 4
    assert base['counts']['num_frames_skipped_no_valid_gt'] == 1


def test_invalid_person_is_removed_before_matching():
    a, b = person(-50, 4000), person(0, 4000)  # overlapping in 2D
    # B (invalid) first in the list; its prediction would otherwise be matched to it
    gt = {'TS1': {0: gt_frame([b, a], valid=[0, 1])}}
    res = ev(gt, {'TS1': {0: pred_frame([b, a])}})
    # pred 0 (B's pose) is within A's box at 13 joints -> A takes it (lowest index):
    # A's abs error is 50 mm -> still correct; the B detection is a false positive
    assert res['counts']['num_gt_people'] == 1
    assert res['counts']['num_false_positives'] == 1
    assert res['PCK_abs_all'] == pytest.approx(100)
    # without the invalid flag both would count
    res2 = ev({'TS1': {0: gt_frame([b, a])}}, {'TS1': {0: pred_frame([b, a])}})
    assert res2['counts']['num_gt_people'] == 2


# ------------------------------------------------------------------ bad input
def test_wrong_joint_count_raises():
    a = person()
    gt = {'TS1': {0: gt_frame([a])}}
    with pytest.raises(ValueError, match=r'17'):
        ev(gt, {'TS1': {0: dict(keypoints_3d=np.zeros((1, 15, 3)),
                                keypoints_2d=np.zeros((1, 15, 2)))}})
    with pytest.raises(ValueError, match=r'17'):
        ev(gt, {'TS1': {0: dict(keypoints_3d=np.zeros((1, 17, 2)),
                                keypoints_2d=np.zeros((1, 17, 2)))}})


def test_nan_coordinates_raise():
    a = person()
    gt = {'TS1': {0: gt_frame([a])}}
    p3 = a[0].copy()
    p3[3, 2] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        ev(gt, {'TS1': {0: dict(keypoints_3d=p3[None], keypoints_2d=a[1][None])}})
    p2 = a[1].copy()
    p2[0, 0] = np.inf
    with pytest.raises(ValueError, match='NaN'):
        ev(gt, {'TS1': {0: dict(keypoints_3d=a[0][None], keypoints_2d=p2[None])}})


def test_unknown_image_id_raises():
    a = person()
    gt = {'TS1': {0: gt_frame([a])}}
    with pytest.raises(ValueError, match='ground truth lacks'):
        ev(gt, {'TS1': {99: pred_frame([a])}})
    with pytest.raises(ValueError, match='ground truth lacks'):
        ev(gt, {'TS7': {0: pred_frame([a])}})


def test_mismatched_people_counts_raise():
    a = person()
    with pytest.raises(ValueError, match='2D but'):
        ev({'TS1': {0: gt_frame([a])}},
           {'TS1': {0: dict(keypoints_3d=np.stack([a[0], a[0]]),
                            keypoints_2d=a[1][None])}})


def test_zero_length_predicted_bone_is_wrong_not_nan():
    a3, a2 = person()
    p = a3.copy()
    p[3] = p[2]  # r_elbow on the r_shoulder: zero-length upper arm
    res = ev({'TS1': {0: gt_frame([(a3, a2)])}},
             {'TS1': {0: dict(keypoints_3d=p[None], keypoints_2d=a2[None])}})
    # elbow and wrist below the degenerate bone are wrong: 12/14
    assert res['PCK_abs_all'] == pytest.approx(100 * 12 / 14)
    assert np.isfinite(res['MPJPE_abs'])
    assert any('zero-length' in m for m in res['messages'])


def test_template_is_sane():
    assert TEMPLATE.shape == (17, 3)
