import numpy as np
import pytest

from mmmar.evaluation.functional import evaluate_h36m, select_single_person
from mmmar.testing import person


def test_mrpe_components_and_mpjpe():
    g = np.stack([person(0, 4000)[0], person(100, 5000)[0]])
    p = g + np.array([3.0, -4.0, 12.0])  # root error 13 mm, shape exact
    res = evaluate_h36m(g, p)
    assert res['MRPE'] == pytest.approx(13.0)
    assert (res['MRPE_x'], res['MRPE_y'], res['MRPE_z']) == pytest.approx((3, 4, 12))
    assert res['MPJPE'] == pytest.approx(0, abs=1e-9)
    assert res['MPJPE_abs'] == pytest.approx(13.0)
    p2 = p.copy()
    p2[:, 4] += [0, 0, 34.0]  # one wrist 34 mm off
    assert evaluate_h36m(g, p2)['MPJPE'] == pytest.approx(2.0)  # 34 / 17


def test_h36m_bad_input():
    g = person()[0][None]
    with pytest.raises(ValueError, match='17'):
        evaluate_h36m(g[:, :15], g[:, :15])
    p = g.copy()
    p[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match='NaN'):
        evaluate_h36m(g, p)


def test_single_person_selection():
    g2 = person(0, 4000)[1]
    far = g2 + 300
    near = g2 + 2
    assert select_single_person(g2, np.stack([far, near]), np.array([0.9, 0.1]), 2) == 1
    assert select_single_person(None, None, np.array([0.2, 0.9]), 2) == 1
    assert select_single_person(None, None, None, 2) == 0
    assert select_single_person(g2, np.zeros((0, 17, 2)), None, 0) == -1
