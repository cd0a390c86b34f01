"""MARHead losses: each term against a value computed by hand on a tiny case, and the
loss modules' config plumbing. The network outputs are set by hand (``head.forward``
replaced), everything else is the real ``MARHead.loss``."""
import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmpose.registry import MODELS
from mmpose.structures import PoseDataSample

import mmmar.models  # noqa: F401
from mmmar.models.utils.ops import stack_targets
from mmmar.structures.skeleton import NECK, ROOT

torch.set_num_threads(1)
J, L = 17, 16
H, W = 2, 3  # heatmap size of the tiny cases
# input 12 x 8 px -> stride 4 in x and y; offsets / depths normalised by 16 px / 1000 mm
TINY_CODEC = dict(type='MARCodec', input_size=(12, 8), heatmap_size=(W, H),
                  offset_norm=16., depth_norm=1000.)


def build_head(**kw):
    cfg = dict(type='MARHead', in_channels=(8, 16, 32, 64), branch_channels=16,
               init_cfg=None, decoder=TINY_CODEC)
    cfg.update(kw)
    return MODELS.build(cfg)


def zero_targets(B=1):
    z = lambda c: np.zeros((B, c, H, W), np.float32)  # noqa: E731
    return dict(heatmaps=z(J), heatmap_weights=z(J) + 1, pafs=z(2 * L),
                paf_weights=z(2 * L) + 1, offsets=z(3 * J), offset_weights=z(3 * J),
                root_depth=z(1), root_depth_weights=z(1))


def zero_outputs(B=1, scales=4):
    z = lambda c: torch.zeros(B, c, H, W)  # noqa: E731
    return dict(heatmaps=z(J), pafs=z(2 * L), offsets=z(3 * J), root_depth=z(1),
                log_sigma_reg=z(1), log_sigma_geo=z(1),
                aux=[(z(J), z(2 * L)) for _ in range(scales)])


def run_loss(head, outputs, targets, K=None):
    """``head.loss`` with the network outputs replaced by ``outputs``."""
    K = np.array([[100., 0, 5.5], [0, 100., 3.5], [0, 0, 1]]) if K is None else K
    B = len(targets['heatmaps'])
    samples = [
        PoseDataSample(metainfo=dict(img_path=f'tiny_{b}.jpg', cam_param=dict(K=K)),
                       gt_fields=PixelData(**{k: v[b] for k, v in targets.items()}))
        for b in range(B)
    ]
    head.forward = lambda feats: outputs
    return {k: v.item() for k, v in head.loss(None, samples).items()}


def test_heatmap_loss_by_hand():
    head = build_head(heatmap_loss=dict(type='MARMapLoss', loss_weight=2.))
    gt = zero_targets()
    gt['heatmaps'][0, 3, 1, 2] = 1.  # r_elbow at pixel (x=2, y=1)
    gt['heatmap_weights'][0, 0] = 0.  # head_top unknown here
    out = zero_outputs()
    (h0, _), (h1, _), (h2, _), (h3, _) = out['aux']
    h0[0, 3, 1, 2] = 0.5
    h0[0, 0, 0, 0] = 3.  # weight 0: not counted
    h2[0, 3, 1, 2] = 1.  # exact
    h3[0, 5, 0, 1] = 0.2  # a false positive, and the elbow missed
    # per scale: sum of weighted squared errors / (B * K); mean over the 4 scales; x 2
    per_scale = [(0.5 - 1)**2, (0 - 1)**2, 0., 0.2**2 + (0 - 1)**2]
    expected = 2. * sum(per_scale) / (1 * 17) / 4
    assert run_loss(head, out, gt)['loss_heatmap'] == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize('loss_type', ['mse', 'l1'])
def test_paf_loss_by_hand(loss_type):
    head = build_head(paf_loss=dict(type='MARMapLoss', loss_type=loss_type, loss_weight=0.5))
    gt = zero_targets(B=2)
    gt['pafs'][0, 0:2, 0, 1] = [0.6, 0.8]  # limb 0's unit vector at (x=1, y=0)
    gt['paf_weights'][0, 2:4] = 0.  # limb 1 unknown in image 0
    out = zero_outputs(B=2)
    for _, p in out['aux']:
        p[0, 0:2, 0, 1] = torch.tensor([0.6, 0.8])
    p0 = out['aux'][0][1]
    p0[0, 0, 0, 1] = 0.  # x missed by 0.6 at scale 0
    p0[0, 2, 1, 1] = 5.  # weight 0
    p0[1, 31, 1, 2] = -0.5  # image 1, limb 15's y
    err = (lambda d: d * d) if loss_type == 'mse' else abs
    # scale 0: (err(0.6) + err(0.5)) / (B * 2L); the other scales are exact
    expected = 0.5 * (err(0.6) + err(0.5)) / (2 * 32) / 4
    assert run_loss(head, out, gt)['loss_paf'] == pytest.approx(expected, rel=1e-6)


def test_offset_loss_by_hand():
    head = build_head(offset_loss=dict(  # smooth L1, beta = 0.1
        type='WeightedRegressionLoss', loss_type='smooth_l1', beta=0.1, loss_weight=3.))
    gt = zero_targets()
    gt['offsets'][0, 3, 1, 1] = 0.25  # du of r_elbow at (1, 1)
    gt['offset_weights'][0, 3, 1, 1] = 1.
    gt['offset_weights'][0, 2 * J + 5, 0, 2] = 1.  # dZ of l_shoulder at (2, 0)
    out = zero_outputs()
    out['offsets'][0, 3, 1, 1] = 0.3  # |d| = 0.05 < beta: 0.5 d^2 / beta
    out['offsets'][0, 2 * J + 5, 0, 2] = -0.3  # |d| = 0.3 >= beta: |d| - beta / 2
    out['offsets'][0, 7, 0, 0] = 9.  # weight 0
    expected = 3. * (0.5 * 0.05**2 / 0.1 + (0.3 - 0.05)) / 2  # mean over the 2 weights
    assert run_loss(head, out, gt)['loss_offset'] == pytest.approx(expected, rel=1e-5)


def test_offset_loss_channel_weights_drop_dz_by_hand():
    """The 2D-only control's offset loss: ``[1] * 2J + [0] * J`` keeps du / dv, drops dZ
    (from the weights and from the mean's denominator)."""
    head = build_head(offset_loss=dict(
        type='WeightedRegressionLoss', loss_type='l1', loss_weight=2.,
        channel_weights=[1.] * (2 * J) + [0.] * J))
    gt = zero_targets()
    gt['offset_weights'][0, 3, 1, 1] = 1.  # du of r_elbow
    gt['offset_weights'][0, J + 4, 0, 1] = 1.  # dv of joint 4
    gt['offset_weights'][0, 2 * J + 5, 0, 2] = 1.  # dZ: dropped
    out = zero_outputs()
    out['offsets'][0, 3, 1, 1] = 0.3
    out['offsets'][0, J + 4, 0, 1] = -0.1
    out['offsets'][0, 2 * J + 5, 0, 2] = 7.
    expected = 2. * (0.3 + 0.1) / 2  # the dZ pixel is neither in the sum nor in the count
    assert run_loss(head, out, gt)['loss_offset'] == pytest.approx(expected, rel=1e-5)


def test_offset_loss_channel_weights_of_the_wrong_length_raise():
    from mmmar.models.losses import WeightedRegressionLoss
    loss = WeightedRegressionLoss(channel_weights=[1., 0.])
    with pytest.raises(ValueError, match='channel_weights has 2 values.*3 channels'):
        loss(torch.zeros(1, 3, 2, 2), torch.zeros(1, 3, 2, 2), torch.ones(1, 3, 2, 2))


def test_reg_loss_by_hand():
    head = build_head(reg_loss=dict(type='LaplaceDepthLoss', loss_weight=0.5))  # Eq. 11's w
    gt = zero_targets()
    out = zero_outputs()
    # (y, x): target Z / f, predicted Z / f, predicted log sigma1
    cases = {(0, 1): (40., 42., 0.5), (1, 2): (50., 49., -1.), (1, 0): (30., 30.5, 9.)}
    for (y, x), (t, z, ls) in cases.items():
        gt['root_depth'][0, 0, y, x] = t
        gt['root_depth_weights'][0, 0, y, x] = 1.
        out['root_depth'][0, 0, y, x] = z
        out['log_sigma_reg'][0, 0, y, x] = ls
    out['root_depth'][0, 0, 0, 0] = 99.  # weight 0
    # Eq. 6: |Z - Z_gt| / sigma1 + log sigma1, log sigma1 clamped to [-7, 7]
    nll = [2 * np.exp(-0.5) + 0.5, 1 * np.exp(1.) - 1., 0.5 * np.exp(-7.) + 7.]
    expected = 0.5 * sum(nll) / 3
    assert run_loss(head, out, gt)['loss_reg'] == pytest.approx(expected, rel=1e-5)


def test_geo_loss_by_hand():
    """Eq. 7-9 at one pixel: a torso built in 3D, of length Omega = 500 mm, root at
    Z = 5000 mm on the principal point, neck at (0, -400, 5300) mm."""
    head = build_head(geo_loss=dict(type='LaplaceDepthLoss', loss_weight=1.5), omega=500.)
    f, cx, cy = 100., 5., 4.
    K = np.array([[f, 0, cx], [0, f, cy], [0, 0, 1.]])
    gt = zero_targets()
    out = zero_outputs()
    # pixel (x=1, y=1) = input px (4, 4); its root offset du = 1 px -> root at (5, 4)
    y, x, s = 1, 1, 4.
    v_neck = cy + f * (-400.) / 5300.  # projection of the neck (u_neck = cx)
    out['offsets'][0, ROOT, y, x] = (cx - x * s) / s / 16.
    out['offsets'][0, J + NECK, y, x] = (v_neck - y * s) / s / 16.
    out['offsets'][0, NECK, y, x] = (cx - x * s) / s / 16.
    out['offsets'][0, 2 * J + NECK, y, x] = 300. / 1000.
    gt['root_depth'][0, 0, y, x] = 5200. / f  # Z_gt / f
    gt['root_depth_weights'][0, 0, y, x] = 1.
    out['log_sigma_geo'][0, 0, y, x] = 0.3
    # a second pixel whose neck offset is zero (degenerate torso): Z_geo is clamped to
    # 3 * Z_gt (geo_clamp_ratio)
    gt['root_depth'][0, 0, 0, 2] = 40.
    gt['root_depth_weights'][0, 0, 0, 2] = 1.
    # Laplace NLL (Eq. 9) of Z_geo / f = 50 against 52, and of 3 * 40 against 40
    expected = 1.5 * ((abs(5000. / f - 52.) * np.exp(-0.3) + 0.3) + (2 * 40. + 0.)) / 2
    assert run_loss(head, out, gt, K)['loss_geo'] == pytest.approx(expected, rel=1e-4)


def test_loss_modules_from_config_dicts():
    head = build_head(heatmap_loss=dict(type='MARMapLoss', loss_type='l1', loss_weight=2.),
                      offset_loss=dict(type='WeightedRegressionLoss', loss_type='l1',
                                       loss_weight=4.))
    assert head.heatmap_loss.loss_type == 'l1' and head.heatmap_loss.loss_weight == 2.
    assert head.offset_loss.loss_weight == 4.
    gt = zero_targets()
    gt['offset_weights'][0, 0, 0, 0] = 1.
    out = zero_outputs()
    out['aux'][0][0][0, 1, 0, 0] = -0.5
    out['offsets'][0, 0, 0, 0] = 0.3
    losses = run_loss(head, out, gt)
    assert losses['loss_heatmap'] == pytest.approx(2. * 0.5 / 17 / 4)
    assert losses['loss_offset'] == pytest.approx(4. * 0.3)
    with pytest.raises(ValueError, match='loss_type'):
        build_head(paf_loss=dict(type='MARMapLoss', loss_type='huber'))


def _perfect_outputs(sample, noise_seed=0):
    """Network outputs = the sample's targets plus a little noise (seeded), 4 scales."""
    g = torch.Generator().manual_seed(noise_seed)
    gt = stack_targets([sample], ('heatmaps', 'pafs', 'offsets', 'root_depth'))

    def t(key):
        return gt[key] + 0.01 * torch.randn(gt[key].shape, generator=g)

    aux = [(t('heatmaps'), t('pafs')) for _ in range(4)]
    z = torch.zeros_like(t('root_depth'))
    return dict(heatmaps=aux[0][0], pafs=aux[0][1], offsets=t('offsets'), root_depth=z,
                log_sigma_reg=z, log_sigma_geo=z, aux=aux)


def _with_head_top_peak(outputs, bbox):
    """Add a head_top peak (Gaussian, sigma 2 px) and a head->head_top PAF at the top of
    the person's box (heatmap px) to every scale."""
    from mmmar.structures.skeleton import LIMBS
    x0, y0, x1, y1 = bbox
    cx, cy = (x0 + x1) / 2, y0 + 0.08 * (y1 - y0)
    h, w = outputs['heatmaps'].shape[-2:]
    Y, X = torch.meshgrid(torch.arange(h), torch.arange(w), indexing='ij')
    peak = torch.exp(-((X - cx)**2 + (Y - cy)**2) / (2 * 2.**2))
    li = LIMBS.index((16, 0))
    out = dict(outputs)
    out['aux'] = []
    for hm, paf in outputs['aux']:
        hm, paf = hm.clone(), paf.clone()
        hm[0, 0] += peak
        paf[0, 2 * li + 1] -= (peak > 0.3).float()  # pointing up
        out['aux'].append((hm, paf))
    return out


def test_head_top_peak_on_a_coco_person_leaves_the_loss_unchanged(tmp_path):
    """COCO has no head_top: a network that predicts one on a COCO person must not be
    penalised (issue 10, item 1); on a MuCo person (head_top known) the same peak at a
    wrong place is."""
    from mmpose.datasets.transforms import PackPoseInputs

    from mmmar.testing import REAL_IMAGE_CODEC, coco_results, muco_results
    head = build_head(decoder=REAL_IMAGE_CODEC)
    for res, known in ((coco_results(tmp_path, 785), False), (muco_results(tmp_path), True)):
        ds = PackPoseInputs(meta_keys=('img_path', 'cam_param'))(res)['data_samples']
        outputs = _perfect_outputs(ds)
        peaked = _with_head_top_peak(outputs, res['bbox'][0] / 4.)
        head.forward = lambda feats: outputs
        base = head.loss(None, [ds])
        head.forward = lambda feats: peaked
        new = head.loss(None, [ds])
        assert base['loss_heatmap'] > 0 and base['loss_paf'] > 0
        for k in ('loss_heatmap', 'loss_paf'):
            if known:
                assert new[k] > 1.05 * base[k], k
            else:
                assert new[k] == base[k], k


def _geo_case(head):
    """The one-pixel torso of ``test_geo_loss_by_hand`` with offsets that require grad."""
    f, cx, cy = 100., 5., 4.
    K = np.array([[f, 0, cx], [0, f, cy], [0, 0, 1.]])
    gt, out = zero_targets(), zero_outputs()
    y, x, s = 1, 1, 4.
    v_neck = cy + f * (-400.) / 5300.
    out['offsets'][0, ROOT, y, x] = (cx - x * s) / s / 16.
    out['offsets'][0, J + NECK, y, x] = (v_neck - y * s) / s / 16.
    out['offsets'][0, NECK, y, x] = (cx - x * s) / s / 16.
    out['offsets'][0, 2 * J + NECK, y, x] = 300. / 1000.
    gt['root_depth'][0, 0, y, x] = 5200. / f
    gt['root_depth_weights'][0, 0, y, x] = 1.
    out['offsets'].requires_grad_(True)
    out['log_sigma_geo'].requires_grad_(True)
    return out, gt, K


@pytest.mark.parametrize('geo_backward', [True, False])
def test_geo_backward_switch(geo_backward):
    """Eq. 10 (the geometry-based backward pass): with ``geo_backward`` L_geo's gradient
    reaches the neck offsets (Z_geo = 5000 < Z_gt = 5200: a shorter torso vector, i.e. a
    neck offset pulled towards the root, increases Z_geo); without it no gradient reaches
    the offsets, and the loss value is the same."""
    head = build_head(omega=500., geo_backward=geo_backward)
    out, gt, K = _geo_case(head)
    samples = [PoseDataSample(metainfo=dict(img_path='tiny.jpg', cam_param=dict(K=K)),
                              gt_fields=PixelData(**{k: v[0] for k, v in gt.items()}))]
    head.forward = lambda feats: out
    loss = head.loss(None, samples)['loss_geo']
    loss.backward()
    g = out['offsets'].grad
    ref = build_head(omega=500.)
    out2, gt2, K2 = _geo_case(ref)
    assert float(loss) == pytest.approx(float(run_loss(ref, out2, gt2, K2)['loss_geo']))
    if geo_backward:
        g_neck_v = float(g[0, J + NECK, 1, 1])
        # the neck is above the root (v offset < 0): moving it down (+v) shortens the torso
        # and raises Z_geo towards Z_gt, so the loss falls: d loss / d dv_neck < 0
        assert g_neck_v < 0
    else:
        assert g is None or float(g.abs().sum()) == 0.
        assert float(out['log_sigma_geo'].grad.abs().sum()) > 0  # sigma2 still learns


def test_packed_targets_are_small_and_give_the_loss_of_the_dense_ones():
    """At the paper's 832x512 with 20 people the packed targets of a sample (what a data
    loader worker passes on) stay under 8 MB (21.8 MB as dense float32 maps), and the head's
    losses on them equal those on the codec's dense float32 maps, exactly."""
    from mmengine.structures import PixelData

    from mmmar.testing import REAL_IMAGE_CODEC, make_K, make_people, packed_sample
    head = build_head(decoder=REAL_IMAGE_CODEC)
    codec = head.decoder
    W, H = codec.input_size
    K = make_K(f=700., w=W, h=H)
    cams, kpts = make_people(20, K, W, H, seed=4)
    n = len(kpts)
    enc = codec.encode(keypoints=kpts, keypoints_visible=np.ones((n, J), np.float32),
                       keypoints_cam=cams, keypoints_valid=np.ones((n, J), np.float32),
                       has_depth=np.ones(n, np.float32), cam_param=dict(K=K))
    meta = dict(img_path='crowd.jpg', cam_param=dict(K=K))
    packed = packed_sample(enc, codec, meta)
    parts = (packed.gt_fields, packed.gt_instance_labels)
    nbytes = sum(v.numel() * v.element_size() for part in parts for v in part.values())
    assert len(packed.gt_instance_labels) > 20 * 9  # the root discs of 20 people
    assert nbytes < 8e6, nbytes
    dense_keys = ('heatmaps', 'heatmap_weights', 'pafs', 'paf_weights', 'offsets',
                  'offset_weights', 'root_depth', 'root_depth_weights')
    dense = PoseDataSample(metainfo=meta, gt_fields=PixelData(
        **{k: torch.from_numpy(enc[k].astype(np.float32)) for k in dense_keys}))
    assert sum(v.numel() * 4 for v in dense.gt_fields.values()) > 20e6
    g = torch.Generator().manual_seed(0)
    h, w = enc['heatmaps'].shape[-2:]

    def rand(c):
        return torch.rand(1, c, h, w, generator=g)

    out = dict(offsets=rand(3 * J) - 0.5, root_depth=rand(1) * 10, log_sigma_reg=rand(1),
               log_sigma_geo=rand(1), aux=[(rand(J), rand(2 * L) - 0.5) for _ in range(4)])
    out['heatmaps'], out['pafs'] = out['aux'][0]
    head.forward = lambda feats: out
    got, want = head.loss(None, [packed]), head.loss(None, [dense])
    assert set(got) == set(want)
    for k in want:
        assert float(got[k]) == float(want[k]) and float(want[k]) > 0, k
