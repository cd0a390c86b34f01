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
    # user intrinsics are used (the depths they give: test_mar_inferencer_depth_scales_...)
    K2 = np.asarray(res['intrinsics'][0]['K']).copy()
    K2[:2, :2] *= 2
    res2 = next(inf(setup['people'], intrinsics=K2))
    assert res2['intrinsics'][0]['source'] == 'user'
    np.testing.assert_allclose(res2['intrinsics'][0]['K'], K2)

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


def _torso_lengths(p, K):
    """|P_neck - P_root| (mm) of Eq. 7-8: the root back-projected at Z_geo, the neck at
    Z_geo + its relative depth, with the intrinsics ``K`` of the original image."""
    from mmmar.structures.skeleton import NECK, ROOT
    Kinv = np.linalg.inv(K)
    uv1 = np.concatenate([p.keypoints_2d.astype(np.float64),
                          np.ones(p.keypoints_2d.shape[:2] + (1, ))], -1)
    rays = uv1 @ Kinv.T  # (N, J, 3), z = 1
    z_neck = p.depth_geo + p.keypoint_depths[:, NECK]
    return np.linalg.norm(z_neck[:, None] * rays[:, NECK] -
                          p.depth_geo[:, None] * rays[:, ROOT], axis=-1)


def test_mar_inferencer_depth_scales_with_focal(setup):
    """Same image, same (seeded, saved) weights, focal x2: the network sees the same pixels,
    so the same people are decoded at the same 2D positions; Z_reg (= network output x focal)
    doubles exactly, Z_geo keeps the torso Omega long with the new K (Eq. 7-8), the fused
    depth follows Eq. 12 and the 3D joints Eq. 1 with the new K."""
    from mmmar.apis import MARInferencer
    from mmmar.geometry import fuse_depths_np
    from mmmar.structures.skeleton import ROOT
    # Eq. 7-8 on the structured pose's torso, so that the output 3D torso is Omega long
    # (with the configs' geo_torso='offsets' it is the root-offset torso that is)
    inf = MARInferencer(setup['cfg'], setup['ckpt'], device='cpu',
                        cfg_options={**_decoder_thr(-1e6),
                                     'model.head.fusion.geo_torso': 'structured'})
    K = np.array([[140., 0., 80.], [0., 140., 60.], [0., 0., 1.]])
    K2 = K.copy()
    K2[:2, :2] *= 2
    preds = []
    for KK in (K, K2):
        res = next(inf(setup['people'], intrinsics=KK, return_datasamples=True))
        preds.append(res['predictions'][0].pred_instances)
    p1, p2 = preds
    n = len(p1.scores)
    assert n > 0 and len(p2.scores) == n
    np.testing.assert_allclose(p2.keypoints_2d, p1.keypoints_2d, atol=1e-4)
    np.testing.assert_allclose(p2.keypoint_depths, p1.keypoint_depths, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(p2.depth_reg, 2 * p1.depth_reg, rtol=1e-5)
    np.testing.assert_allclose(p2.sigma_reg, 2 * p1.sigma_reg, rtol=1e-5)
    omega = inf.model.head.fusion.omega
    for p, KK in ((p1, K), (p2, K2)):
        g = np.asarray(p.geo_valid, bool)
        assert g.any(), 'no person with a geometry depth: the check would be empty'
        np.testing.assert_allclose(_torso_lengths(p, KK)[g], omega, rtol=1e-3)
        fused = fuse_depths_np(p.depth_reg, p.sigma_reg, p.depth_geo, p.sigma_geo)
        np.testing.assert_allclose(p.root_depth[g], fused[g], rtol=1e-4)
        np.testing.assert_allclose(p.root_depth[~g], p.depth_reg[~g], rtol=1e-5)
        uv1 = np.concatenate([p.keypoints_2d[:, ROOT], np.ones((n, 1))], -1)
        np.testing.assert_allclose(p.keypoints[:, ROOT],
                                   p.root_depth[:, None] * uv1 @ np.linalg.inv(KK).T,
                                   rtol=1e-3, atol=1e-2)
    # the torso's lateral extent halves with 2f: Z_geo doubles exactly when the neck is at
    # the root's depth, and within a few percent for |dZ_neck| << Z (here ~60 mm at ~4 m)
    g = np.asarray(p1.geo_valid, bool) & np.asarray(p2.geo_valid, bool)
    assert g.any()
    np.testing.assert_allclose(p2.depth_geo[g] / p1.depth_geo[g], 2., rtol=0.1)


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
