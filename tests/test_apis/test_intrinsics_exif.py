"""Camera intrinsics from a JPEG's EXIF focal length (source 'exif'), on JPEGs whose EXIF
the tests write with Pillow; fx/fy derived by hand."""
import math

import numpy as np
import pytest
from PIL import Image

from mmmar.apis.intrinsics import (SOURCE_EXIF, default_intrinsics, exif_intrinsics,
                                   resolve_intrinsics)

EXIF_IFD = 0x8769


def _jpeg(path, w, h, tags=None, orientation=None):
    img = Image.fromarray(np.full((h, w, 3), 128, np.uint8))
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    ifd = exif.get_ifd(EXIF_IFD)
    for k, v in (tags or {}).items():
        ifd[k] = v
    img.save(str(path), 'JPEG', exif=exif)
    return str(path)


def test_35mm_equivalent_3x2(tmp_path):
    """3:2 image: fx = fy = f35 / 36 * W."""
    path = _jpeg(tmp_path / 'a.jpg', 600, 400, {0xA405: 26})
    K, info = exif_intrinsics(path)
    fx = 26 / 36 * 600  # 433.33 px
    np.testing.assert_allclose(K, [[fx, 0, 299.5], [0, fx, 199.5], [0, 0, 1]],
                               rtol=1e-6)
    assert info['rule'] == '35mm-equivalent'
    K2, source = resolve_intrinsics(None, path, 600, 400)
    assert source == SOURCE_EXIF == 'exif'
    np.testing.assert_allclose(K2, K)


def test_35mm_equivalent_4x3_uses_the_diagonal(tmp_path):
    """4:3 image (a phone): the 35 mm equivalent is defined by the diagonal:
    fx = f35 * hypot(640, 480) / hypot(36, 24) = 28 * 800 / 43.2666 = 517.72 px"""
    path = _jpeg(tmp_path / 'b.jpg', 640, 480, {0xA405: 28})
    K, _ = exif_intrinsics(path)
    assert K[0, 0] == pytest.approx(28 * 800 / math.sqrt(36 ** 2 + 24 ** 2),
                                    rel=1e-6)
    assert K[0, 0] == pytest.approx(517.72, abs=0.01)


@pytest.mark.parametrize('unit, xres, yres, fx, fy', [
    (3, 1000., 1100., 400., 440.),  # px per cm: 100 / 110 px per mm, f = 4 mm
    (2, 2540., None, 400., 400.),  # px per inch: 100 px per mm
    (4, 100., 100., 400., 400.),  # px per mm
])
def test_focal_length_with_focal_plane_resolution(tmp_path, unit, xres, yres,
                                                  fx, fy):
    tags = {0x920A: 4.0, 0xA20E: xres, 0xA210: unit}
    if yres is not None:
        tags[0xA20F] = yres
    path = _jpeg(tmp_path / 'c.jpg', 320, 240, tags)
    K, info = exif_intrinsics(path)
    assert info['rule'] == 'focal-plane-resolution'
    np.testing.assert_allclose([K[0, 0], K[1, 1]], [fx, fy], rtol=1e-6)


def test_focal_plane_resized_and_rotated(tmp_path):
    """EXIF written for a 1280-px-wide original, image stored at 640: half the focal; a
    decoder that turns the image a quarter (EXIF orientation 6) swaps fx and fy."""
    tags = {0x920A: 4.0, 0xA20E: 1000., 0xA20F: 1100., 0xA210: 3, 0xA002: 1280}
    path = _jpeg(tmp_path / 'd.jpg', 640, 480, tags, orientation=6)
    K, _ = exif_intrinsics(path)
    np.testing.assert_allclose([K[0, 0], K[1, 1]], [200., 220.], rtol=1e-6)
    K, _ = exif_intrinsics(path, width=480, height=640)  # decoded upright
    np.testing.assert_allclose([K[0, 0], K[1, 1]], [220., 200.], rtol=1e-6)
    np.testing.assert_allclose(K[:2, 2], [239.5, 319.5])


def test_known_sensor_width(tmp_path):
    path = _jpeg(tmp_path / 'e.jpg', 600, 400, {0x920A: 50.0})
    assert exif_intrinsics(path) is None  # a focal length alone is not enough
    K, info = exif_intrinsics(path, sensor_width_mm=36.0)
    assert K[0, 0] == pytest.approx(50 / 36 * 600)
    assert info['rule'] == 'sensor-width'


def test_fallbacks(tmp_path):
    """No EXIF, a zero or absurd focal, a non-image: the default; user K always wins."""
    plain = _jpeg(tmp_path / 'f.jpg', 600, 400)
    zero = _jpeg(tmp_path / 'g.jpg', 600, 400, {0xA405: 0})
    absurd = _jpeg(tmp_path / 'h.jpg', 600, 400, {0xA405: 0.001})
    junk = tmp_path / 'i.jpg'
    junk.write_bytes(b'not a jpeg')
    for path in (plain, zero, absurd, str(junk), str(tmp_path / 'missing.jpg')):
        K, source = resolve_intrinsics(None, path, 600, 400)
        assert source == 'default-fov60', path
        np.testing.assert_allclose(K, default_intrinsics(600, 400))
    exif = _jpeg(tmp_path / 'j.jpg', 600, 400, {0xA405: 26})
    K, source = resolve_intrinsics([1000, 1000, 300, 200], exif, 600, 400)
    assert source == 'user' and K[0, 0] == 1000
    K, source = resolve_intrinsics(None, exif, 600, 400, use_exif=False)
    assert source == 'default-fov60'


def test_inferencer_reports_exif(tmp_path):
    """MARInferencer (stub model) feeds the EXIF K to the model and reports 'exif'."""
    from mmmar.apis import MARInferencer
    from .test_inferencer_stub import _cfg
    path = _jpeg(tmp_path / 'k.jpg', 96, 64, {0xA405: 35})
    inferencer = MARInferencer(_cfg(), device='cpu')
    res = next(inferencer(path, return_datasamples=True))
    rec = res['intrinsics'][0]
    assert rec['source'] == 'exif'
    fx = 35 * math.hypot(96, 64) / math.hypot(36, 24)
    np.testing.assert_allclose(np.asarray(rec['K'])[0, 0], fx, rtol=1e-5)
    np.testing.assert_allclose(res['predictions'][0].metainfo['stub_K'][0, 0], fx,
                               rtol=1e-5)


def test_array_frames_never_read_a_file(tmp_path, monkeypatch):
    """An array (a video / webcam frame) has no EXIF: run from a folder holding an
    unrelated ``000000.jpg`` (the arrays' stand-in name) with an EXIF focal length, the
    arrays still get the default camera; the same file given by path gets its EXIF."""
    from mmmar.apis import MARInferencer
    from .test_inferencer_stub import _cfg
    monkeypatch.chdir(tmp_path)
    _jpeg(tmp_path / '000000.jpg', 96, 64, {0xA405: 35})
    _jpeg(tmp_path / '000001.jpg', 96, 64, {0xA405: 35})
    inferencer = MARInferencer(_cfg(), device='cpu')
    frame = np.full((64, 96, 3), 128, np.uint8)
    default_fx = default_intrinsics(96, 64)[0, 0]
    for inputs in (frame, [frame, frame]):
        for res in inferencer(inputs):
            assert res['img_paths'][0] in ('000000.jpg', '000001.jpg')
            rec = res['intrinsics'][0]
            assert rec['source'] == 'default-fov60'
            np.testing.assert_allclose(np.asarray(rec['K'])[0, 0], default_fx, rtol=1e-6)
    rec = next(inferencer('000000.jpg'))['intrinsics'][0]
    assert rec['source'] == 'exif'
    np.testing.assert_allclose(np.asarray(rec['K'])[0, 0],
                               35 * math.hypot(96, 64) / math.hypot(36, 24), rtol=1e-5)
