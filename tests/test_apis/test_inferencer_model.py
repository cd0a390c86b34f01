"""MARInferencer (and plain MMPoseInferencer) with the real MAR model, small and on CPU.

The checkpoint is saved from a randomly initialised model (no pretrained download; its
depth regression layer set to a constant 4 m so that people are not dropped for Z <= 0), so
the number of people found is arbitrary; the decoder's root threshold is set very low
("people": every heatmap peak is a person) or very high ("nobody": N = 0) to reach both
code paths deterministically.
"""
import glob
import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmmar.structures.skeleton import NUM_JOINTS

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
    """Smaller input, no pretrained download, no extra decoding cost."""
    W, H = SMALL_INPUT
    codec = dict(cfg.codec)
    stride = codec['input_size'][0] // codec['heatmap_size'][0]
    codec.update(input_size=(W, H), heatmap_size=(W // stride, H // stride))
    cfg.codec = codec
    backbone = cfg.model.get('backbone', {})
    if isinstance(backbone, dict) and 'init_cfg' in backbone:
        backbone['init_cfg'] = None
    return cfg


@pytest.fixture(scope='module')
def setup(tmp_path_factory):
    cfg_path = _small_config_path()
    assert cfg_path is not None, 'the small MAR config is missing from configs/'
    from mmmar.utils import register_all_modules, sync_config
    register_all_modules()
    from mmpose.registry import MODELS
    cfg = sync_config(_shrink(Config.fromfile(cfg_path)))
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


def _decoder_thr(thr):
    return {'codec.decode_root_thr': thr, 'codec.decode_candidate_thr': thr,
            'codec.decode_keypoint_thr': min(thr, 0.1)}


def _check_person(p, img_w, img_h):
    k3 = np.asarray(p['keypoints_3d'])
    k2 = np.asarray(p['keypoints'])
    assert k3.shape == (NUM_JOINTS, 3) and np.isfinite(k3).all()
    assert k2.shape == (NUM_JOINTS, 2) and np.isfinite(k2).all()
    assert np.asarray(p['keypoint_scores']).shape == (NUM_JOINTS, )
    for key in ('root_depth', 'depth_reg', 'depth_geo', 'sigma_reg',
                'sigma_geo', 'bbox_score'):
        assert np.isfinite(p[key]), key
    assert len(p['bbox']) == 4


def test_mar_inferencer_people_and_nobody(setup):
    from mmmar.apis import MARInferencer
    inf = MARInferencer(
        setup['cfg'], setup['ckpt'], device='cpu',
        cfg_options=_decoder_thr(-1e6))
    pred_dir = setup['tmp'] / 'pred'
    vis_dir = setup['tmp'] / 'vis'
    res = next(inf(setup['people'], pred_out_dir=str(pred_dir),
                   vis_out_dir=str(vis_dir)))
    people = res['predictions'][0]
    assert len(people) > 0
    for p in people:
        _check_person(p, 160, 120)
    assert res['intrinsics'][0]['source'] == 'default-fov60'
    with open(pred_dir / 'people.json') as f:
        js = json.load(f)
    assert js['image_size'] == [160, 120]
    assert len(js['instances']) == len(people)
    assert cv2.imread(str(vis_dir / 'people.jpg')).shape == (120, 160 + 240,
                                                             3)
    # same image, user intrinsics with twice the focal: depths scale ~ x2
    K = np.asarray(res['intrinsics'][0]['K'])
    K2 = K.copy()
    K2[0, 0] *= 2
    K2[1, 1] *= 2
    res2 = next(inf(setup['people'], intrinsics=K2))
    assert res2['intrinsics'][0]['source'] == 'user'
    d1 = np.array([p['root_depth'] for p in people])
    d2 = np.array([p['root_depth'] for p in res2['predictions'][0]])
    if len(d1) == len(d2) and len(d1):
        np.testing.assert_allclose(np.sort(d2), 2 * np.sort(d1), rtol=0.05)

    inf_none = MARInferencer(
        setup['cfg'], setup['ckpt'], device='cpu',
        cfg_options=_decoder_thr(1e6))
    res = next(inf_none(setup['nobody'], pred_out_dir=str(pred_dir),
                        return_vis=True))
    assert res['predictions'] == [[]]
    assert res['visualization'][0].shape == (120, 160 + 240, 3)
    with open(pred_dir / 'nobody.json') as f:
        assert json.load(f)['instances'] == []
    res = next(inf_none(setup['nobody'], return_datasamples=True))
    inst = res['predictions'][0].pred_instances
    assert np.asarray(inst.keypoints).shape == (0, NUM_JOINTS, 3)


def test_plain_mmpose_inferencer(setup):
    """MMPoseInferencer runs the MAR model (given MARDefaultIntrinsics in the test
    pipeline) but keeps only mmpose's fields."""
    from mmpose.apis import MMPoseInferencer

    from mmmar.utils import sync_config
    cfg = Config.fromfile(setup['cfg'])
    cfg.merge_from_dict(_decoder_thr(-1e6))
    sync_config(cfg)
    # mmpose's Pose2DInferencer reads cfg.data_mode (MARInferencer defaults it)
    cfg.setdefault('data_mode', 'bottomup')
    pipeline = cfg.test_dataloader.dataset.pipeline
    types = [t['type'] for t in pipeline]
    if 'MARDefaultIntrinsics' not in types:
        # without it mmpose feeds no intrinsics and the MAR head refuses
        inf = MMPoseInferencer(pose2d=cfg, pose2d_weights=setup['ckpt'],
                               device='cpu')
        with pytest.raises(ValueError, match='cam_param'):
            next(inf(setup['people']))
        pipeline.insert(1, dict(type='MARDefaultIntrinsics'))
    inf = MMPoseInferencer(pose2d=cfg, pose2d_weights=setup['ckpt'],
                           device='cpu')
    res = next(inf(setup['people']))
    people = res['predictions'][0]
    assert len(people) > 0
    # mmpose's split_instances: 'keypoints' are MAR's camera-space joints (mm)
    assert np.asarray(people[0]['keypoints']).shape == (NUM_JOINTS, 3)
    assert set(people[0]) <= {'keypoints', 'keypoint_scores', 'bbox',
                              'bbox_score'}
