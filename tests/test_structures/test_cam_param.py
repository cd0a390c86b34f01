"""``mmmar.structures.cam_param``: the ``cam_param`` dict ``dict(K, f, c)``."""
import numpy as np
import pytest

from mmmar.structures.cam_param import cam_param_from_K, make_cam_param

K_LIST = [[1000., 0., 320.5], [0., 1100., 240.25], [0., 0., 1.]]


def test_f_and_c_are_the_entries_of_K():
    cp = cam_param_from_K(K_LIST)
    assert set(cp) == {'K', 'f', 'c'}
    assert cp['f'] == (1000., 1100.) and cp['c'] == (320.5, 240.25)
    assert all(type(v) is float for v in cp['f'] + cp['c'])
    assert cp['K'].dtype == np.float32 and cp['K'].shape == (3, 3)
    np.testing.assert_array_equal(cp['K'], np.array(K_LIST, np.float32))


def test_dtype_flat_input_and_skew():
    K = np.array(K_LIST)
    K[0, 1] = 7.  # a skew term stays in K; f and c are still the diagonal / last column
    cp = cam_param_from_K(K.ravel(), dtype=np.float64)
    assert cp['K'].dtype == np.float64
    np.testing.assert_array_equal(cp['K'], K)
    assert cp['f'] == (1000., 1100.) and cp['c'] == (320.5, 240.25)
    # the stored K is a copy: changing it does not change the caller's array
    cp['K'][0, 0] = 1.
    assert K[0, 0] == 1000.


def test_f_and_c_from_float64_values():
    """f / c come from K in float64, not from the float32 stored K."""
    cp = cam_param_from_K([[1000.1, 0, 0.1], [0, 1000.1, 0.2], [0, 0, 1]])
    assert cp['f'] == (1000.1, 1000.1) and cp['c'] == (0.1, 0.2)
    assert cp['K'][0, 0] == np.float32(1000.1)


def test_make_cam_param():
    cp = make_cam_param(500, 510, 100.5, 80.25)
    np.testing.assert_array_equal(
        cp['K'], np.array([[500, 0, 100.5], [0, 510, 80.25], [0, 0, 1]], np.float32))
    assert cp['f'] == (500., 510.) and cp['c'] == (100.5, 80.25)
    assert make_cam_param(1, 2, 3, 4, dtype=np.float64)['K'].dtype == np.float64


def test_bad_shape_raises():
    with pytest.raises(ValueError):
        cam_param_from_K(np.eye(2))
