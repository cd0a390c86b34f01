import copy
import pickle

import cv2
import numpy as np
import pytest

from mmmar.structures.skeleton import FLIP_INDICES, NUM_JOINTS
from mmmar.testing import SHARED_DATA as DATA


def _proj(X, K):
    p = np.asarray(X, np.float64) @ np.asarray(K, np.float64).T
    return p[..., :2] / p[..., 2:3]


def _h36m_results():
    from mmmar.datasets import H36MMARDataset
    from mmmar.datasets.transforms import MARLoadImage
    ds = H36MMARDataset(ann_file=f'{DATA}/h36m/test_h36m_body3d.npz',
                        camera_param_file=f'{DATA}/h36m/cameras.pkl',
                        data_prefix=dict(img=f'{DATA}/h36m/'), serialize_data=False)
    load = MARLoadImage()
    out = []
    for i in range(len(ds)):
        r = load(ds.get_data_info(i))
        out.append(r)
    return out


def _3dhp_results():
    d = np.load(f'{DATA}/mpi_inf_3dhp/test_3dhp_test.npz')
    with open(f'{DATA}/mpi_inf_3dhp/cameras_test.pkl', 'rb') as f:
        cams = pickle.load(f)
    out = []
    for i, name in enumerate(d['imgname']):
        cam = cams[str(name).split('_')[0]]
        (fx, fy), (cx, cy) = cam['f'].ravel(), cam['c'].ravel()
        K = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1.]], np.float32)
        X = (d['S'][i, :, :3] * 1000).astype(np.float32)[None]
        img = cv2.imread(f'{DATA}/mpi_inf_3dhp/{name}')
        assert img is not None
        out.append(dict(img=img, img_shape=img.shape[:2], keypoints_cam=X,
                        keypoints=_proj(X, K).astype(np.float32),
                        keypoints_visible=np.ones((1, NUM_JOINTS), np.float32),
                        keypoints_valid=np.ones((1, NUM_JOINTS), np.float32),
                        bbox=np.array([[0, 0, 100, 100]], np.float32),
                        cam_param=dict(K=K, f=(fx, fy), c=(cx, cy))))
    return out


@pytest.fixture(scope='module')
def real_results():
    res = _h36m_results() + _3dhp_results()
    assert len(res) == 6
    # start from the exact projection so that the check isolates the transforms
    for r in res:
        r['keypoints'] = _proj(r['keypoints_cam'], r['cam_param']['K']).astype(np.float32)
    return res


def test_random_affine_flip_consistent_on_real_frames(real_results):
    from mmmar.datasets.transforms import MARRandomAffine, MARRandomFlip
    aff = MARRandomAffine(input_size=(384, 320), rotate_factor=45, scale_factor=(0.5, 1.6),
                          shift_factor=0.25)
    flip = MARRandomFlip(prob=0.5)
    np.random.seed(0)
    worst = 0.0
    nflip = 0
    for it in range(100):
        r = copy.deepcopy(real_results[it % len(real_results)])
        r = flip(aff(r))
        nflip += r['flip']
        assert r['img'].shape[:2] == (320, 384)
        reproj = _proj(r['keypoints_cam'], r['cam_param']['K'])
        worst = max(worst, float(np.abs(reproj - r['keypoints']).max()))
        # visibility: joints outside the output are invisible, inside ones kept
        kp = r['keypoints']
        inside = (kp[..., 0] >= 0) & (kp[..., 0] <= 383) & (kp[..., 1] >= 0) & (kp[..., 1] <= 319)
        ov = real_results[it % len(real_results)]['keypoints_visible'] > 0
        if r['flip']:
            ov = ov[:, list(FLIP_INDICES)]
        assert np.array_equal(r['keypoints_visible'] > 0, inside & ov)
        # input_affine maps the original projection (before the swap) onto the new one
        A = r['input_affine']
        orig = real_results[it % len(real_results)]['keypoints']
        mapped = orig @ A[:, :2].T + A[:, 2]
        if r['flip']:
            mapped = mapped[:, list(FLIP_INDICES)]
        assert np.abs(mapped - r['keypoints']).max() < 1e-2
    assert worst < 0.5, worst
    assert 20 < nflip < 80


def test_image_warp_matches_keypoints(real_results):
    """Independent check: a marker painted at a joint lands where the keypoint goes."""
    from mmmar.datasets.transforms import MARRandomAffine, MARRandomFlip
    aff = MARRandomAffine(input_size=(256, 256), rotate_factor=45, scale_factor=(0.8, 1.4),
                          shift_factor=0.1)
    flip = MARRandomFlip(prob=0.5)
    np.random.seed(1)
    checked = 0
    for it in range(30):
        r = copy.deepcopy(real_results[it % 4])  # H36M frames (1000 x 1002)
        u, v = r['keypoints'][0, 14]
        img = np.zeros_like(r['img'])
        cv2.circle(img, (int(round(u * 16)), int(round(v * 16))), 20 * 16, (255, 255, 255), -1,
                   cv2.LINE_AA, 4)
        r['img'] = img
        r = flip(aff(r))
        m = r['img'][..., 0].astype(np.float64)
        if m.sum() < 50 * 255:
            continue  # marker left the image
        ys, xs = np.mgrid[0:m.shape[0], 0:m.shape[1]]
        c = np.array([(xs * m).sum(), (ys * m).sum()]) / m.sum()
        kp = r['keypoints'][0, 14]  # the pelvis is its own flip partner
        if not (10 < kp[0] < 246 and 10 < kp[1] < 246):
            continue
        assert np.abs(c - kp).max() < 0.6, (c, kp)
        checked += 1
    assert checked >= 10


def test_flip_twice_is_identity(real_results):
    from mmmar.datasets.transforms import MARRandomFlip
    flip = MARRandomFlip(prob=1.0)
    for r0 in real_results:
        r = flip(flip(copy.deepcopy(r0)))
        assert np.array_equal(r['img'], r0['img'])
        assert np.allclose(r['keypoints'], r0['keypoints'], atol=1e-4)
        assert np.array_equal(r['keypoints_cam'], r0['keypoints_cam'])
        assert np.allclose(r['cam_param']['K'], r0['cam_param']['K'], atol=1e-4)
        assert np.array_equal(r['keypoints_visible'], r0['keypoints_visible'])


def test_flip_single_known_values(real_results):
    from mmmar.datasets.transforms import MARRandomFlip
    r0 = real_results[0]
    w = r0['img'].shape[1]
    r = MARRandomFlip(prob=1.0)(copy.deepcopy(r0))
    assert np.array_equal(r['img'], r0['img'][:, ::-1])
    # r_shoulder (2) after the flip is the mirrored l_shoulder (5)
    assert np.allclose(r['keypoints'][0, 2], [w - 1 - r0['keypoints'][0, 5, 0],
                                              r0['keypoints'][0, 5, 1]], atol=1e-3)
    assert np.allclose(r['keypoints_cam'][0, 2], r0['keypoints_cam'][0, 5] * [-1, 1, 1])
    K = r['cam_param']['K']
    assert K[0, 0] > 0 and np.isclose(K[0, 2], w - 1 - r0['cam_param']['K'][0, 2])


def test_resize_pad(real_results):
    from mmmar.datasets.transforms import MARResizePad
    r0 = real_results[4]  # 2048 x 2048 3DHP frame
    r = MARResizePad(input_size=(832, 512))(copy.deepcopy(r0))
    assert r['img'].shape == (512, 832, 3)
    assert r['img'][:, 512:].max() == 0  # padded on the right
    assert np.abs(_proj(r['keypoints_cam'], r['cam_param']['K']) - r['keypoints']).max() < 0.5
    np.testing.assert_allclose(r['ori_cam_param']['K'], r0['cam_param']['K'])
    # mmpose's inverse mapping returns the original pixels
    back = r['keypoints'] / np.array(r['input_size']) * r['input_scale'] + \
        r['input_center'] - 0.5 * r['input_scale']
    assert np.abs(back - r0['keypoints']).max() < 0.05
    # image content: resized version of the original
    ref = cv2.resize(r0['img'], (512, 512), interpolation=cv2.INTER_AREA)
    assert np.abs(r['img'][:, :512].astype(int) - ref).max() <= 1


def _crop(r0, x0, y0, w, h):
    """A real frame cropped to (w, h) at (x0, y0): the principal point moves with the crop."""
    r = copy.deepcopy(r0)
    r['img'] = np.ascontiguousarray(r0['img'][y0:y0 + h, x0:x0 + w])
    r['img_shape'] = (h, w)
    K = np.array(r0['cam_param']['K'], np.float64)
    K[0, 2] -= x0
    K[1, 2] -= y0
    r['cam_param'] = dict(K=K.astype(np.float32), f=(K[0, 0], K[1, 1]), c=(K[0, 2], K[1, 2]))
    r['keypoints'] = (r0['keypoints'] - [x0, y0]).astype(np.float32)
    return r


@pytest.fixture(scope='module')
def three_frames(real_results):
    """Real frames of the three sizes of the issue: 2048x2048 (MPI-INF-3DHP), 1920x1080 (a
    crop of it) and 1000x1002 (Human3.6M), each with an ignore mask."""
    frames = [copy.deepcopy(real_results[4]), _crop(real_results[4], 64, 484, 1920, 1080),
              copy.deepcopy(real_results[0])]
    for r in frames:
        h, w = r['img'].shape[:2]
        m = np.zeros((h, w), bool)
        m[h // 3:h // 2, w // 5:w // 2] = True
        r['ignore_mask'] = m
    assert [r['img'].shape[:2] for r in frames] == [(2048, 2048), (1080, 1920), (1002, 1000)]
    return frames


def test_random_affine_neutral_equals_resize_pad(three_frames):
    """With scale 1, rotation 0, shift 0 and no flip, training gives the test input exactly."""
    from mmmar.datasets.transforms import MARRandomAffine, MARRandomFlip, MARResizePad
    train = [MARRandomAffine(input_size=(832, 512), shift_factor=0.2, shift_prob=0.,
                             scale_factor=(0.75, 1.25), scale_prob=0., rotate_factor=30.,
                             rotate_prob=0., pad_val=114),
             MARRandomFlip(prob=0.)]
    test = MARResizePad(input_size=(832, 512), pad_val=114)
    for r0 in three_frames:
        rt = copy.deepcopy(r0)
        for t in train:
            rt = t(rt)
        re = test(copy.deepcopy(r0))
        assert not rt['flip']
        assert rt['img'].shape == re['img'].shape == (512, 832, 3)
        assert np.array_equal(rt['img'], re['img'])
        assert (re['img'][-1, -1] == 114).all()  # padded (the fit leaves a border)
        for key in ('keypoints', 'keypoints_visible', 'bbox', 'ignore_mask', 'input_affine'):
            assert np.array_equal(rt[key], re[key]), key
        assert np.array_equal(rt['cam_param']['K'], re['cam_param']['K'])
        assert rt['cam_param']['f'] == re['cam_param']['f']
        assert rt['cam_param']['c'] == re['cam_param']['c']
        assert np.array_equal(rt['ori_cam_param']['K'], r0['cam_param']['K'])
        assert rt['img_shape'] == re['img_shape'] and rt['input_size'] == re['input_size']
        # and both are camera-consistent
        assert np.abs(_proj(rt['keypoints_cam'], rt['cam_param']['K']) -
                      rt['keypoints']).max() < 0.5


def _person_scale(A):
    """Input px per original px of an affine (2x3): sqrt(|det|) of its linear part."""
    return float(np.sqrt(abs(np.linalg.det(np.asarray(A)[:, :2]))))


def test_random_affine_person_scale_is_centred_on_the_test_fit(three_frames):
    """The paper config's random scale is about the test-time scale, which is (hand-derived)
    min(832 / w, 512 / h): 0.25, 0.4333, 0.5110 for the three frames."""
    from mmmar.datasets.transforms import MARRandomAffine, MARResizePad
    aff = MARRandomAffine(input_size=(832, 512), rotate_factor=30., scale_factor=(0.75, 1.25))
    for r0, s_test in zip(three_frames, (512 / 2048, 832 / 1920, 512 / 1002)):
        re = MARResizePad(input_size=(832, 512))(copy.deepcopy(r0))
        assert _person_scale(re['input_affine']) == pytest.approx(s_test, rel=2e-3)
        np.random.seed(0)
        s = np.array([_person_scale(aff(copy.deepcopy(dict(img=r0['img'])))['input_affine'])
                      for _ in range(60)]) / s_test
        assert s.min() >= 0.75 * (1 - 2e-3) and s.max() <= 1.25 * (1 + 2e-3)
        assert s.min() < 0.8 and s.max() > 1.2 and 0.9 < np.median(s) < 1.1


def test_image_warp_matches_keypoints_when_upscaling():
    """A small frame (enlarged to the input) rotated/shifted: a marker lands on its keypoint."""
    from mmmar.datasets.transforms import MARRandomAffine
    aff = MARRandomAffine(input_size=(256, 192), rotate_factor=40, scale_factor=(0.9, 1.5),
                          shift_factor=0.1)
    np.random.seed(2)
    checked = 0
    for it in range(12):
        u, v = 70. + 3 * it, 50. + 2 * it
        img = np.zeros((120, 160, 3), np.uint8)
        cv2.circle(img, (int(round(u * 16)), int(round(v * 16))), 6 * 16, (255, 255, 255), -1,
                   cv2.LINE_AA, 4)
        kp = np.full((1, NUM_JOINTS, 2), [u, v], np.float32)
        r = aff(dict(img=img, keypoints=kp, keypoints_visible=np.ones((1, NUM_JOINTS))))
        m = r['img'][..., 0].astype(np.float64)
        k = r['keypoints'][0, 0]
        if not (20 < k[0] < 236 and 20 < k[1] < 172):
            continue
        ys, xs = np.mgrid[0:m.shape[0], 0:m.shape[1]]
        c = np.array([(xs * m).sum(), (ys * m).sum()]) / m.sum()
        assert np.abs(c - k).max() < 0.3, (c, k)
        checked += 1
    assert checked >= 8


def test_ignore_mask_follows_affine():
    from mmmar.datasets.transforms import MARRandomAffine, MARRandomFlip
    img = np.zeros((100, 200, 3), np.uint8)
    mask = np.zeros((100, 200), bool)
    mask[40:60, 20:40] = True
    r = dict(img=img, ignore_mask=mask, cam_param=dict(K=np.eye(3, dtype=np.float32)),
             keypoints=np.array([[[30., 50.]] * NUM_JOINTS], np.float32),
             keypoints_visible=np.ones((1, NUM_JOINTS), np.float32))
    np.random.seed(3)
    aff = MARRandomAffine(input_size=(128, 128), rotate_factor=30, shift_factor=0.,
                          scale_factor=(1., 1.))
    r = MARRandomFlip(prob=1.0)(aff(r))
    u, v = np.round(r['keypoints'][0, 0]).astype(int)
    assert r['ignore_mask'].shape == (128, 128) and r['ignore_mask'][v, u]


def test_photometric_distortion_registered():
    from mmpose.registry import TRANSFORMS

    import mmmar.datasets  # noqa: F401
    t = TRANSFORMS.build(dict(type='PhotometricDistortion'))
    import random
    random.seed(0)
    np.random.seed(0)
    out = t(dict(img=np.full((8, 8, 3), 100, np.uint8)))
    assert out['img'].shape == (8, 8, 3)
    for name in ('MARLoadImage', 'MARRandomAffine', 'MARRandomFlip', 'MARResizePad'):
        assert TRANSFORMS.get(name) is not None


def test_affine_and_flip_keep_extra_cam_param_keys():
    from mmmar.datasets.transforms.mar_transforms import apply_affine, flip_results
    K = np.array([[500., 0., 60.], [0., 510., 40.], [0., 0., 1.]], np.float32)
    res = dict(img=np.zeros((80, 120, 3), np.uint8),
               cam_param=dict(K=K, f=(500., 510.), c=(60., 40.), dist='kept'))
    A = np.array([[0.5, 0.1, 3.], [-0.1, 0.5, 2.]])
    apply_affine(res, A, (64, 48))
    flip_results(res)
    cam = res['cam_param']
    assert cam['dist'] == 'kept' and list(cam) == ['K', 'f', 'c', 'dist']
    assert cam['K'].dtype == np.float32
    assert cam['f'] == (float(cam['K'][0, 0]), float(cam['K'][1, 1]))
    assert cam['c'] == (float(cam['K'][0, 2]), float(cam['K'][1, 2]))
    assert res['ori_cam_param']['dist'] == 'kept'


def test_flip_swaps_joints_by_the_sample_flip_indices(real_results):
    """The left/right swap comes from the sample's metainfo ``flip_indices`` when given (a
    dataset with another joint order), the MuPoTS skeleton's otherwise."""
    from mmmar.datasets.transforms import MARRandomFlip
    r0 = copy.deepcopy(real_results[0])
    w = r0['img'].shape[1]
    idx = list(range(NUM_JOINTS))
    idx[3], idx[4] = 4, 3  # a made-up skeleton that swaps only joints 3 and 4
    r = MARRandomFlip(prob=1.0)(dict(copy.deepcopy(r0), flip_indices=idx))
    kp0 = r0['keypoints'][0]
    assert np.allclose(r['keypoints'][0, 3], [w - 1 - kp0[4, 0], kp0[4, 1]], atol=1e-3)
    assert np.allclose(r['keypoints'][0, 2], [w - 1 - kp0[2, 0], kp0[2, 1]], atol=1e-3)
    default = MARRandomFlip(prob=1.0)(copy.deepcopy(r0))
    src = kp0[FLIP_INDICES[2]]
    assert np.allclose(default['keypoints'][0, 2], [w - 1 - src[0], src[1]], atol=1e-3)


def test_flip_affine_maps_u_to_mirror_pixel():
    from mmmar.geometry import affine_to_3x3, flip_affine
    F = affine_to_3x3(flip_affine(640))
    for u, v in ((0., 5.), (639., 7.), (100.25, 3.)):
        assert np.allclose(F @ [u, v, 1.], [639. - u, v, 1.])
