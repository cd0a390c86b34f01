"""Tests of MARCodec: encode real 3D poses (H36M, MPI-INF-3DHP, CMU Panoptic
3-person scenes), decode the targets as perfect network outputs and compare
with the ground truth; target semantics; bad inputs."""
import numpy as np
import pytest
import torch

from mmmar.codecs import MARCodec, draw_pafs
from mmmar.geometry import back_project_np, focal_of
from mmmar.structures import skeleton
from mmmar.testing import (greedy_match, h36m_samples, make_input, mpi3dhp_samples, paf_line_scores,
                           panoptic_samples)

torch.set_num_threads(1)
R, M = skeleton.ROOT, skeleton.NECK
INPUT_SIZE, HEATMAP_SIZE = (512, 384), (128, 96)
STRIDE = INPUT_SIZE[0] / HEATMAP_SIZE[0]


def _make_input(sample, angle_deg=0.):
    """Results-dict-like fields of a sample warped into the network input."""
    return make_input(sample, INPUT_SIZE, angle_deg)


def _codec(**kwargs):
    return MARCodec(input_size=INPUT_SIZE, heatmap_size=HEATMAP_SIZE,
                    **kwargs)


def _decode_targets(codec, enc, K, **kwargs):
    return codec.decode(enc['heatmaps'], enc['pafs'], enc['offsets'],
                        enc['root_depth'], K=K, **kwargs)


def _check_round_trip(codec, inp, dec):
    kp, valid = inp['keypoints'], inp['keypoints_valid'] > 0
    P, K = inp['keypoints_cam'].astype(np.float64), inp['cam_param']['K']
    n_gt = len(kp)
    # none missed, none invented
    assert len(dec['roots']) == n_gt, inp['img_path']
    d = np.linalg.norm(dec['roots'][:, None] - kp[None, :, R], axis=-1)
    match = d.argmin(1)
    assert sorted(match.tolist()) == list(range(n_gt))
    assert (d.min(1) <= STRIDE).all()
    # 2D within 1 heatmap pixel for every known joint (occluded included)
    err2d = np.linalg.norm(dec['keypoints'] - kp[match], axis=-1) / STRIDE
    assert err2d[valid[match]].max() <= 1.0, (inp['img_path'], err2d.max())
    # 3D after back-projection with the decoded (regression) root depth: within 1 %
    z_abs = dec['root_depth_reg'][:, None] + dec['keypoints_rel_depth']
    P_dec = back_project_np(dec['keypoints'], z_abs, K)
    rel = np.linalg.norm(P_dec - P[match], axis=-1) / np.where(
        valid[match], P[match][..., 2], 1.)
    assert rel[valid[match]].max() <= 0.01, (inp['img_path'], rel.max())
    np.testing.assert_allclose(dec['root_depth_reg'], P[match, R, 2], rtol=1e-4)
    assert 'root_depth' not in dec  # the fused depth is the fusion's, not the decode's
    # root pixel + offsets (Eq. 2) reproduce every known joint: the encoded offsets are
    # exact (float32), only the root pixel is on the grid
    err_off = np.linalg.norm(dec['keypoints_offset'] - kp[match], axis=-1)
    assert err_off[valid[match]].max() <= 1e-2, (inp['img_path'], err_off.max())
    # joints outside the input / invisible never come from the heatmap
    vis = inp['keypoints_visible'][match] > 0
    assert not dec['from_heatmap'][~vis].any()
    return match


@pytest.mark.parametrize('angle', [0., 25.])
def test_round_trip_single_person_real(angle):
    codec = _codec()
    for s in h36m_samples() + mpi3dhp_samples():
        inp = _make_input(s, angle)
        enc = codec.encode(**inp)
        dec = _decode_targets(codec, enc, inp['cam_param']['K'])
        _check_round_trip(codec, inp, dec)
        # every visible joint came from the heatmaps (Eq. 3)
        np.testing.assert_array_equal(dec['from_heatmap'],
                                      inp['keypoints_visible'] > 0)


@pytest.mark.parametrize('angle', [0., -20.])
def test_round_trip_panoptic_three_people(angle):
    codec = _codec()
    samples = panoptic_samples(num_cameras=3, min_root_sep=4 * STRIDE * 4)
    assert len(samples) >= 6
    for s in samples:
        inp = _make_input(s, angle)
        assert len(inp['keypoints']) == 3
        enc = codec.encode(**inp)
        dec = _decode_targets(codec, enc, inp['cam_param']['K'],
                              torso_length=enc['torso_length'])
        match = _check_round_trip(codec, inp, dec)
        P = inp['keypoints_cam'][match]
        np.testing.assert_allclose(
            dec['torso_length'], np.linalg.norm(P[:, M] - P[:, R], axis=-1),
            rtol=1e-5)


def test_round_trip_occluded_joints_use_offsets():
    """Occluded (valid, not visible) joints have no heatmap peak; Eq. 3 takes
    them from root + offset, still within tolerance."""
    codec = _codec()
    rng = np.random.default_rng(0)
    s = panoptic_samples(num_cameras=1, min_root_sep=64)[0]
    inp = _make_input(s)
    occluded = (rng.random(inp['keypoints_visible'].shape) < 0.3)
    occluded[:, R] = False
    inp['keypoints_visible'] = inp['keypoints_visible'] * ~occluded
    enc = codec.encode(**inp)
    dec = _decode_targets(codec, enc, inp['cam_param']['K'])
    match = _check_round_trip(codec, inp, dec)
    vis = inp['keypoints_visible'][match] > 0
    np.testing.assert_array_equal(dec['from_heatmap'], vis)


def test_decode_torch_tensors_and_sigma_maps():
    codec = _codec()
    inp = _make_input(h36m_samples()[1])
    enc = codec.encode(**inp)
    K = inp['cam_param']['K']
    sig = np.full((1, ) + HEATMAP_SIZE[::-1], 3.5, np.float32)
    dec_np = _decode_targets(codec, enc, K, log_sigma_reg=sig,
                             log_sigma_geo=sig - 1)
    dec_t = codec.decode(*(torch.from_numpy(enc[k]) for k in (
        'heatmaps', 'pafs', 'offsets', 'root_depth')),
                         K=torch.from_numpy(K),
                         log_sigma_reg=torch.from_numpy(sig),
                         log_sigma_geo=torch.from_numpy(sig - 1))
    for k in dec_np:
        np.testing.assert_allclose(dec_t[k], dec_np[k], rtol=1e-6)
    np.testing.assert_allclose(dec_np['log_sigma_reg'], [3.5])
    np.testing.assert_allclose(dec_np['log_sigma_geo'], [2.5])
    assert dec_np['keypoints'].shape == (1, 17, 2)
    assert dec_np['keypoint_scores'].shape == (1, 17)
    assert dec_np['keypoints_rel_depth'].shape == (1, 17)
    np.testing.assert_allclose(
        dec_np['root_depth_reg'], dec_np['root_depth_reg_norm'] * focal_of(K),
        rtol=1e-6)


def test_decode_empty_image():
    codec = _codec()
    w, h = HEATMAP_SIZE
    dec = codec.decode(
        np.zeros((17, h, w)), np.zeros((32, h, w)), np.zeros((51, h, w)),
        np.zeros((1, h, w)), K=np.eye(3))
    assert dec['keypoints'].shape == (0, 17, 2)
    assert dec['keypoint_scores'].shape == (0, 17)
    assert dec['keypoints_rel_depth'].shape == (0, 17)
    assert dec['scores'].shape == (0, ) and dec['root_depth_reg'].shape == (0, )


def test_encode_target_semantics():
    """Each target against its definition, computed independently."""
    codec = _codec(root_radius=2., offset_norm=16., depth_norm=1000.)
    s = panoptic_samples(num_cameras=1, min_root_sep=64)[0]
    inp = _make_input(s)
    enc = codec.encode(**inp)
    w, h = HEATMAP_SIZE
    packed = set(MARCodec.field_mapping_table) | set(MARCodec.label_mapping_table)
    assert packed < set(enc) and 'heatmap_mask' not in packed
    shapes = dict(heatmaps=(17, h, w), pafs=(32, h, w), offsets=(51, h, w),
                  offset_weights=(51, h, w), root_depth=(1, h, w),
                  root_depth_weights=(1, h, w), torso_length=(1, h, w),
                  torso_length_weights=(1, h, w))
    for k, shape in shapes.items():
        assert enc[k].shape == shape, k
        assert enc[k].dtype == np.float32, k
    for k, shape in dict(heatmap_mask=(h, w), heatmap_weights=(17, h, w),
                         paf_weights=(32, h, w)).items():
        assert enc[k].shape == shape and enc[k].dtype == np.uint8, k
        assert set(np.unique(enc[k])) <= {0, 1}, k
    # the packed root fields: the dense root fields' values at their non-zero pixels
    pix, vals = enc['root_pixels'], enc['root_targets']
    assert vals.shape == (len(pix), 6 * 17 + 4) and len(np.unique(pix)) == len(pix)
    dense = np.concatenate([enc[k].reshape(-1, h * w) for k in (
        'offsets', 'offset_weights', 'root_depth', 'root_depth_weights', 'torso_length',
        'torso_length_weights')])
    np.testing.assert_array_equal(dense[:, pix].T, vals)
    rest = np.ones(h * w, bool)
    rest[pix] = False
    assert not dense[:, rest].any()
    xy = inp['keypoints'] / STRIDE
    P, K = inp['keypoints_cam'], inp['cam_param']['K']
    f = np.sqrt(abs(np.linalg.det(K[:2, :2].astype(np.float64))))
    for n in range(len(xy)):
        px, py = np.rint(xy[n, R]).astype(int)
        # heatmap maximum at the root pixel, value exp(-d^2 / 2 sigma^2)
        d2 = ((xy[n, R] - [px, py])**2).sum()
        assert enc['heatmaps'][R, py, px] == pytest.approx(
            np.exp(-d2 / (2 * codec.sigma**2)), rel=1e-5)
        for dx, dy in ((0, 0), (1, 0), (0, -2), (1, 1)):
            x, y = px + dx, py + dy
            off = enc['offsets'][:, y, x].reshape(3, 17)
            # pixel + du * norm = joint (heatmap px); dZ * norm = Z_k - Z_root
            np.testing.assert_allclose(x + off[0] * 16., xy[n, :, 0],
                                       atol=1e-4)
            np.testing.assert_allclose(y + off[1] * 16., xy[n, :, 1],
                                       atol=1e-4)
            valid = inp['keypoints_valid'][n] > 0
            np.testing.assert_allclose((off[2] * 1000.)[valid],
                                       (P[n, :, 2] - P[n, R, 2])[valid],
                                       atol=1e-2)
            assert enc['root_depth'][0, y, x] == pytest.approx(
                P[n, R, 2] / f, rel=1e-5)
            assert enc['root_depth_weights'][0, y, x] == 1
            np.testing.assert_array_equal(
                enc['offset_weights'][:, y, x].reshape(3, 17),
                np.stack([valid, valid, valid]).astype(np.float32))
        # outside the radius: nothing written
        assert enc['offset_weights'][:, py, px + 3].sum() == 0
        # PAF at the middle of the pelvis->spine limb = its unit vector
        li = skeleton.LIMBS.index((R, 15))
        a, b = xy[n, R], xy[n, 15]
        mid = np.rint((a + b) / 2).astype(int)
        u = (b - a) / np.linalg.norm(b - a)
        np.testing.assert_allclose(
            enc['pafs'][2 * li:2 * li + 2, mid[1], mid[0]], u, atol=1e-5)
    assert enc['heatmap_mask'].min() == 1


def test_encode_nearer_person_wins_and_2d_only_weights():
    codec = _codec(root_radius=3.)
    s = h36m_samples()[0]
    inp = _make_input(s)
    # a second, farther person whose root lands 1 heatmap px away
    far = inp['keypoints_cam'].astype(np.float64) * 1.5
    kp2 = inp['keypoints'] + np.float32(STRIDE)
    both = dict(inp)
    both['keypoints'] = np.concatenate([kp2, inp['keypoints']])
    both['keypoints_cam'] = np.concatenate([far, inp['keypoints_cam']])
    for k in ('keypoints_visible', 'keypoints_valid'):
        both[k] = np.concatenate([inp[k]] * 2)
    both['has_depth'] = np.ones(2, np.float32)
    enc = codec.encode(**both)
    px, py = np.rint(inp['keypoints'][0, R] / STRIDE).astype(int)
    f = focal_of(inp['cam_param']['K'].astype(np.float64))
    assert enc['root_depth'][0, py, px] * f == pytest.approx(
        inp['keypoints_cam'][0, R, 2], rel=1e-5)
    # 2D-only (COCO-like): no depth weights anywhere, 2D offsets kept
    coco = dict(inp, has_depth=np.zeros(1, np.float32))
    enc = codec.encode(**coco)
    assert enc['root_depth_weights'].sum() == 0
    assert enc['torso_length_weights'].sum() == 0
    assert enc['offset_weights'][34:].sum() == 0
    assert enc['offset_weights'][:34].sum() > 0
    assert enc['offsets'][34:].sum() == 0
    # and without any 3D input at all
    enc2 = codec.encode(inp['keypoints'], inp['keypoints_visible'])
    assert enc2['root_depth_weights'].sum() == 0
    np.testing.assert_allclose(enc2['heatmaps'], enc['heatmaps'])


def test_ignore_mask():
    codec = _codec()
    inp = _make_input(h36m_samples()[0])
    ignore = np.zeros(INPUT_SIZE[::-1], bool)
    ignore[:100, :200] = True
    enc = codec.encode(**inp, ignore_mask=ignore)
    mask = enc['heatmap_mask']
    assert mask[0, 0] == 0 and mask[-1, -1] == 1
    assert mask[:100 // 4, :200 // 4].max() == 0
    assert mask[100 // 4 + 1:].min() == 1
    np.testing.assert_array_equal(enc['paf_weights'][5], mask)


@pytest.mark.parametrize('case, field', [
    ('joints16', 'keypoints'),
    ('nan_2d', 'keypoints'),
    ('nan_3d', 'keypoints_cam'),
    ('no_cam', 'cam_param'),
    ('cam_not_dict', 'cam_param'),
    ('cam_bad_K', 'cam_param'),
    ('cam_nan_K', 'cam_param'),
    ('vis_shape', 'keypoints_visible'),
    ('has_depth_shape', 'has_depth'),
])
def test_bad_inputs(case, field):
    codec = _codec()
    inp = _make_input(h36m_samples()[0])
    if case == 'joints16':
        inp['keypoints'] = inp['keypoints'][:, :16]
    elif case == 'nan_2d':
        inp['keypoints'][0, 3, 0] = np.nan
    elif case == 'nan_3d':
        inp['keypoints_cam'][0, 5, 2] = np.nan
    elif case == 'no_cam':
        inp['cam_param'] = None
    elif case == 'cam_not_dict':
        inp['cam_param'] = np.eye(3)
    elif case == 'cam_bad_K':
        inp['cam_param'] = dict(K=np.eye(2))
    elif case == 'cam_nan_K':
        inp['cam_param'] = dict(K=np.full((3, 3), np.nan))
    elif case == 'vis_shape':
        inp['keypoints_visible'] = inp['keypoints_visible'][:, :10]
    elif case == 'has_depth_shape':
        inp['has_depth'] = np.ones(3)
    with pytest.raises(ValueError) as err:
        codec.encode(**inp)
    msg = str(err.value)
    assert f'`{field}`' in msg and inp['img_path'] in msg, msg


def test_paf_helpers():
    # one vertical limb, scoring: right direction ~1, reverse ~-1, off ~0
    pafs, counts = draw_pafs(
        np.array([[[10., 5.]]]), np.array([[[10., 25.]]]), np.ones((1, 1)),
        (32, 32), width=1.)
    assert pafs.shape == (2, 32, 32) and counts.max() == 1
    np.testing.assert_allclose(pafs[:, 15, 10], [0, 1])
    assert pafs[:, 15, 13].tolist() == [0, 0]
    s = paf_line_scores(pafs, np.array([[10., 5.], [10., 25.], [20., 5.]]),
                        np.array([[10., 25.], [10., 5.], [20., 25.]]))
    assert s[0, 0] == pytest.approx(1.) and s[1, 1] == pytest.approx(-1.)
    assert s[2, 2] == pytest.approx(0.)
    # greedy matching by descending score with gating
    scores = np.array([[0.9, 0.8, 0.0], [0.85, 0.1, 0.0], [0.0, 0.0, 0.3]])
    ok = scores > 0.05
    np.testing.assert_array_equal(greedy_match(scores, ok), [0, 1, 2])
    ok[2, 2] = False
    np.testing.assert_array_equal(greedy_match(scores, ok), [0, 1, -1])


def test_registry_and_generate_target():
    from mmpose.registry import KEYPOINT_CODECS
    codec = KEYPOINT_CODECS.build(
        dict(type='MARCodec', input_size=INPUT_SIZE,
             heatmap_size=HEATMAP_SIZE))
    assert isinstance(codec, MARCodec)
    for k in ('bbox', 'keypoints', 'keypoints_cam', 'keypoints_visible',
              'bbox_score', 'bbox_scale', 'keypoints_valid', 'has_depth'):
        assert k in MARCodec.instance_mapping_table
    from mmpose.datasets.transforms import GenerateTarget
    inp = _make_input(h36m_samples()[0])
    results = GenerateTarget(
        encoder=dict(type='MARCodec', input_size=INPUT_SIZE,
                     heatmap_size=HEATMAP_SIZE))(dict(inp))
    for k in MARCodec.field_mapping_table:
        assert results[k].shape[-2:] == HEATMAP_SIZE[::-1]
    assert results['field_mapping_table'] is MARCodec.field_mapping_table


def test_draw_pafs_matches_dense_reference():
    """The sparse drawing equals a plain per-pixel evaluation of the rule
    (distance to the limb line <= width, projection on the extended
    segment), averaged over people."""
    rng = np.random.default_rng(1)
    w, h, N, L, width = 24, 20, 4, 3, 1.0
    st = rng.uniform(-3, 26, (N, L, 2))
    en = st + rng.normal(0, 6, (N, L, 2))
    valid = rng.random((N, L)) < 0.8
    pafs, counts = draw_pafs(st, en, valid, (w, h), width)
    ref = np.zeros((L, 2, h, w))
    ref_cnt = np.zeros((L, h, w))
    for n in range(N):
        for l in range(L):  # noqa: E741
            if not valid[n, l]:
                continue
            v = en[n, l] - st[n, l]
            length = np.linalg.norm(v)
            u = v / length
            for y in range(h):
                for x in range(w):
                    d = np.array([x, y]) - st[n, l]
                    along, across = d @ u, abs(d[0] * u[1] - d[1] * u[0])
                    if across <= width and -width <= along <= length + width:
                        ref[l, :, y, x] += u
                        ref_cnt[l, y, x] += 1
    ref /= np.maximum(ref_cnt, 1)[:, None]
    np.testing.assert_array_equal(counts, ref_cnt)
    np.testing.assert_allclose(pafs, ref.reshape(2 * L, h, w), atol=1e-6)
    assert ref_cnt.sum() > 50


def test_decode_root_relative_depth_is_zero_whatever_the_offset_maps_say():
    """Eq. 2: the root's relative depth is 0 by definition, not read from the dZ map."""
    from mmmar.codecs import MARCodec
    from mmmar.structures import NUM_JOINTS, NUM_LIMBS, ROOT
    codec = MARCodec(input_size=(64, 64), heatmap_size=(16, 16))
    rng = np.random.default_rng(0)
    heatmaps = np.zeros((NUM_JOINTS, 16, 16), np.float32)
    heatmaps[ROOT, 8, 8] = 1.
    offsets = rng.normal(size=(3 * NUM_JOINTS, 16, 16)).astype(np.float32)
    pafs = np.zeros((2 * NUM_LIMBS, 16, 16), np.float32)
    out = codec.decode(heatmaps, pafs, offsets)
    assert out['keypoints_rel_depth'].shape == (1, NUM_JOINTS)
    assert out['keypoints_rel_depth'][0, ROOT] == 0
    neck = 1
    assert out['keypoints_rel_depth'][0, neck] == pytest.approx(
        offsets[2 * NUM_JOINTS + neck, 8, 8] * codec.depth_norm, rel=1e-5)


def test_validation_helpers():
    from mmmar.codecs.validation import check_bbox, check_encode_inputs, fail
    with pytest.raises(ValueError, match=r"^MARCodec.encode: `bbox` is odd \(sample 'a.jpg'\)$"):
        fail('bbox', 'is odd', 'a.jpg')
    with pytest.raises(ValueError, match=r'^MARCodec.encode: `bbox` is odd$'):
        fail('bbox', 'is odd')
    # defaults: valid = visible, no depth without keypoints_cam; unused non-finite values
    # (an unlabelled joint's 2D, an invalid joint's 3D) are zeroed
    kp = np.ones((2, 17, 2))
    kp[1, 4] = np.nan
    vis = np.ones((2, 17))
    vis[1, 4] = 0
    out = check_encode_inputs(kp, vis, None, None, None, None, 17, R)
    kp2, vis2, valid, kcam, has_depth, K = out
    assert K is None and (has_depth == 0).all() and (kcam == 0).all()
    np.testing.assert_array_equal(valid, vis)
    assert (kp2[1, 4] == 0).all() and (kp2[0] == 1).all()
    kcam = np.full((2, 17, 3), 3000.)
    kcam[1, 4] = np.inf
    out = check_encode_inputs(kp, vis[..., None], kcam, None, None, dict(K=np.eye(3)), 17, R)
    assert (out[4] == 1).all() and (out[3][1, 4] == 0).all() and (out[3][0] == 3000).all()
    np.testing.assert_array_equal(out[5], np.eye(3))
    assert check_bbox(None, 2) is None
    assert check_bbox([[0, 0, 1, 1]] * 2, 2).dtype == np.float64


def test_target_rendering_helpers():
    from mmmar.codecs.targets import gaussian_heatmaps, heatmap_mask, root_pixels, root_priority
    xy = np.array([[[5., 4.], [20., 10.]], [[6., 4.], [0., 0.]]])
    vis = np.array([[1., 1.], [1., 0.]])
    hm = gaussian_heatmaps(xy, vis, (32, 16), 1., 3.)
    assert hm.shape == (2, 16, 32) and hm.dtype == np.float32
    # max over people, 1 at each joint, 0 beyond the truncation window
    assert hm[0, 4, 5] == 1 and hm[0, 4, 6] == 1 and hm[1, 10, 20] == 1
    assert hm[1, 0, 0] == 0 and hm[0, 4, 10] == 0 and hm[0, 4, 9] > 0
    ignore = np.zeros((32, 64), bool)
    ignore[:4, :8] = True
    mask = heatmap_mask(ignore, (32, 16), np.array([2., 2.]))
    assert mask.dtype == np.float32 and mask[:2, :4].max() == 0 and mask.sum() == 32 * 16 - 8
    assert (heatmap_mask(None, (32, 16), np.array([2., 2.])) == 1).all()
    # root discs: a shared pixel goes to the higher priority
    valid = np.ones((2, 2))
    kcam = np.zeros((2, 2, 3))
    kcam[:, 0, 2] = [5000., 3000.]
    prio = root_priority(xy, valid, kcam, np.ones(2), 0)
    np.testing.assert_array_equal(prio, [-5000., -3000.])
    assert root_priority(xy, valid, kcam, np.array([1., 0.]), 0).argmax() == 0  # 2D extent
    px, py, n = root_pixels(xy[:, 0], np.ones(2, bool), prio, (32, 16), 1.)
    assert len(px) == 8 and len(set(zip(px, py))) == 8  # two 5-pixel discs share 2
    assert n[(px == 5) & (py == 4)] == 1 and n[(px == 6) & (py == 4)] == 1
    px, py, n = root_pixels(np.array([[-9., -9.]]), np.ones(1, bool), prio[:1], (32, 16), 1.)
    assert n.size == 0
