"""Default intrinsics and parsing of user-given intrinsics."""
import json
import math

import numpy as np
import pytest

from mmmar.apis.intrinsics import (SOURCE_DEFAULT, default_intrinsics, is_per_image_intrinsics,
                                   load_intrinsics_arg, parse_intrinsics, resolve_intrinsics)

K_REF = np.array([[1000., 0, 320], [0, 1100., 240], [0, 0, 1]], np.float32)


def test_default_fov60():
    K = default_intrinsics(640, 480)
    f = 640 / (2 * math.tan(math.radians(30)))
    assert K.dtype == np.float32 and K.shape == (3, 3)
    np.testing.assert_allclose(K, [[f, 0, 319.5], [0, f, 239.5], [0, 0, 1]],
                               rtol=1e-6)
    # the horizontal field of view is 60 degrees
    half = math.degrees(math.atan((640 / 2) / K[0, 0]))
    assert half == pytest.approx(30, abs=1e-4)
    K90 = default_intrinsics(640, 480, fov_deg=90)
    assert K90[0, 0] == pytest.approx(320, rel=1e-6)
    assert SOURCE_DEFAULT == 'default-fov60'
    with pytest.raises(ValueError):
        default_intrinsics(0, 10)
    with pytest.raises(ValueError):
        default_intrinsics(10, 10, fov_deg=180)


@pytest.mark.parametrize('value', [
    K_REF, K_REF.tolist(), [1000, 1100, 320, 240],
    dict(K=K_REF.tolist()), dict(f=[1000, 1100], c=[320, 240]),
    dict(fx=1000, fy=1100, cx=320, cy=240), K_REF.reshape(-1).tolist()
])
def test_parse_forms(value):
    K = parse_intrinsics(value)
    assert K.dtype == np.float32
    np.testing.assert_allclose(K, K_REF)


@pytest.mark.parametrize('bad', [
    [1, 2, 3], 'abc', [[0, 0, 1], [0, 1, 1], [0, 0, 1]],
    [-5, 5, 1, 1], dict(g=1), [[1, 0, 0], [0, 1, 0], [0, 1, 1]],
    [np.nan, 1, 1, 1]
])
def test_parse_errors(bad):
    with pytest.raises(ValueError):
        parse_intrinsics(bad, 'img.jpg')


def test_resolve_per_image():
    per_image = {'a.jpg': [1000, 1100, 320, 240], '/x/b.png': K_REF}
    assert is_per_image_intrinsics(per_image)
    assert not is_per_image_intrinsics(dict(K=K_REF))
    K, src = resolve_intrinsics(per_image, '/data/a.jpg', 640, 480)
    assert src == 'user'
    np.testing.assert_allclose(K, K_REF)
    K, src = resolve_intrinsics(per_image, '/x/b.png', 640, 480)
    assert src == 'user'
    K, src = resolve_intrinsics(per_image, '/data/c.jpg', 640, 480)
    assert src == 'default-fov60'
    np.testing.assert_allclose(K, default_intrinsics(640, 480))
    per_image['default'] = [500, 500, 10, 10]
    K, src = resolve_intrinsics(per_image, '/data/c.jpg', 640, 480)
    assert src == 'user' and K[0, 0] == 500
    K, src = resolve_intrinsics(None, 'c.jpg', 100, 50, fov_deg=45)
    assert src == 'default-fov45'
    K, src = resolve_intrinsics(K_REF, 'c.jpg', 100, 50)
    assert src == 'user'


def test_cli_values(tmp_path):
    assert load_intrinsics_arg(None) is None
    for arg in (['1000', '1100', '320', '240'], '1000,1100,320,240',
                '1000 1100 320 240', [1000, 1100, 320, 240]):
        np.testing.assert_allclose(load_intrinsics_arg(arg), K_REF)
    one = tmp_path / 'cam.json'
    one.write_text(json.dumps(dict(K=K_REF.tolist())))
    np.testing.assert_allclose(load_intrinsics_arg(str(one)), K_REF)
    np.testing.assert_allclose(load_intrinsics_arg([str(one)]), K_REF)
    per = tmp_path / 'per_image.json'
    per.write_text(json.dumps({'a.jpg': [1000, 1100, 320, 240]}))
    d = load_intrinsics_arg(str(per))
    np.testing.assert_allclose(d['a.jpg'], K_REF)
    with pytest.raises(ValueError, match='4 numbers'):
        load_intrinsics_arg(['1', '2', '3'])
    with pytest.raises(ValueError, match='nofile.json'):
        load_intrinsics_arg('nofile.json')
    bad = tmp_path / 'bad.json'
    bad.write_text('{not json')
    with pytest.raises(ValueError, match='bad.json'):
        load_intrinsics_arg(str(bad))
