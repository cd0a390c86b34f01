"""Shared fixture of the inferencer tests: a small MAR config and a checkpoint saved from a
randomly initialised model (its depth regression fixed at 4 m), and two test images."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmmar.testing import restate_codec

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SMALL_INPUT = (128, 96)  # (W, H), stride 4


def _small_config_path():
    """The small CPU config when it exists, else the main config (shrunk below)."""
    for pattern in ('*cpu*.py', '*tiny*.py', '*small*.py', '*ci*.py'):
        found = sorted(glob.glob(osp.join(ROOT, 'configs', pattern)))
        if found:
            return found[0]
    path = osp.join(ROOT, 'configs', 'mar_hrnet-w32_muco.py')
    return path if osp.isfile(path) else None


def _shrink(cfg):
    """Smaller input (restated wherever the codec is used), no pretrained download."""
    W, H = SMALL_INPUT
    stride = cfg.codec['input_size'][0] // cfg.codec['heatmap_size'][0]
    restate_codec(cfg, input_size=(W, H), heatmap_size=(W // stride, H // stride))
    backbone = cfg.model.get('backbone', {})
    if isinstance(backbone, dict) and 'init_cfg' in backbone:
        backbone['init_cfg'] = None
    return cfg


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    cfg_path = _small_config_path()
    assert cfg_path is not None, 'the small MAR config is missing from configs/'
    from mmmar.utils import register_all_modules
    register_all_modules()
    from mmpose.registry import MODELS
    cfg = _shrink(Config.fromfile(cfg_path))
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    tmp = tmp_path_factory.mktemp('mar_model')
    ckpt = str(tmp / 'random_init.pth')
    state = model.state_dict()
    # A random depth layer often regresses Z <= 0, and the estimator drops such
    # people; make the regression branch output a constant 4 m instead
    # (channel 0: Z / focal_of(K_input), channel 1: log sigma_reg).
    w, b = 'head.depth_layers.1.weight', 'head.depth_layers.1.bias'
    if w in state and b in state:
        focal_in = 160 / (2 * np.tan(np.radians(30))) * SMALL_INPUT[0] / 160
        state[w].zero_()
        state[b].zero_()
        state[b][0] = 4000. / focal_in
    torch.save(dict(state_dict=state), ckpt)
    cfg_file = str(tmp / 'small_cfg.py')
    cfg.dump(cfg_file)
    img = np.zeros((120, 160, 3), np.uint8)
    for x in (40, 110):  # two bright "people"
        cv2.rectangle(img, (x - 12, 20), (x + 12, 110), (180, 160, 140), -1)
        cv2.circle(img, (x, 15), 9, (200, 180, 160), -1)
    people = str(tmp / 'people.jpg')
    cv2.imwrite(people, img)
    nobody = str(tmp / 'nobody.jpg')
    cv2.imwrite(nobody, np.zeros((120, 160, 3), np.uint8))
    return dict(cfg=cfg_file, ckpt=ckpt, people=people, nobody=nobody,
                tmp=tmp)


def decoder_thr(thr):
    """``--cfg-options`` setting every decoder threshold to ``thr`` (the keypoint one at
    most 0.1): low = every peak is a person, high = nobody."""
    return {'model.head.decoder.decode_root_thr': thr,
            'model.head.decoder.decode_candidate_thr': thr,
            'model.head.decoder.decode_keypoint_thr': min(thr, 0.1)}
