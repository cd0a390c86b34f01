import json
import os.path as osp

import cv2
import numpy as np
import pytest

from tests.shared_data import SHARED_DATA as DATA


def write_jpeg(path, w=64, h=48, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), img)
    return img


def dump_json(path, obj):
    with open(path, 'w') as f:
        json.dump(obj, f)
    return str(path)


@pytest.fixture(scope='session')
def synth(tmp_path_factory):
    """A small synthetic dataset shared by several tests."""
    from mmmar.datasets.synthetic import generate_synthetic_dataset
    out = tmp_path_factory.mktemp('synth')
    info = generate_synthetic_dataset(str(out), num_images=24, num_sequences=4,
                                      num_test_sequences=1, max_people=6, seed=3)
    info['root'] = str(out)
    return info


def has_data():
    return osp.isdir(DATA)
