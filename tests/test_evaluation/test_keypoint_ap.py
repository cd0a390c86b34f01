"""COCO keypoint AP of the 2D joints (keypoint_ap_2d) on cases whose OKS is computed by hand."""
import numpy as np
import pytest

from mmmar.evaluation.functional import MUPOTS_OKS_SIGMAS, keypoint_ap_2d
from mmmar.structures.skeleton import JOINT_NAMES

AREA = 90. * 200.


def _gt(points):
    """One image, one person per (17, 2) array in ``points``, every joint visible."""
    anns = [dict(id=i, image_id=7, keypoints_img=p.tolist(), keypoints_vis=[1] * 17,
                 area=AREA, bbox=[0, 0, 90, 200], iscrowd=0) for i, p in enumerate(points)]
    return dict(images=[dict(id=7, width=320, height=240)], annotations=anns)


def _person(seed):
    return np.random.default_rng(seed).uniform([100, 20], [190, 220], (17, 2))


def oks(d):
    """OKS of a person whose every joint is d px off (COCO: exp(-d^2 / (2 s^2 (2 sigma)^2)),
    s^2 = area, averaged over the joints)."""
    sig = np.array([MUPOTS_OKS_SIGMAS[j] for j in JOINT_NAMES])
    return float(np.mean(np.exp(-d ** 2 / (2 * AREA * (2 * sig) ** 2))))


def test_perfect_and_shifted_predictions():
    p = _person(0)
    gt = _gt([p])
    perfect = keypoint_ap_2d(gt, [dict(img_id=7, keypoints=p[None], scores=[1.])])
    assert perfect['AP'] == pytest.approx(100) and perfect['AR'] == pytest.approx(100)
    # a shift whose OKS is 0.62 by the formula: matched at OKS thresholds 0.50, 0.55, 0.60
    # of the ten (0.50:0.05:0.95), so AP = 30, AP50 = 100, AP75 = 0
    lo, hi = 0., 100.
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if oks(mid) > 0.62 else (lo, mid)
    shift = np.array([lo / np.sqrt(2)] * 2)
    res = keypoint_ap_2d(gt, [dict(img_id=7, keypoints=(p + shift)[None])])
    assert res['AP'] == pytest.approx(30, abs=1e-6)
    assert res['AP50'] == pytest.approx(100) and res['AP75'] == pytest.approx(0)


def test_a_missed_person_halves_the_recall():
    a, b = _person(1), _person(2) + [100, 0]
    res = keypoint_ap_2d(_gt([a, b]), [dict(img_id=7, keypoints=a[None], scores=[0.9])])
    assert res['AR'] == pytest.approx(50)
    empty = keypoint_ap_2d(_gt([a]), [dict(img_id=7, keypoints=np.zeros((0, 17, 2)))])
    assert empty['AP'] == 0 and empty['num_predictions'] == 0
