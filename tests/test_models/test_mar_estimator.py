"""MARPoseEstimator / MARDepthFusion: decode + fusion + mapping on perfect
network outputs (GT encoded by MARCodec), NaN handling. (The short training run
of a tiny model is in ``tests/test_projects/test_mar_omega.py``, with the torso
branch.)"""
import numpy as np
import pytest
import torch
from mmengine.registry import init_default_scope
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

import mmmar.models  # noqa: F401
from mmmar.models.post_processors.fusion import MARDepthFusion
from mmmar.structures.skeleton import NECK, ROOT
from mmmar.testing import TEMPLATE, make_K, tiny_hrnet

torch.set_num_threads(1)
J = 17
FIELDS_2 = {'keypoints'}
PER_PERSON = ('keypoint_scores', 'bbox_scores', 'scores', 'root_depth',
              'root_depth_reg', 'root_depth_geo', 'sigma_reg', 'sigma_geo', 'bboxes')


def grid_people(n, K, W, H, rows=4, cols=5, z=7000.):
    """Up to rows*cols non-overlapping standing people (camera mm, px)."""
    cams = []
    for i in range(n):
        r, c = divmod(i, cols)
        u = (c + 0.5) * W / cols
        v = (r + 0.55) * H / rows
        root = (z + 150 * i) * np.linalg.inv(K) @ np.array([u, v, 1.])
        cams.append(TEMPLATE + root)
    cams = np.array(cams, np.float64).reshape(n, J, 3)
    p = cams @ K.T
    kpts = p[..., :2] / np.maximum(p[..., 2:3], 1e-9)
    return cams.astype(np.float32), kpts.astype(np.float32)


def encode(codec, kpts, cams, K):
    n = len(kpts)
    return codec.encode(
        keypoints=kpts,
        keypoints_visible=np.ones((n, J), np.float32),
        keypoints_cam=cams,
        keypoints_valid=np.ones((n, J), np.float32),
        has_depth=np.ones(n, np.float32),
        cam_param=dict(K=K))


def perfect_outputs(enc):
    t = {k: torch.as_tensor(v)[None] for k, v in enc.items()}
    zeros = torch.zeros_like(t['root_depth'])
    return dict(
        heatmaps=t['heatmaps'],
        pafs=t['pafs'],
        offsets=t['offsets'],
        root_depth=t['root_depth'],
        log_sigma_reg=zeros,
        log_sigma_geo=zeros)


W, H = 512, 384


@pytest.fixture(scope='module')
def estimator():
    init_default_scope('mmpose')
    codec = dict(type='MARCodec', input_size=(W, H), heatmap_size=(W // 4,
                                                                   H // 4))
    cfg = dict(
        type='MARPoseEstimator',
        data_preprocessor=dict(
            type='PoseDataPreprocessor',
            mean=[123.675, 116.28, 103.53],
            std=[58.395, 57.12, 57.375],
            bgr_to_rgb=True),
        backbone=tiny_hrnet(),
        head=dict(
            type='MARHead',
            in_channels=(8, 16, 32, 64),
            branch_channels=16,
            omega=500.,
            decoder=codec,
            init_cfg=None),
        test_cfg=dict(flip_test=False))
    torch.manual_seed(0)  # deterministic random init
    return MODELS.build(cfg).eval()


@pytest.mark.parametrize('n', [0, 1, 20])
def test_predict_perfect_outputs(estimator, n):
    head = estimator.head
    K = make_K(f=300., w=W, h=H)
    cams, kpts = grid_people(n, K, W, H)
    enc = encode(head.decoder, kpts, cams, K)
    # original image 2x larger, shifted: input = 0.5 * orig - (10, 6)
    A = np.array([[0.5, 0, -10.], [0, 0.5, -6.]])
    ds = PoseDataSample(
        metainfo=dict(
            img_path=f'people_{n}.jpg', cam_param=dict(K=K),
            input_affine=A, input_size=(W, H)))
    preds = head.predict_from_outputs(perfect_outputs(enc), [ds])
    out = estimator.add_pred_to_datasample(preds, None, [ds])[0]
    p = out.pred_instances
    assert p.keypoints_3d.shape == (n, J, 3)
    for k in FIELDS_2:
        assert p.get(k).shape == (n, J, 2), k
    assert p.keypoint_scores.shape == (n, J)
    for k in PER_PERSON[1:-1]:
        assert p.get(k).shape == (n, ), k
    assert p.bboxes.shape == (n, 4)
    for k in ('keypoints', 'keypoints_3d', 'root_depth', 'root_depth_geo',
              'sigma_geo', 'bboxes'):
        assert np.isfinite(p.get(k)).all(), k
    if n == 0:
        return
    # match predictions to GT people by root depth order
    order = np.argsort(p.root_depth_reg)
    gt_order = np.argsort(cams[:, ROOT, 2])
    pk, gk = p.keypoints_3d[order], cams[gt_order]
    # regression depth read at the root pixel is exact (float32)
    np.testing.assert_allclose(
        p.root_depth_reg[order], cams[gt_order, ROOT, 2], rtol=1e-4)
    # geometry depth: right up to the ~1 px 2D quantisation of the torso
    np.testing.assert_allclose(
        p.root_depth_geo[order], cams[gt_order, ROOT, 2], rtol=0.15)
    # equal sigmas -> fused = mean
    np.testing.assert_allclose(
        p.root_depth, (p.root_depth_reg + p.root_depth_geo) / 2, rtol=1e-5)
    np.testing.assert_allclose(p.sigma_reg, p.sigma_geo, rtol=1e-6)
    # 3D: relative pose exact up to 2D quantisation (mm)
    rel_err = np.linalg.norm((pk - pk[:, ROOT:ROOT + 1]) -
                             (gk - gk[:, ROOT:ROOT + 1]), axis=-1)
    assert np.median(rel_err) < 60, np.median(rel_err)
    # 2D mapped back to the original image: orig = 2 * (input + (10, 6))
    orig = 2 * (kpts[gt_order] + np.array([10., 6.]))
    err2d = np.linalg.norm(p.keypoints[order] - orig, axis=-1)
    assert np.median(err2d) < 6, np.median(err2d)
    # one name per meaning: no 2D aliases beside 'keypoints'
    assert not {'keypoints_2d', 'transformed_keypoints', 'depth_reg'} & set(p.keys())
    assert (p.bboxes[:, 2:] >= p.bboxes[:, :2]).all()


def test_prediction_names_mean_what_design_md_says(estimator):
    """docs/design.md, "Names along the inference path", checked on perfect maps with
    distinct sigmas and a resized, shifted input: ``keypoints`` (N, 17, 2) are pixels of
    the ORIGINAL image, the projection of ``keypoints_3d`` (N, 17, 3, camera mm) through
    the original camera; ``root_depth_reg`` is the regressed depth (Eq. 5-6),
    ``root_depth_geo`` the geometry depth (Eq. 7-8), ``root_depth`` their fusion (Eq. 12)
    with ``sigma_reg`` / ``sigma_geo`` (mm; the log sigmas clipped to the head's
    ``log_sigma_range``) and the root's Z of ``keypoints_3d``; ``keypoints_rel_depth`` is
    Z_k - Z_root."""
    head = estimator.head
    K = make_K(f=300., w=W, h=H)  # the network input's camera
    cams, kpts = grid_people(3, K, W, H)
    outs = perfect_outputs(encode(head.decoder, kpts, cams, K))
    outs['root_depth'] = outs['root_depth'] * 1.05  # Z_reg 5 % too deep, Z_geo exact
    outs['log_sigma_reg'] = torch.full_like(outs['log_sigma_reg'], np.log(0.5))
    outs['log_sigma_geo'] = torch.full_like(outs['log_sigma_geo'], np.log(2.))
    # original image 2x larger, shifted: input = 0.5 * orig - (10, 6), so
    # K_orig = A3^-1 K: fx 600, cx = 2 * (cx_in + 10)
    A = np.array([[0.5, 0, -10.], [0, 0.5, -6.]])
    ds = PoseDataSample(metainfo=dict(img_path='names.jpg', cam_param=dict(K=K),
                                      input_affine=A, input_size=(W, H)))

    def predict(outs):
        return estimator.add_pred_to_datasample(head.predict_from_outputs(outs, [ds]), None,
                                                [ds])[0].pred_instances

    p = predict(outs)
    assert p.keypoints.shape == (3, J, 2) and p.keypoints_3d.shape == (3, J, 3)
    assert p.keypoints_rel_depth.shape == (3, J)
    # 2D: original pixels, by hand: u = 600 X / Z + 2 (cx + 10), v = 600 Y / Z + 2 (cy + 6)
    P = p.keypoints_3d.astype(np.float64)
    fx, cx, cy = 2 * K[0, 0], 2 * (K[0, 2] + 10), 2 * (K[1, 2] + 6)
    uv = np.stack([fx * P[..., 0] / P[..., 2] + cx, fx * P[..., 1] / P[..., 2] + cy], -1)
    np.testing.assert_allclose(p.keypoints, uv, atol=2e-3)
    order, gt_order = np.argsort(p.root_depth_reg), np.argsort(cams[:, ROOT, 2])
    np.testing.assert_allclose(p.keypoints[order], 2 * (kpts[gt_order] + [10., 6.]),
                               atol=8.)  # the decode's ~1 heatmap px (4 input px)
    # depths: regression = the encoded Z_root; sigmas in mm = exp(log sigma) * focal
    f = np.sqrt(K[0, 0] * K[1, 1])
    z_true = cams[gt_order, ROOT, 2].astype(np.float64)
    np.testing.assert_allclose(p.root_depth_reg[order], 1.05 * z_true, rtol=1e-4)
    np.testing.assert_allclose(p.root_depth_geo[order], z_true, rtol=1e-3)
    np.testing.assert_allclose(p.sigma_reg, 0.5 * f, rtol=1e-6)
    np.testing.assert_allclose(p.sigma_geo, 2. * f, rtol=1e-6)
    assert p.geo_valid.all()
    z1, s1, z2, s2 = (np.asarray(p.get(k), np.float64) for k in
                      ('root_depth_reg', 'sigma_reg', 'root_depth_geo', 'sigma_geo'))
    np.testing.assert_allclose(p.root_depth, (z1 / s1 + z2 / s2) / (1 / s1 + 1 / s2),
                               rtol=1e-6)
    # = 0.8 Z_reg + 0.2 Z_geo for these sigmas: 4 % too deep
    np.testing.assert_allclose(p.root_depth[order], 1.04 * z_true, rtol=1e-3)
    np.testing.assert_allclose(p.root_depth, p.keypoints_3d[:, ROOT, 2], rtol=1e-6)
    np.testing.assert_allclose(p.keypoints_rel_depth,
                               p.keypoints_3d[..., 2] - p.root_depth[:, None], atol=0.05)
    # the log sigmas are clipped to the head's log_sigma_range (-7, 7) before the fusion
    outs['log_sigma_geo'] = torch.full_like(outs['log_sigma_geo'], 50.)
    np.testing.assert_allclose(predict(outs).sigma_geo, np.exp(7.) * f, rtol=1e-6)


def test_fusion_reads_the_codec_decode_output(estimator):
    """``MARDepthFusion`` takes ``MARCodec.decode``'s output as it is (its names:
    ``keypoints_rel_depth``, ``root_depth_reg_norm``, ``keypoints_offset``, ...): the same
    people as the head's ``predict_from_outputs``."""
    head = estimator.head
    K = make_K(f=300., w=W, h=H)
    cams, kpts = grid_people(3, K, W, H)
    outs = perfect_outputs(encode(head.decoder, kpts, cams, K))
    decoded = head.decoder.decode(K=K, **{k: v[0] for k, v in outs.items()})
    assert {'keypoints_rel_depth', 'root_depth_reg_norm', 'keypoints_offset'} <= set(decoded)
    direct = head.fusion(decoded, K)
    ds = PoseDataSample(metainfo=dict(img_path='codec.jpg', cam_param=dict(K=K)))
    via_head = head.predict_from_outputs(outs, [ds])[0]
    assert len(direct.scores) == 3 and direct.valid.all()
    for k in via_head.keys():
        np.testing.assert_array_equal(np.asarray(direct.get(k)), np.asarray(via_head.get(k)),
                                      err_msg=k)


def test_fusion_modes_and_degenerate_geometry():
    K = make_K(f=300., w=W, h=H)
    cams, kpts = grid_people(3, K, W, H)
    f = np.sqrt(K[0, 0] * K[1, 1])
    dec = dict(
        keypoints=kpts,
        keypoints_rel_depth=cams[..., 2] - cams[:, ROOT:ROOT + 1, 2],
        root_depth_reg_norm=cams[:, ROOT, 2] / f + np.array([1., -1., 0.]),
        log_sigma_reg=np.log(np.array([1., 2., 4.])),
        log_sigma_geo=np.log(np.array([2., 1., 4.])))
    res = {m: MARDepthFusion(mode=m, omega=500., geo_torso='structured')(dec, K)
           for m in ('fusion', 'reg', 'geo')}
    # the template's torso is 500 mm -> geometry depth ~ exact
    np.testing.assert_allclose(res['geo'].root_depth, cams[:, ROOT, 2],
                               rtol=1e-4)
    np.testing.assert_allclose(res['reg'].root_depth,
                               dec['root_depth_reg_norm'] * f, rtol=1e-5)
    s1, s2 = res['fusion'].sigma_reg, res['fusion'].sigma_geo
    z1, z2 = res['fusion'].root_depth_reg, res['fusion'].root_depth_geo
    np.testing.assert_allclose(res['fusion'].root_depth,
                               (z1 / s1 + z2 / s2) / (1 / s1 + 1 / s2),
                               rtol=1e-5)
    # Eq. 1: P_root = Z K^-1 [u, v, 1]
    P = res['geo'].keypoints_3d
    np.testing.assert_allclose(P[:, ROOT], cams[:, ROOT], rtol=1e-3,
                               atol=1.)
    # degenerate: neck on the root with no depth offset -> no geometry
    # solution (fusion falls back to Z_reg); NaN 2D -> person invalid; output
    # stays finite
    bad = {k: np.array(v, np.float64) for k, v in dec.items()}
    bad['keypoints'][0, NECK] = bad['keypoints'][0, ROOT]
    bad['keypoints_rel_depth'][0, NECK] = 0.
    bad['keypoints'][1, 3] = np.nan
    r = MARDepthFusion(mode='fusion', omega=500., geo_torso='structured')(bad, K)
    assert not r.geo_valid[0] and r.geo_valid[2]
    assert r.root_depth[0] == pytest.approx(r.root_depth_reg[0])
    assert r.root_depth_geo[0] == pytest.approx(r.root_depth_reg[0])
    assert list(r.valid) == [True, False, True]
    assert list(r.invalid_reason) == [
        '', 'non-finite 2D pose or relative depths', '']
    for k in ('keypoints', 'root_depth', 'root_depth_geo', 'sigma_geo'):
        assert np.isfinite(r.get(k)).all()
    with pytest.raises(ValueError):
        MARDepthFusion(mode='bad')


def _three_people(root_depth_offset=(0., 0., 0.)):
    K = make_K(f=300., w=W, h=H)
    cams, kpts = grid_people(3, K, W, H)
    f = np.sqrt(K[0, 0] * K[1, 1])
    dec = dict(
        keypoints=kpts.astype(np.float64),
        keypoints_rel_depth=(cams[..., 2] - cams[:, ROOT:ROOT + 1, 2]).astype(
            np.float64),
        root_depth_reg_norm=cams[:, ROOT, 2] / f + np.asarray(root_depth_offset),
        log_sigma_reg=np.log(np.array([1., 2., 4.])),
        log_sigma_geo=np.log(np.array([2., 1., 4.])))
    return dec, K, cams, f


def _predict_with_fusion(estimator, outs, ds, fusion):
    """``predict_from_outputs`` of one sample with ``fusion`` in place of the head's."""
    saved = estimator.head.fusion
    try:
        estimator.head.fusion = fusion
        return estimator.head.predict_from_outputs(outs, [ds])
    finally:
        estimator.head.fusion = saved


def _neck_on_root(dec, i):
    """A copy of ``dec`` whose person ``i`` has no geometry solution (neck on the root,
    no depth offset)."""
    deg = {k: np.array(v, np.float64) for k, v in dec.items()}
    deg['keypoints'][i, NECK] = deg['keypoints'][i, ROOT]
    deg['keypoints_rel_depth'][i, NECK] = 0.
    return deg


def test_fusion_geo_mode_is_pure_geometry():
    dec, K, cams, f = _three_people()
    ref = MARDepthFusion(mode='geo', omega=500., geo_torso='structured')(dec, K)
    # the template's torso is 500 mm -> Z_geo = the true root depth
    np.testing.assert_allclose(ref.root_depth, cams[:, ROOT, 2], rtol=1e-4)
    # the regression branch does not matter at all: negative, NaN and a
    # Z_reg 10x off (outside the fusion's ratio check) give the same output
    bad = dict(dec, root_depth_reg_norm=np.array(
        [-1.0, np.nan, 10 * dec['root_depth_reg_norm'][2]]),
               log_sigma_reg=np.array([0., np.inf, 3.]))
    r = MARDepthFusion(mode='geo', omega=500., geo_torso='structured')(bad, K)
    np.testing.assert_allclose(r.root_depth, ref.root_depth, rtol=1e-6)
    np.testing.assert_allclose(r.keypoints_3d, ref.keypoints_3d, rtol=1e-6)
    assert list(r.valid) == [True, True, True] and r.geo_valid.all()
    assert list(r.invalid_reason) == ['', '', '']
    # no geometry solution (neck on the root, no depth offset) -> dropped in
    # 'geo' mode, even with a perfect Z_reg
    deg = _neck_on_root(dec, 1)
    r = MARDepthFusion(mode='geo', omega=500., geo_torso='structured')(deg, K)
    assert list(r.valid) == [True, False, True]
    assert list(r.invalid_reason) == ['', 'no geometry solution', '']


def test_fusion_drops_only_without_a_valid_depth_for_the_mode():
    dec, K, cams, f = _three_people()
    z_true = cams[:, ROOT, 2]
    neg = dict(dec, root_depth_reg_norm=np.array([-0.5, np.nan, dec['root_depth_reg_norm'][2]]))
    # 'fusion': Z_geo is still valid for both -> kept on Z_geo alone
    r = MARDepthFusion(mode='fusion', omega=500., geo_torso='structured')(neg, K)
    np.testing.assert_allclose(r.root_depth[:2], z_true[:2], rtol=1e-4)
    assert list(r.valid) == [True, True, True]
    assert list(r.geo_valid) == [True, True, True]
    s1, s2 = r.sigma_reg[2], r.sigma_geo[2]
    assert r.root_depth[2] == pytest.approx(
        (r.root_depth_reg[2] / s1 + r.root_depth_geo[2] / s2) / (1 / s1 + 1 / s2), rel=1e-5)
    # 'reg': Z_reg <= 0 / NaN have no depth -> invalid, with the real reason
    r = MARDepthFusion(mode='reg', omega=500., geo_torso='structured')(neg, K)
    assert list(r.valid) == [False, False, True]
    assert list(r.invalid_reason) == ['Z_reg <= 0', 'non-finite Z_reg', '']
    # 'fusion' with neither depth -> invalid, both reasons named
    deg = _neck_on_root(neg, 0)
    r = MARDepthFusion(mode='fusion', omega=500., geo_torso='structured')(deg, K)
    assert list(r.valid) == [False, True, True]
    assert r.invalid_reason[0] == 'Z_reg <= 0 and no geometry solution'
    for k in ('keypoints', 'root_depth', 'root_depth_reg', 'root_depth_geo', 'sigma_geo'):
        assert np.isfinite(r.get(k)).all(), k


def test_estimator_warning_names_the_real_reason(estimator, monkeypatch):
    import mmmar.models.pose_estimators.mar as mar_mod
    logged = []
    monkeypatch.setattr(mar_mod, 'print_log',
                        lambda msg, **kw: logged.append(msg))
    dec, K, cams, f = _three_people()
    neg = dict(dec, root_depth_reg_norm=np.array([-0.5, -0.2, dec['root_depth_reg_norm'][2]]))
    pred = MARDepthFusion(mode='reg', omega=500., geo_torso='structured')(neg, K)
    ds = PoseDataSample(metainfo=dict(img_path='neg.jpg', cam_param=dict(K=K)))
    p = estimator.add_pred_to_datasample([pred], None, [ds])[0].pred_instances
    assert p.keypoints_3d.shape == (1, J, 3)
    np.testing.assert_allclose(p.root_depth_reg, cams[2:, ROOT, 2], rtol=1e-5)
    assert len(logged) == 1
    assert 'dropped 2 of 3 people in neg.jpg: 2 with Z_reg <= 0' in logged[0]
    assert 'non-finite' not in logged[0]


def test_estimator_drops_non_finite_people(estimator):
    K = make_K(f=300., w=W, h=H)
    cams, kpts = grid_people(2, K, W, H)
    enc = encode(estimator.head.decoder, kpts, cams, K)
    outs = perfect_outputs(enc)
    # NaN regression depth everywhere: 'reg' has no valid depth -> every
    # person dropped, N = 0; 'fusion' still has Z_geo -> both kept, on it
    outs['root_depth'] = torch.full_like(outs['root_depth'], float('nan'))
    ds = PoseDataSample(metainfo=dict(img_path='nan.jpg',
                                      cam_param=dict(K=K)))
    preds = _predict_with_fusion(
        estimator, outs, ds, MARDepthFusion(mode='reg', omega=500., geo_torso='structured'))
    p = estimator.add_pred_to_datasample(preds, None, [ds])[0].pred_instances
    assert p.keypoints_3d.shape == (0, J, 3)
    assert p.keypoints.shape == (0, J, 2)
    assert p.scores.shape == (0, )
    preds = estimator.head.predict_from_outputs(outs, [ds])
    p = estimator.add_pred_to_datasample(preds, None, [ds])[0].pred_instances
    assert p.keypoints_3d.shape == (2, J, 3) and p.geo_valid.all()
    np.testing.assert_allclose(np.sort(p.root_depth), np.sort(cams[:, ROOT, 2]),
                               rtol=0.15)


def test_predict_end_to_end_with_flip(estimator):
    K = make_K(f=300., w=W, h=H)
    g = torch.Generator().manual_seed(0)
    inputs = torch.randint(0, 255, (1, 3, H, W), generator=g).float()
    ds = PoseDataSample(metainfo=dict(img_path='rand.jpg',
                                      cam_param=dict(K=K), input_size=(W, H)))
    estimator.test_cfg = dict(flip_test=True)
    try:
        with torch.no_grad():
            out = estimator.predict(inputs, [ds])[0]
    finally:
        estimator.test_cfg = dict(flip_test=False)
    p = out.pred_instances
    n = len(p.scores)
    assert p.keypoints_3d.shape == (n, J, 3)
    assert np.isfinite(p.keypoints).all() and np.isfinite(p.keypoints_3d).all()


def test_estimator_drops_only_the_non_finite_person(estimator):
    K = make_K(f=300., w=W, h=H)
    cams, kpts = grid_people(2, K, W, H)
    enc = encode(estimator.head.decoder, kpts, cams, K)
    outs = perfect_outputs(enc)
    x, y = np.rint(kpts[0, ROOT] / 4).astype(int)
    outs['root_depth'][0, 0, y - 3:y + 4, x - 3:x + 4] = float('inf')
    ds = PoseDataSample(metainfo=dict(img_path='inf.jpg',
                                      cam_param=dict(K=K)))
    # 'reg': the person with Z_reg = inf has no depth -> only the other one
    preds = _predict_with_fusion(
        estimator, outs, ds, MARDepthFusion(mode='reg', omega=500., geo_torso='structured'))
    p = estimator.add_pred_to_datasample(preds, None, [ds])[0].pred_instances
    assert p.keypoints_3d.shape == (1, J, 3)
    np.testing.assert_allclose(p.root_depth_reg, cams[1:, ROOT, 2], rtol=1e-4)
    # 'fusion': that person keeps its geometry depth (the only valid one)
    preds = estimator.head.predict_from_outputs(outs, [ds])
    p = estimator.add_pred_to_datasample(preds, None, [ds])[0].pred_instances
    assert p.keypoints_3d.shape == (2, J, 3) and p.geo_valid.all()
    np.testing.assert_allclose(np.sort(p.root_depth), np.sort(cams[:, ROOT, 2]), rtol=0.15)


def test_paper_config_builds():
    import os.path as osp

    from mmengine.config import Config
    cfg = Config.fromfile(
        osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_',
                 'models', 'mar_hrnet-w32.py'))
    assert cfg.model.head.decoder.type == 'MARCodec'
    cfg.model.backbone.init_cfg = None
    init_default_scope('mmpose')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    n = sum(p.numel() for p in model.parameters()) / 1e6
    assert 31.0 < n < 32.5, n  # paper: 32.04 M


def _one_torso(f=500.):
    """One person whose torso (root (100, 200, 5000), neck (120, -250, 5100) mm) makes
    Z_geo = 5000 mm exactly with Omega = its length; Z_reg = 6000 mm. Returns the decoded
    dict (root + neck only), K and Omega."""
    K = np.array([[f, 0, 320.], [0, f, 240.], [0, 0, 1.]])
    root = np.array([100., 200., 5000.])
    neck = np.array([120., -250., 5100.])
    uv = np.stack([p[:2] / p[2] * f + [320., 240.] for p in (root, neck)])
    kpts = np.zeros((1, 17, 2))
    kpts[0, :] = uv[0]
    kpts[0, NECK] = uv[1]
    zrel = np.zeros((1, 17))
    zrel[0, NECK] = 100.
    dec = dict(keypoints=kpts, keypoints_rel_depth=zrel,
               root_depth_reg_norm=np.array([6000. / f]),
               log_sigma_reg=np.array([np.log(0.1)]), log_sigma_geo=np.array([np.log(0.3)]))
    return dec, K, float(np.linalg.norm(neck - root))


def test_fusion_mean_mode_is_the_fixed_average():
    """``mode='mean'`` (the fixed-average ablation): Z = (Z_reg + Z_geo) / 2 whatever the
    sigmas; ``'fusion'`` with sigma_geo = 3 sigma_reg weighs Z_reg 3:1 (Eq. 12)."""
    dec, K, omega = _one_torso()
    mean = MARDepthFusion(mode='mean', omega=omega, geo_torso='structured')(dec, K)
    assert mean.root_depth_geo[0] == pytest.approx(5000., rel=1e-5)
    assert mean.root_depth[0] == pytest.approx(5500., rel=1e-5)
    fused = MARDepthFusion(mode='fusion', omega=omega, geo_torso='structured')(dec, K)
    assert fused.root_depth[0] == pytest.approx((3 * 6000. + 5000.) / 4, rel=1e-5)
    with pytest.raises(ValueError, match='mean'):
        MARDepthFusion(mode='median')


def test_fusion_geo_torso_offsets_uses_the_offset_torso():
    """``geo_torso='offsets'``: Eq. 7-8 reads the root + offset torso (``keypoints_offset``,
    the torso L_geo trains sigma2 on), not the structured pose's: a structured neck 30 px
    off changes ``'structured'``'s Z_geo but not ``'offsets'``'s, which stays exact."""
    dec, K, omega = _one_torso()
    off = dec['keypoints']
    structured = off.copy()
    structured[0, NECK, 1] += 30.
    dec = dict(dec, keypoints=structured, keypoints_offset=off)
    by_off = MARDepthFusion(mode='geo', omega=omega, geo_torso='offsets')(dec, K)
    by_str = MARDepthFusion(mode='geo', omega=omega, geo_torso='structured')(dec, K)
    assert by_off.root_depth[0] == pytest.approx(5000., rel=1e-5)
    assert abs(by_str.root_depth[0] - 5000.) > 100.
    # the 2D output is the structured pose in both cases (Eq. 3)
    np.testing.assert_allclose(by_off.keypoints, structured, atol=1e-4)
    with pytest.raises(KeyError, match='keypoints_offset'):
        MARDepthFusion(geo_torso='offsets')(
            {k: v for k, v in dec.items() if k != 'keypoints_offset'}, K)
    with pytest.raises(ValueError, match='geo_torso'):
        MARDepthFusion(geo_torso='heatmap')
