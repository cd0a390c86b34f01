"""mar_omega: MAROmegaHead (the per-person torso length branch, moved out of the core's
MARHead): output shapes, loss terms, a short training run of a tiny model, the config."""
import inspect
import os.path as osp

import numpy as np
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpose.registry import KEYPOINT_CODECS, MODELS

import mmmar.models  # noqa: F401
from mmmar.models.heads import MARHead
from mmmar.testing import build_tiny_head as build_head
from mmmar.testing import head_data_samples as data_samples
from mmmar.testing import make_K, make_people, packed_sample
from mmmar.testing import random_feats as feats
from mmmar.testing import tiny_hrnet
from .conftest import MAR_OMEGA_DIR  # noqa: F401 (the project folder is on sys.path)

from mar_omega import MAROmegaHead  # noqa: E402 isort: skip

torch.set_num_threads(1)
J = 17


def test_core_has_no_torso_branch():
    assert 'predict_torso' not in inspect.signature(MARHead.__init__).parameters
    assert not hasattr(build_head(), 'torso_layers')
    assert MODELS.get('MAROmegaHead') is MAROmegaHead


def test_forward_shapes():
    head_t = build_head(type='MAROmegaHead', multiscale_supervision=False,
                        test_scale_fusion='finest')
    out = head_t.forward(feats())
    assert out['torso_length'].shape == (2, 1, 16, 24)
    assert (out['torso_length'] > 0).all()
    assert len(out['aux']) == 1


def test_loss_terms_finite():
    head = build_head(type='MAROmegaHead')
    losses = head.loss(feats(), data_samples())
    assert set(losses) == {
        'loss_heatmap', 'loss_paf', 'loss_offset', 'loss_geo', 'loss_reg',
        'loss_torso'
    }
    for k, v in losses.items():
        assert v.ndim == 0 and torch.isfinite(v), k


def _encode(codec, kpts, cams, K):
    n = len(kpts)
    return codec.encode(keypoints=kpts, keypoints_visible=np.ones((n, J), np.float32),
                        keypoints_cam=cams, keypoints_valid=np.ones((n, J), np.float32),
                        has_depth=np.ones(n, np.float32), cam_param=dict(K=K))


def test_train_tiny_model_reduces_every_loss():
    torch.manual_seed(0)
    S = 64
    codec = dict(type='MARCodec', input_size=(S, S), heatmap_size=(S // 4,
                                                                   S // 4))
    model = MODELS.build(
        dict(
            type='MARPoseEstimator',
            backbone=tiny_hrnet(),
            head=dict(
                type='MAROmegaHead',
                in_channels=(8, 16, 32, 64),
                branch_channels=16,
                omega=400.,  # the synthetic torsos are ~500 mm
                decoder=codec,
                init_cfg=None)))
    codec = KEYPOINT_CODECS.build(codec)
    samples, imgs = [], []
    for i in range(3):
        K = make_K(f=100., w=S, h=S)
        cams, kpts = make_people(1 + i % 2, K, S, S, seed=i)
        enc = _encode(codec, kpts, cams, K)
        samples.append(packed_sample(enc, codec, dict(img_path=f's{i}.jpg',
                                                      cam_param=dict(K=K))))
        imgs.append(torch.rand(3, S, S) * 2 - 1)
    inputs = torch.stack(imgs)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    model.train()
    hist = []
    for _ in range(25):
        losses = model.loss(inputs, samples)
        opt.zero_grad()
        sum(losses.values()).backward()
        opt.step()
        hist.append({k: v.item() for k, v in losses.items()})
    keys = ('loss_heatmap', 'loss_paf', 'loss_offset', 'loss_geo', 'loss_reg',
            'loss_torso')
    for k in keys:
        first = np.mean([h[k] for h in hist[:3]])
        last = np.mean([h[k] for h in hist[-3:]])
        assert np.isfinite(last) and last < first, (k, first, last)


def test_config_replaces_the_head():
    cfg = Config.fromfile(osp.join(
        MAR_OMEGA_DIR, 'configs', 'mar-omega_small-v2_f_predicted-omega.py'))
    assert 'mar_omega' in cfg.custom_imports['imports']
    assert 'mmmar.models' in cfg.custom_imports['imports']
    assert cfg.model.head.type == 'MAROmegaHead'
    assert cfg.model.head.omega == 436.8  # the base's (d) setting is kept
    init_default_scope('mmpose')
    head = MODELS.build(cfg.model.head)
    assert isinstance(head, MAROmegaHead) and head.torso_layers is not None
