"""MARHead: forward shapes, losses, geometry-loss gradients, flip helpers."""
import copy

import numpy as np
import pytest
import torch
from mmpose.structures import PoseDataSample

import mmmar.models  # noqa: F401
from mmmar.models.utils import flip_back_outputs, paf_flip_permutation, upsample_aligned
from mmmar.structures.skeleton import FLIP_INDICES, LIMBS, NECK, ROOT
from mmmar.testing import build_tiny_head as build_head
from mmmar.testing import head_data_samples as data_samples
from mmmar.testing import make_K, make_people
from mmmar.testing import random_feats as feats

torch.set_num_threads(1)
J = 17


def test_forward_shapes():
    head = build_head()
    out = head.forward(feats())
    assert out['heatmaps'].shape == (2, 17, 16, 24)
    assert out['pafs'].shape == (2, 32, 16, 24)
    assert out['offsets'].shape == (2, 51, 16, 24)
    for k in ('root_depth', 'log_sigma_reg', 'log_sigma_geo'):
        assert out[k].shape == (2, 1, 16, 24)
    assert 'torso_length' not in out
    assert len(out['aux']) == 4
    for hm, paf in out['aux']:
        assert hm.shape == (2, 17, 16, 24) and paf.shape == (2, 32, 16, 24)
    out = build_head(multiscale_supervision=False,
                     test_scale_fusion='finest').forward(feats())
    assert len(out['aux']) == 1
    assert torch.equal(out['heatmaps'], out['aux'][0][0])


def test_upsample_aligned_corner_convention():
    # a linear ramp in x at stride 8 is the same ramp at stride 4
    x = torch.arange(6.).view(1, 1, 1, 6).expand(1, 1, 3, 6).contiguous()
    up = upsample_aligned(x, 2, (6, 12))
    assert torch.allclose(up[0, 0, 0, :11], torch.arange(11.) / 2)
    assert torch.allclose(up[0, 0, :, -1], torch.full((6, ), 5.))


def test_loss_terms_finite():
    head = build_head()
    losses = head.loss(feats(), data_samples())
    assert set(losses) == {
        'loss_heatmap', 'loss_paf', 'loss_offset', 'loss_geo', 'loss_reg'
    }
    for k, v in losses.items():
        assert v.ndim == 0 and torch.isfinite(v), k
    # no depth (COCO-like batch): depth terms are zero but still in the graph
    losses = build_head().loss(feats(), data_samples(with_depth=False))
    assert losses['loss_geo'].item() == 0 and losses['loss_reg'].item() == 0
    sum(losses.values()).backward()


def test_geo_loss_gradient_reaches_offset_neck_channels():
    head = build_head()
    losses = head.loss(feats(), data_samples())
    losses['loss_geo'].backward()
    g = head.offset_layers[-1].weight.grad  # (51, mid, 1, 1)
    neck_rows = [NECK, J + NECK, 2 * J + NECK]
    assert g[neck_rows].abs().sum() > 0
    root_rows = [ROOT, J + ROOT]  # geo_root='offset'
    other = [i for i in range(3 * J) if i not in neck_rows + root_rows]
    assert g[other].abs().sum() == 0  # only the torso enters Eq. 7-8
    assert head.heatmap_layers[0][-1].weight.grad is None or \
        head.heatmap_layers[0][-1].weight.grad.abs().sum() == 0


def test_geo_loss_matches_finite_difference():
    """d L_geo / d (du, dv, dZ of the neck) at one pixel vs central FD."""
    head = build_head().double()
    h, w = 6, 7
    ds = data_samples(B=1, h=h, w=w)
    gt = head._stack_targets(ds)
    gt = {k: v.double() for k, v in gt.items()}
    gt['root_depth_weights'].zero_()
    gt['root_depth_weights'][0, 0, 3, 4] = 1.
    gt['root_depth'][:] = 20.
    Ks = head._batch_intrinsics(ds, torch.zeros(1, dtype=torch.float64))
    g = torch.Generator().manual_seed(1)
    offsets = torch.randn(1, 3 * J, h, w, generator=g, dtype=torch.float64)
    offsets[0, J + NECK] = -3.
    offsets[0, 2 * J + NECK] = 0.5
    offsets.requires_grad_(True)
    base = dict(
        root_depth=torch.full((1, 1, h, w), 21., dtype=torch.float64),
        log_sigma_reg=torch.zeros(1, 1, h, w, dtype=torch.float64),
        log_sigma_geo=torch.full((1, 1, h, w), -0.5, dtype=torch.float64))

    def loss_of(off):
        return head._depth_losses(dict(base, offsets=off), gt, Ks,
                                  None)['loss_geo']

    loss_of(offsets).backward()
    for ch in (NECK, J + NECK, 2 * J + NECK, ROOT, J + ROOT):
        eps = 1e-6
        p, m = offsets.detach().clone(), offsets.detach().clone()
        p[0, ch, 3, 4] += eps
        m[0, ch, 3, 4] -= eps
        fd = (loss_of(p) - loss_of(m)).item() / (2 * eps)
        an = offsets.grad[0, ch, 3, 4].item()
        assert an != 0
        assert abs(fd - an) <= 1e-5 * max(1., abs(fd)), (ch, fd, an)


def test_missing_or_bad_intrinsics_raise():
    head = build_head()
    ds = data_samples()
    ds[1].set_metainfo(dict(cam_param=dict(f=(1., 1.))))
    with pytest.raises(ValueError, match=r"img_1\.jpg.*cam_param\['K'\]"):
        head.loss(feats(), ds)
    ds = data_samples()
    ds[0].set_metainfo(dict(cam_param=dict(K=np.zeros((2, 2)))))
    with pytest.raises(ValueError, match=r"img_0\.jpg.*cam_param\['K'\]"):
        head.loss(feats(), ds)
    ds = data_samples()
    ds[0] = PoseDataSample(metainfo=dict(img_path='x.png'),
                           gt_fields=ds[0].gt_fields)
    with pytest.raises(ValueError, match=r"x\.png.*cam_param"):
        head.loss(feats(), ds)


def test_paf_flip_permutation_is_involution():
    perm, rev = paf_flip_permutation()
    assert sorted(perm) == list(range(len(LIMBS)))
    assert [perm[p] for p in perm] == list(range(len(LIMBS)))
    for i, (a, b) in enumerate(LIMBS):
        fa, fb = FLIP_INDICES[a], FLIP_INDICES[b]
        assert LIMBS[perm[i]] in ((fa, fb), (fb, fa))


def _rand_outputs(B=1, h=8, w=10, seed=0):
    g = torch.Generator().manual_seed(seed)
    return dict(
        heatmaps=torch.rand(B, J, h, w, generator=g),
        pafs=torch.randn(B, 32, h, w, generator=g),
        offsets=torch.randn(B, 51, h, w, generator=g),
        root_depth=torch.rand(B, 1, h, w, generator=g),
        log_sigma_reg=torch.randn(B, 1, h, w, generator=g),
        log_sigma_geo=torch.randn(B, 1, h, w, generator=g))


def test_flip_back_twice_is_identity():
    out = _rand_outputs()
    twice = flip_back_outputs(flip_back_outputs(out, shift=False),
                              shift=False)
    for k in out:
        assert torch.equal(twice[k], out[k]), k


def test_flip_back_semantics():
    """The flipped network output of a mirrored scene maps back to the
    original output: joints swapped, du and PAF-x negated, maps mirrored."""
    out = _rand_outputs()
    mirrored = {}
    fi = list(FLIP_INDICES)
    mirrored['heatmaps'] = out['heatmaps'][:, fi].flip(-1)
    off = out['offsets']
    mirrored['offsets'] = torch.cat([
        -off[:, :J][:, fi], off[:, J:2 * J][:, fi], off[:, 2 * J:][:, fi]
    ], 1).flip(-1)
    perm, rev = paf_flip_permutation()
    paf = out['pafs'].view(1, 16, 2, 8, 10)
    m = torch.zeros_like(paf)
    for i in range(16):  # mirror limb perm[i] holds limb i mirrored
        s = -1. if rev[i] else 1.
        m[:, perm[i], 0] = -s * paf[:, i, 0]
        m[:, perm[i], 1] = s * paf[:, i, 1]
    mirrored['pafs'] = m.view(1, 32, 8, 10).flip(-1)
    for k in ('root_depth', 'log_sigma_reg', 'log_sigma_geo'):
        mirrored[k] = out[k].flip(-1)
    back = flip_back_outputs(mirrored, shift=False)
    for k in out:
        assert torch.allclose(back[k], out[k]), k


#: Left/right joint pairs of the MuPoTS order, written out here (not taken from the
#: skeleton module): r/l shoulder, elbow, wrist, hip, knee, ankle.
MIRROR_PAIRS = {2: 5, 3: 6, 4: 7, 8: 11, 9: 12, 10: 13}
MIRROR = {**{k: k for k in range(J)}, **MIRROR_PAIRS,
          **{b: a for a, b in MIRROR_PAIRS.items()}}


def test_flip_test_swaps_left_and_right_through_a_real_forward():
    """Asymmetric features, a randomly initialised head: the flip-test output is the mean
    of the plain pass and the mirrored pass read with left and right swapped (joint k <-
    its mirror joint, limb (a, b) <- limb (mirror a, mirror b) with its x component
    negated, du negated), every map mirrored back."""
    torch.manual_seed(0)
    head = build_head(init_cfg=None).eval()
    f = feats(B=1, seed=3)
    f_flip = tuple(x.flip(-1) for x in f)
    assert not torch.allclose(f[0], f_flip[0])  # the input is not mirror-symmetric
    with torch.no_grad():
        plain = head.forward(f)
        raw = head.forward(f_flip)
        both = head.forward_test([f, f_flip], dict(flip_test=True, shift_heatmap=False))

    def back(x):  # a map of the mirrored pass, mirrored back
        return x.flip(-1)

    def check(key, ch, expected_flip_part):
        expected = (plain[key][:, ch] + expected_flip_part) / 2
        assert torch.allclose(both[key][:, ch], expected, atol=1e-6), (key, ch)

    for k in range(J):
        m = MIRROR[k]
        check('heatmaps', k, back(raw['heatmaps'][:, m]))
        check('offsets', k, -back(raw['offsets'][:, m]))  # du
        check('offsets', J + k, back(raw['offsets'][:, J + m]))  # dv
        check('offsets', 2 * J + k, back(raw['offsets'][:, 2 * J + m]))  # dZ
    for li, (a, b) in enumerate(LIMBS):
        mi = LIMBS.index((MIRROR[a], MIRROR[b]))  # the MuPoTS tree keeps directions
        check('pafs', 2 * li, -back(raw['pafs'][:, 2 * mi]))
        check('pafs', 2 * li + 1, back(raw['pafs'][:, 2 * mi + 1]))
    for key in ('root_depth', 'log_sigma_reg', 'log_sigma_geo'):
        check(key, 0, back(raw[key][:, 0]))
    # the swap matters: the mirrored pass's right and left channels differ
    assert not torch.allclose(raw['heatmaps'][:, 2], raw['heatmaps'][:, 5], atol=1e-3)
    assert not torch.allclose(raw['offsets'][:, 4], raw['offsets'][:, 7], atol=1e-3)
    l_sho = LIMBS.index((1, 5))
    r_sho = LIMBS.index((1, 2))
    assert not torch.allclose(raw['pafs'][:, 2 * l_sho], raw['pafs'][:, 2 * r_sho],
                              atol=1e-3)


def test_flip_back_of_mirrored_targets_gives_the_targets():
    """Codec targets of a real person and of the same image flipped by the data pipeline
    (``flip_results``: pixels mirrored, left/right labels swapped, camera mirrored) are a
    perfect network's outputs for the image and its mirror: flipping the latter back must
    give the former (stride 1, so the mirror is an exact pixel permutation)."""
    from mmmar.codecs import MARCodec
    from mmmar.datasets.transforms.mar_transforms import flip_results
    W, H = 48, 40
    K = make_K(f=40., w=W, h=H)
    cam, kp = make_people(1, K, w=W, h=H, seed=5)
    kp = kp + np.float32(0.13)  # no joint on a pixel centre or half pixel
    codec = MARCodec(input_size=(W, H), heatmap_size=(W, H), sigma=1.5)
    res = dict(img=np.zeros((H, W, 3), np.uint8), keypoints=kp,
               keypoints_visible=np.ones((1, J), np.float32),
               keypoints_valid=np.ones((1, J), np.float32), keypoints_cam=cam,
               cam_param=dict(K=K.astype(np.float32)))
    flipped = flip_results(copy.deepcopy(res))
    # the flipped person really is asymmetric: its left wrist is not its right one mirrored
    assert abs(flipped['keypoints'][0, 7, 0] - (W - 1 - kp[0, 7, 0])) > 1
    enc, enc_f = [
        codec.encode(r['keypoints'], r['keypoints_visible'], r['keypoints_cam'],
                     r['keypoints_valid'], np.ones(1, np.float32), r['cam_param'])
        for r in (res, flipped)
    ]
    keys = ('heatmaps', 'pafs', 'offsets')
    back = flip_back_outputs({k: torch.from_numpy(enc_f[k])[None] for k in keys},
                             stride=1)
    for k in keys:
        np.testing.assert_allclose(back[k][0].numpy(), enc[k], atol=1e-5, err_msg=k)
        assert np.abs(enc[k]).max() > 0.5


def test_flip_back_shift_aligns_with_pixel_convention():
    """Heatmap px x <-> input px x * s; mmpose flips inputs by u -> W-1-u.
    A peak at input u seen in the flipped image must come back at u."""
    s, w = 4, 20
    W = s * w
    xs = torch.arange(w, dtype=torch.float64) * s

    def hm(u):  # ideal stride-s heatmap row of a blob at input u
        return torch.exp(-(xs - u)**2 / (2 * 6.**2)).view(1, 1, 1, w)

    u = 37.
    orig = hm(u).expand(1, J, 1, w)
    flipped = hm(W - 1 - u).expand(1, J, 1, w)
    back = flip_back_outputs(dict(heatmaps=flipped), stride=s)['heatmaps']
    no_shift = flip_back_outputs(
        dict(heatmaps=flipped), stride=s, shift=False)['heatmaps']
    err = (back - orig).abs().max()
    assert err < 0.06  # linear interpolation of a sigma = 1.5 px blob
    assert err < 0.25 * (no_shift - orig).abs().max()


def test_flip_test_reads_the_dataset_flip_indices():
    """``forward_test`` swaps the joints by the given ``flip_indices`` (``predict`` passes
    the data samples' ``metainfo['flip_indices']``), by the skeleton's without them."""
    head = build_head().eval()
    f = feats(B=1, seed=3)
    both = [f, tuple(x.flip(-1) for x in f)]
    cfg = dict(flip_test=True)
    with torch.no_grad():
        default = head.forward_test(both, cfg)
        same = head.forward_test(both, cfg, flip_indices=list(FLIP_INDICES))
        identity = head.forward_test(both, cfg, flip_indices=list(range(J)))
    for k in default:
        assert torch.equal(default[k], same[k]), k
    assert not torch.allclose(default['heatmaps'], identity['heatmaps'])
    seen = []
    head.forward_test = lambda feats, test_cfg, flip_indices=None: seen.append(
        flip_indices) or {}
    head.predict_from_outputs = lambda *args: []
    ds = data_samples(B=1)
    ds[0].set_metainfo(dict(flip_indices=list(range(J))))
    head.predict(both, ds, cfg)
    head.predict(both, data_samples(B=1), cfg)
    assert seen == [list(range(J)), None]


def test_head_without_decoder_or_with_a_second_omega_is_refused():
    with pytest.raises(ValueError, match='`decoder`'):
        build_head(decoder=None)
    with pytest.raises(ValueError, match=r"head's `omega` \(500.0\).*`fusion.omega` \(400"):
        build_head(omega=500., fusion=dict(type='MARDepthFusion', omega=400.))
    with pytest.raises(ValueError, match=r"head's `log_sigma_range`.*`fusion.log_sigma_range`"):
        build_head(fusion=dict(type='MARDepthFusion', log_sigma_range=(-1, 1)))
    head = build_head(omega=450., log_sigma_range=(-3., 2.))
    assert head.fusion.omega == 450. and head.fusion.geo_torso == 'offsets'
    # the head's log_sigma_range is the one its fusion clips with (one owner)
    assert head.fusion.log_sigma_range == (-3., 2.)


def test_predict_refuses_a_batch_of_another_input_size():
    """The decoder is 96x64 (maps 24x16): a sample packed at 128x96 or maps of another
    size are refused with both sizes named."""
    head = build_head().eval()
    ds = data_samples(B=1)
    ds[0].set_metainfo(dict(input_size=(128, 96)))
    with torch.no_grad(), pytest.raises(ValueError, match=r'input_size=\(128, 96\).*'
                                        r'input_size=\(96, 64\)'):
        head.predict(feats(B=1), ds)
    ds[0].set_metainfo(dict(input_size=(96, 64)))
    with torch.no_grad(), pytest.raises(ValueError, match=r'maps are 48x32.*\(24, 16\)'):
        head.predict(feats(B=1, h=32, w=48), ds)
