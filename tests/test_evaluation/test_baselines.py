"""The mean-pose guess (mmmar.evaluation.functional.baselines) on hand-built cases."""
import numpy as np
import pytest

from mmmar.evaluation.functional import mean_pose_baseline, mean_pose_guess, mean_relative_pose
from mmmar.structures.skeleton import PCK_JOINTS, ROOT
from mmmar.testing import TEMPLATE, gt_frame, person

R_WRIST = 4


def shifted(x, z, joint, delta):
    """:func:`person` with ``joint`` moved by ``delta`` (3,) mm (2D left as it was)."""
    p3, p2 = person(x, z)
    p3 = p3.copy()
    p3[joint] += delta
    return p3, p2


def test_mean_relative_pose_by_hand():
    d = np.array([100., -40., 20.])
    # two training people whose wrists are off by +d and -d: the mean is the template;
    # a third, invalid person far off must not count
    train = {'TS11': {0: gt_frame([shifted(-800, 4000, R_WRIST, d),
                                   shifted(900, 7000, R_WRIST, -d),
                                   shifted(0, 3000, R_WRIST, 50 * d)],
                                  valid=[1, 1, 0])}}
    mean = mean_relative_pose(train)
    expected = TEMPLATE - TEMPLATE[ROOT]
    np.testing.assert_allclose(mean, expected, atol=1e-9)


def test_mean_pose_guess_keeps_true_root_and_2d():
    a = person(-500, 5000)
    gt = {'TS1': {3: gt_frame([a, person(700, 6000)], valid=[1, 0])}}
    mean = np.zeros((17, 3))
    pred = mean_pose_guess(gt, mean)
    assert pred['TS1'][3]['keypoints_3d'].shape == (1, 17, 3)  # the invalid person left out
    np.testing.assert_allclose(pred['TS1'][3]['keypoints_2d'][0], a[1])
    # a zero pose: every joint at the true root
    np.testing.assert_allclose(pred['TS1'][3]['keypoints_3d'][0],
                               np.repeat(a[0][ROOT:ROOT + 1], 17, 0))


def test_mean_pose_baseline_one_wrong_wrist():
    """Training mean = the template; the test person's right wrist is 200 mm off it: without
    bone rescaling 13 of the 14 PCK joints are within 150 mm, the mean error over the 14 is
    200 / 14 mm; the root is exact (PCK_root 100)."""
    train = {'TS11': {0: gt_frame([person(-800, 4000), person(900, 7000)])}}
    test = {'TS1': {0: gt_frame([shifted(0, 5000, R_WRIST, np.array([200., 0, 0]))])}}
    assert R_WRIST in PCK_JOINTS and len(PCK_JOINTS) == 14
    res = mean_pose_baseline(train, test, rescale_bones=False)
    assert res['PCK_rel_all'] == pytest.approx(100 * 13 / 14)
    assert res['PCK_abs_all'] == pytest.approx(100 * 13 / 14)
    assert res['PCK_root_all'] == pytest.approx(100)
    assert res['MPJPE_rel'] == pytest.approx(200 / 14)
    np.testing.assert_allclose(res['mean_pose'], TEMPLATE - TEMPLATE[ROOT], atol=1e-9)


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match='no valid person'):
        mean_relative_pose({'TS1': {0: gt_frame([person()], valid=[0])}})
    with pytest.raises(ValueError, match='finite'):
        mean_pose_guess({'TS1': {0: gt_frame([person()])}}, np.full((17, 3), np.nan))
