"""tools/analysis_tools/error_breakdown.py: the 2D / relative-depth split of the root-relative
3D error, against hand-derived back-projections (Eq. 1)."""
import numpy as np
import pytest

from mmmar.testing import load_script


def _tool():
    return load_script('tools/analysis_tools/error_breakdown.py')


def _person(seed=0, z_root=5000., J=17, root=14):
    rng = np.random.default_rng(seed)
    K = np.array([[300., 0., 128.], [0., 320., 120.], [0., 0., 1.]])
    cam = np.c_[rng.uniform(-400, 400, (J, 2)), z_root + rng.uniform(-200, 200, J)]
    cam[root] = [50., -30., z_root]
    uv = cam[:, :2] / cam[:, 2:] * [K[0, 0], K[1, 1]] + [K[0, 2], K[1, 2]]
    return K, cam, uv


def test_perfect_prediction_has_zero_error():
    tool = _tool()
    K, cam, uv = _person()
    e = tool.joint_errors(uv, cam, uv, cam[:, 2] - cam[14, 2], K)
    for k in ('e2d', 'edz', 'pred', 'gt2d', 'gtdz'):
        np.testing.assert_allclose(e[k], 0., atol=1e-6)


def test_2d_shift_and_depth_error_are_told_apart():
    tool = _tool()
    K, cam, uv = _person(seed=1)
    dz = cam[:, 2] - cam[14, 2]
    p2, pdz = uv.copy(), dz.copy()
    p2[4, 0] += 3.0       # wrist 3 px to the right
    pdz[7] += 120.0       # other wrist 120 mm too far
    e = tool.joint_errors(uv, cam, p2, pdz, K)
    # 3 px at depth Z = Z_root + dZ_4 is 3 Z / fx mm in x (Eq. 1, hand-derived)
    want = 3.0 * cam[4, 2] / K[0, 0]
    assert e['e2d'][4] == pytest.approx(3.0)
    assert e['gtdz'][4] == pytest.approx(want, rel=1e-9)
    assert e['pred'][4] == pytest.approx(want, rel=1e-9)
    assert e['gt2d'][4] == pytest.approx(0., abs=1e-6)
    # 120 mm further along the ray of joint 7: |ray / z| * 120
    ray = np.array([(uv[7, 0] - K[0, 2]) / K[0, 0], (uv[7, 1] - K[1, 2]) / K[1, 1], 1.])
    assert e['edz'][7] == pytest.approx(120.)
    assert e['gt2d'][7] == pytest.approx(120. * np.linalg.norm(ray), rel=1e-9)
    assert e['gtdz'][7] == pytest.approx(0., abs=1e-6)
    s = tool.summarise([e], num_joints=14, thr=tool.PCK_THR)
    # 14 joints; joint 7 is off by > 120 mm (>= 150 only if its ray is oblique enough)
    bad = [want >= 150., 120. * np.linalg.norm(ray) >= 150.]
    assert s['pck_all']['pred'] == pytest.approx(100. * (14 - sum(bad)) / 14)
    assert s['pck']['gt2d'][4] == 100. and s['pck']['gtdz'][7] == 100.


def test_no_matched_person_is_a_clear_error():
    with pytest.raises(ValueError, match='no matched person'):
        _tool().summarise([])


def test_image_K_reads_both_layouts_and_names_a_bad_record():
    tool = _tool()
    a = tool.image_K(dict(id=3, f=[300., 310.], c=[128., 120.]))
    b = tool.image_K(dict(id=3, intrinsic=[300., 310., 128., 120.]))
    np.testing.assert_array_equal(a, b)
    assert a[0, 0] == 300. and a[1, 1] == 310. and a[0, 2] == 128. and a[1, 2] == 120.
    with pytest.raises(KeyError, match='image 7'):
        tool.image_K(dict(id=7, width=10))
