"""Inputs of the inferencer (mmmar.apis.inputs) and the shared image decoding
(mmmar.datasets.transforms.image_io)."""
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from mmmar.apis.inputs import (MARInputError, as_bgr_uint8, inputs_to_list, media_kind, read_input,
                               report_failed_inputs)
from mmmar.datasets.transforms import ImageDecodeError, decode_image_bytes, is_truncated_jpeg


def _jpeg() -> bytes:
    ok, buf = cv2.imencode('.jpg', np.full((8, 12, 3), 90, np.uint8))
    assert ok
    return buf.tobytes()


def test_media_kind():
    assert media_kind('a/b.JPG') == 'image'
    assert media_kind('clip.mkv') == 'video'
    assert media_kind('notes.txt') == 'text'
    assert media_kind('noext') == 'unknown'


def test_decode_image_bytes_checks():
    buf = _jpeg()
    assert decode_image_bytes(buf).shape == (8, 12, 3)
    assert not is_truncated_jpeg(buf)
    assert not is_truncated_jpeg(buf + b'\x00\x00\r\n')  # padding after the marker
    assert is_truncated_jpeg(buf[:len(buf) // 2])
    assert not is_truncated_jpeg(b'not a jpeg')
    for data, kind in ((b'', 'empty'), (buf[:len(buf) // 2], 'truncated-jpeg'),
                       (b'garbage', 'undecodable')):
        with pytest.raises(ImageDecodeError) as e:
            decode_image_bytes(data)
        assert e.value.kind == kind
    # without the end-of-image check the decoder judges the bytes
    with pytest.raises(ImageDecodeError) as e:
        decode_image_bytes(buf[:len(buf) // 2], check_jpeg_eoi=False)
    assert e.value.kind != 'truncated-jpeg'


def test_inputs_to_list(tmp_path):
    (tmp_path / 'b.jpg').write_bytes(_jpeg())
    (tmp_path / 'a.png').write_bytes(b'')
    (tmp_path / 'readme.txt').write_text('skipped')
    items, is_collection, video = inputs_to_list(str(tmp_path))
    assert [osp.basename(p) for p in items] == ['a.png', 'b.jpg']
    assert is_collection and video is None
    assert inputs_to_list(str(tmp_path / 'b.jpg')) == ([str(tmp_path / 'b.jpg')], False, None)
    assert inputs_to_list(('x', 'y')) == (['x', 'y'], True, None)
    with pytest.raises(MARInputError, match='no such file or folder'):
        inputs_to_list(str(tmp_path / 'missing.jpg'))
    with pytest.raises(TypeError):
        inputs_to_list(3)


def test_read_input_reasons(tmp_path):
    good = tmp_path / 'good.jpg'
    good.write_bytes(_jpeg())
    img, path = read_input(str(good), 0)
    assert img.shape == (8, 12, 3) and img.dtype == np.uint8 and path == str(good)
    cases = {
        'trunc.jpg': (_jpeg()[:60], 'truncated JPEG (no end-of-image marker)'),
        'zero.jpg': (b'', 'empty file (0 bytes)'),
        'text.jpg': (b'garbage', 'cannot decode this file as an image (not an image, or '
                     'corrupt)'),
        'clip.mp4': (b'\x00' * 10, 'is a video; give it on its own, not in a list'),
    }
    for name, (data, reason) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(MARInputError) as e:
            read_input(str(tmp_path / name), 0)
        assert (e.value.path, e.value.reason) == (str(tmp_path / name), reason)
    img, path = read_input(np.zeros((4, 5), np.float32), 7)
    assert path == '000007.jpg' and img.shape == (4, 5, 3)


def test_as_bgr_uint8():
    rgba = np.full((2, 3, 4), 300., np.float32)
    out = as_bgr_uint8(rgba, 'x')
    assert out.shape == (2, 3, 3) and out.dtype == np.uint8 and (out == 255).all()
    with pytest.raises(MARInputError, match='zero-size'):
        as_bgr_uint8(np.zeros((0, 3, 3), np.uint8), 'x')
    with pytest.raises(MARInputError, match='not an H x W x 3 image'):
        as_bgr_uint8(np.zeros((2, 3, 2), np.uint8), 'x')


def test_report_failed_inputs(tmp_path):
    report_failed_inputs([], str(tmp_path))
    assert not (tmp_path / 'failed_inputs.json').exists()
    failed = [dict(img_path='a.jpg', error='empty file (0 bytes)')]
    report_failed_inputs(failed, str(tmp_path))
    with open(tmp_path / 'failed_inputs.json') as f:
        assert json.load(f) == failed
