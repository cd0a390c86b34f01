"""MARInferencer (and plain MMPoseInferencer) with the real MAR model, small and on CPU.

The checkpoint is saved from a randomly initialised model (no pretrained download; its
depth regression layer set to a constant 4 m so that people are not dropped for Z <= 0), so
the number of people found is arbitrary; the decoder's root threshold is set very low
("people": every heatmap peak is a person) or very high ("nobody": N = 0) to reach both
code paths deterministically.
"""
import json

import cv2
import numpy as np
import pytest
from mmengine.config import Config

from mmmar.structures.skeleton import NUM_JOINTS
from .conftest import decoder_thr


def _check_person(p, img_w, img_h):
    k3 = np.asarray(p['keypoints_3d'])
    k2 = np.asarray(p['keypoints'])
    assert k3.shape == (NUM_JOINTS, 3) and np.isfinite(k3).all()
    assert k2.shape == (NUM_JOINTS, 2) and np.isfinite(k2).all()
    assert np.asarray(p['keypoint_scores']).shape == (NUM_JOINTS, )
    for key in ('root_depth', 'root_depth_reg', 'root_depth_geo', 'sigma_reg',
                'sigma_geo', 'bbox_score'):
        assert np.isfinite(p[key]), key
    assert len(p['bbox']) == 4


def test_mar_inferencer_people_and_nobody(setup):
    from mmmar.apis import MARInferencer
    inf = MARInferencer(
        setup['cfg'], setup['ckpt'], device='cpu',
        cfg_options=decoder_thr(-1e6))
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
        cfg_options=decoder_thr(1e6))
    res = next(inf_none(setup['nobody'], pred_out_dir=str(pred_dir),
                        return_vis=True))
    assert res['predictions'] == [[]]
    assert res['visualization'][0].shape == (120, 160 + 240, 3)
    with open(pred_dir / 'nobody.json') as f:
        assert json.load(f)['instances'] == []
    res = next(inf_none(setup['nobody'], return_datasamples=True))
    inst = res['predictions'][0].pred_instances
    assert np.asarray(inst.keypoints).shape == (0, NUM_JOINTS, 2)
    assert np.asarray(inst.keypoints_3d).shape == (0, NUM_JOINTS, 3)


def _torso_lengths(p, K):
    """|P_neck - P_root| (mm) of Eq. 7-8: the root back-projected at Z_geo, the neck at
    Z_geo + its relative depth, with the intrinsics ``K`` of the original image."""
    from mmmar.structures.skeleton import NECK, ROOT
    Kinv = np.linalg.inv(K)
    uv1 = np.concatenate([p.keypoints.astype(np.float64),
                          np.ones(p.keypoints.shape[:2] + (1, ))], -1)
    rays = uv1 @ Kinv.T  # (N, J, 3), z = 1
    z_neck = p.root_depth_geo + p.keypoints_rel_depth[:, NECK]
    return np.linalg.norm(z_neck[:, None] * rays[:, NECK] -
                          p.root_depth_geo[:, None] * rays[:, ROOT], axis=-1)


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
                        cfg_options={**decoder_thr(-1e6),
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
    np.testing.assert_allclose(p2.keypoints, p1.keypoints, atol=1e-4)
    np.testing.assert_allclose(p2.keypoints_rel_depth, p1.keypoints_rel_depth, rtol=1e-5,
                               atol=1e-3)
    np.testing.assert_allclose(p2.root_depth_reg, 2 * p1.root_depth_reg, rtol=1e-5)
    np.testing.assert_allclose(p2.sigma_reg, 2 * p1.sigma_reg, rtol=1e-5)
    omega = inf.model.head.fusion.omega
    for p, KK in ((p1, K), (p2, K2)):
        g = np.asarray(p.geo_valid, bool)
        assert g.any(), 'no person with a geometry depth: the check would be empty'
        np.testing.assert_allclose(_torso_lengths(p, KK)[g], omega, rtol=1e-3)
        fused = fuse_depths_np(p.root_depth_reg, p.sigma_reg, p.root_depth_geo, p.sigma_geo)
        np.testing.assert_allclose(p.root_depth[g], fused[g], rtol=1e-4)
        np.testing.assert_allclose(p.root_depth[~g], p.root_depth_reg[~g], rtol=1e-5)
        uv1 = np.concatenate([p.keypoints[:, ROOT], np.ones((n, 1))], -1)
        np.testing.assert_allclose(p.keypoints_3d[:, ROOT],
                                   p.root_depth[:, None] * uv1 @ np.linalg.inv(KK).T,
                                   rtol=1e-3, atol=1e-2)
        # 'keypoints' are the original image's pixels of 'keypoints_3d' through the
        # user's K (the image is resized for the network; the estimator maps back)
        P = p.keypoints_3d.astype(np.float64)
        uv = (P[..., :2] / P[..., 2:]) * np.diag(KK)[:2] + KK[:2, 2]
        np.testing.assert_allclose(p.keypoints, uv, atol=2e-3)
        np.testing.assert_array_equal(p.root_depth, p.keypoints_3d[:, ROOT, 2])
    # the torso's lateral extent halves with 2f: Z_geo doubles exactly when the neck is at
    # the root's depth, and within a few percent for |dZ_neck| << Z (here ~60 mm at ~4 m)
    g = np.asarray(p1.geo_valid, bool) & np.asarray(p2.geo_valid, bool)
    assert g.any()
    np.testing.assert_allclose(p2.root_depth_geo[g] / p1.root_depth_geo[g], 2., rtol=0.1)


def test_plain_mmpose_inferencer(setup):
    """MMPoseInferencer runs the MAR model (given MARDefaultIntrinsics in the test
    pipeline) but keeps only mmpose's fields."""
    from mmpose.apis import MMPoseInferencer

    cfg = Config.fromfile(setup['cfg'])
    cfg.merge_from_dict(decoder_thr(-1e6))
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
    # mmpose's split_instances: 'keypoints' are the 2D joints in pixels of the image, as
    # for mmpose's own models (MAR's 3D joints are 'keypoints_3d', not kept by mmpose)
    assert np.asarray(people[0]['keypoints']).shape == (NUM_JOINTS, 2)
    assert set(people[0]) <= {'keypoints', 'keypoint_scores', 'bbox',
                              'bbox_score'}
