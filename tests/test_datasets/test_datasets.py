import json
import os
import os.path as osp

import numpy as np
import pytest

from mmmar.structures.skeleton import FLIP_INDICES, JOINT_NAMES, LIMBS, NUM_JOINTS
from mmmar.testing import SHARED_DATA as DATA
from mmmar.testing import dump_json, write_jpeg


def _ann(aid, img_id, nj=21, seed=0, **kw):
    rng = np.random.default_rng(seed)
    cam = rng.uniform(-500, 500, (nj, 3)) + [0, 0, 4000]
    kp = rng.uniform(0, 40, (nj, 2))
    kp[0] = [70, 10]  # joint 0 outside a 64 x 48 image
    a = dict(id=aid, image_id=img_id, keypoints_cam=cam.tolist(), keypoints_img=kp.tolist(),
             keypoints_vis=[1] * (nj - 1) + [0], bbox=[5, 6, 20, 30], is_valid=1)
    a.update(kw)
    return a


@pytest.fixture
def muco(tmp_path):
    os.makedirs(tmp_path / 'img' / 'unit_1')
    write_jpeg(tmp_path / 'img' / 'unit_1' / 'a.jpg', seed=1)
    write_jpeg(tmp_path / 'img' / 'unit_1' / 'b.jpg', seed=2)
    d = dict(images=[
        dict(id=1, file_name='unit_1/a.jpg', width=64, height=48, f=[500., 510.], c=[32., 24.]),
        dict(id=2, file_name='unit_1/b.jpg', width=64, height=48, f=[400., 400.], c=[30., 20.])],
        annotations=[_ann(10, 1, seed=1), _ann(11, 1, seed=2)])
    return tmp_path, d


def test_muco(muco):
    from mmmar.datasets import MuCo3DHPDataset
    from mmmar.datasets.transforms import MARLoadImage
    root, d = muco
    ann_file = dump_json(root / 'muco.json', d)
    ds = MuCo3DHPDataset(ann_file=ann_file, data_prefix=dict(img=str(root / 'img') + '/'),
                         test_mode=True)
    assert len(ds) == 2
    info = ds.get_data_info(0)
    assert info['keypoints'].shape == (2, 17, 2) and info['keypoints_cam'].shape == (2, 17, 3)
    np.testing.assert_allclose(info['keypoints_cam'][1],
                               np.asarray(d['annotations'][1]['keypoints_cam'])[:17], rtol=1e-6)
    np.testing.assert_allclose(info['keypoints'][0],
                               np.asarray(d['annotations'][0]['keypoints_img'])[:17], rtol=1e-6)
    assert info['keypoints_visible'][0, 0] == 0  # outside the image
    assert info['keypoints_visible'][0, 1:].all()  # (vis 0 was joint 20, dropped)
    assert info['keypoints_valid'].all() and info['has_depth'].tolist() == [1, 1]
    np.testing.assert_allclose(info['cam_param']['K'], [[500, 0, 32], [0, 510, 24], [0, 0, 1]])
    np.testing.assert_allclose(info['bbox'][0], [5, 6, 25, 36])
    assert info['data_source'] == 'muco3dhp'
    empty = ds.get_data_info(1)
    assert empty['keypoints'].shape == (0, 17, 2) and empty['keypoints_cam'].shape == (0, 17, 3)
    assert empty['keypoints_visible'].shape == (0, 17) and empty['bbox'].shape == (0, 4)
    r = MARLoadImage()(ds.get_data_info(0))
    assert r['img'].shape == (48, 64, 3)
    # training with filter_empty_gt drops (and counts) the empty image
    ds2 = MuCo3DHPDataset(ann_file=ann_file, data_prefix=dict(img=str(root / 'img') + '/'),
                          filter_cfg=dict(filter_empty_gt=True))
    assert len(ds2) == 1 and ds2.num_filtered_empty == 1
    # registry build
    from mmpose.registry import DATASETS
    ds3 = DATASETS.build(dict(type='MuCo3DHPDataset', ann_file=ann_file,
                              data_prefix=dict(img=str(root / 'img') + '/')))
    assert len(ds3) == 2


def test_mupots(tmp_path):
    from mmmar.datasets import MuPoTS3DDataset
    os.makedirs(tmp_path / 'TS3')
    write_jpeg(tmp_path / 'TS3' / 'img_000005.jpg')
    write_jpeg(tmp_path / 'TS3' / 'img_000006.jpg')
    a0 = _ann(0, 7, nj=17, seed=3)
    a0['univ_annot3'] = (np.asarray(a0['keypoints_cam']) * 0.9).tolist()
    a1 = _ann(1, 7, nj=17, seed=4, is_valid=0)
    a1['univ_annot3'] = a0['univ_annot3']
    d = dict(images=[dict(id=7, file_name='TS3/img_000005.jpg', width=64, height=48,
                          intrinsic=[1400., 1401., 30., 22.]),
                     dict(id=8, file_name='TS3/img_000006.jpg', width=64, height=48,
                          intrinsic=[1400., 1401., 30., 22.], frame_idx=42)],
             annotations=[a0, a1])
    ds = MuPoTS3DDataset(ann_file=dump_json(tmp_path / 'mupots.json', d),
                         data_prefix=dict(img=str(tmp_path) + '/'), test_mode=True)
    i0, i1 = ds.get_data_info(0), ds.get_data_info(1)
    assert i0['seq_name'] == 'TS3' and i0['frame_idx'] == 5 and i1['frame_idx'] == 42
    assert i0['raw_ann_info'] == [a0, a1]  # exactly as in the file, invalid one included
    assert i0['keypoints_cam'].shape == (1, 17, 3)  # is_valid=0 left out of the arrays
    np.testing.assert_allclose(i0['keypoints_univ'][0], a0['univ_annot3'], rtol=1e-6)
    np.testing.assert_allclose(i0['cam_param']['K'][:2], [[1400, 0, 30], [0, 1401, 22]])
    assert i1['raw_ann_info'] == [] and i1['keypoints'].shape == (0, 17, 2)


def test_bad_inputs(muco):
    from mmmar.datasets import MuCo3DHPDataset, MuPoTS3DDataset
    from mmmar.datasets.transforms import MARLoadImage
    root, d = muco
    prefix = dict(img=str(root / 'img') + '/')
    # missing field
    bad = json.loads(json.dumps(d))
    del bad['annotations'][1]['keypoints_cam']
    with pytest.raises(KeyError, match='keypoints_cam') as e:
        MuCo3DHPDataset(ann_file=dump_json(root / 'bad1.json', bad), data_prefix=prefix)
    assert 'bad1.json' in str(e.value)
    bad = json.loads(json.dumps(d))
    del bad['images'][0]['f']
    with pytest.raises(KeyError, match='f/c'):
        MuCo3DHPDataset(ann_file=dump_json(root / 'bad2.json', bad), data_prefix=prefix)
    # wrong joint count
    bad = json.loads(json.dumps(d))
    bad['annotations'][0]['keypoints_cam'] = bad['annotations'][0]['keypoints_cam'][:18]
    with pytest.raises(ValueError, match='18 joints'):
        MuCo3DHPDataset(ann_file=dump_json(root / 'bad3.json', bad), data_prefix=prefix)
    with pytest.raises(ValueError, match='21 joints'):  # MuPoTS wants 17
        MuPoTS3DDataset(ann_file=dump_json(root / 'bad4.json', d), data_prefix=prefix)
    with pytest.raises(FileNotFoundError, match='nope.json'):
        MuCo3DHPDataset(ann_file=str(root / 'nope.json'))
    # missing image: clear error at load time (option) and in the loader
    bad = json.loads(json.dumps(d))
    bad['images'][1]['file_name'] = 'unit_1/missing.jpg'
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        MuCo3DHPDataset(ann_file=dump_json(root / 'bad5.json', bad), data_prefix=prefix,
                        check_image_exists=True)
    ds = MuCo3DHPDataset(ann_file=dump_json(root / 'bad5.json', bad), data_prefix=prefix)
    with pytest.raises(FileNotFoundError, match='missing.jpg'):
        MARLoadImage()(ds.get_data_info(1))
    # corrupt JPEG: truncated file and garbage bytes
    good = (root / 'img' / 'unit_1' / 'b.jpg').read_bytes()
    (root / 'img' / 'unit_1' / 'b.jpg').write_bytes(good[:len(good) // 2])
    ds = MuCo3DHPDataset(ann_file=dump_json(root / 'ok.json', d), data_prefix=prefix,
                         pipeline=[MARLoadImage()], filter_cfg=None)
    n0 = MARLoadImage.num_skipped
    assert MARLoadImage()(ds.get_data_info(1)) is None
    assert MARLoadImage.num_skipped == n0 + 1
    with pytest.raises(ValueError, match='b.jpg.*truncated'):
        MARLoadImage(on_corrupt='raise')(ds.get_data_info(1))
    # training: the dataset re-samples, never returns the broken sample
    for _ in range(5):
        out = ds[1]
        assert out['img_path'].endswith('a.jpg') and out['img'].shape == (48, 64, 3)
    (root / 'img' / 'unit_1' / 'b.jpg').write_bytes(b'\xff\xd8garbage' * 10 + b'\xff\xd9')
    assert MARLoadImage()(ds.get_data_info(1)) is None
    # a decoded image whose size differs from the annotation is not silently used
    write_jpeg(root / 'img' / 'unit_1' / 'b.jpg', w=32, h=32)
    with pytest.raises(ValueError, match='differs'):
        MARLoadImage(on_corrupt='raise')(ds.get_data_info(1))


def test_metainfo_matches_skeleton(tmp_path, monkeypatch):
    from mmmar.datasets import MUPOTS3D_METAINFO_FILE, MuCo3DHPDataset
    assert osp.isabs(MUPOTS3D_METAINFO_FILE)
    monkeypatch.chdir(tmp_path)
    meta = MuCo3DHPDataset.METAINFO
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    m = parse_pose_metainfo(dict(meta))
    assert m['num_keypoints'] == NUM_JOINTS
    assert tuple(m['keypoint_id2name'][i] for i in range(NUM_JOINTS)) == JOINT_NAMES
    assert tuple(m['flip_indices']) == tuple(FLIP_INDICES)
    assert [tuple(link) for link in m['skeleton_links']] == [tuple(limb) for limb in LIMBS]
    assert len(m['sigmas']) == NUM_JOINTS


def test_coco(tmp_path):
    from mmmar.datasets import CocoMARDataset
    from mmmar.datasets.transforms import MARLoadImage
    src = json.load(open(f'{DATA}/coco/test_coco.json'))
    src['images'].append(dict(id=999, file_name='000000000785.jpg', width=640, height=425))
    ann_file = dump_json(tmp_path / 'coco.json', src)
    ds = CocoMARDataset(ann_file=ann_file, data_prefix=dict(img=f'{DATA}/coco/'),
                        test_mode=True)
    assert len(ds) == 5
    by_id = {ds.get_data_info(i)['img_id']: ds.get_data_info(i) for i in range(len(ds))}
    for img_id, info in by_id.items():
        anns = [a for a in src['annotations'] if a['image_id'] == img_id and
                not a['iscrowd'] and a['num_keypoints'] > 0]
        assert info['keypoints'].shape == (len(anns), 17, 2)
        assert info['has_depth'].shape == (len(anns), ) and not info['has_depth'].any()
        for n, a in enumerate(anns):
            k = np.asarray(a['keypoints'], np.float32).reshape(17, 3)
            # r_shoulder = COCO right_shoulder (6), l_ankle = COCO left_ankle (15)
            if k[6, 2] > 0:
                np.testing.assert_allclose(info['keypoints'][n, 2], k[6, :2])
            if k[15, 2] > 0:
                np.testing.assert_allclose(info['keypoints'][n, 13], k[15, :2])
            both = k[5, 2] > 0 and k[6, 2] > 0
            assert info['keypoints_valid'][n, 1] == float(both)
            if both:
                np.testing.assert_allclose(info['keypoints'][n, 1], (k[5, :2] + k[6, :2]) / 2)
            assert info['keypoints_valid'][n, [0, 15, 16]].sum() == 0
            assert info['keypoints_visible'][n, [0, 15, 16]].sum() == 0
    assert by_id[999]['keypoints'].shape == (0, 17, 2)
    # persons without keypoints -> ignored regions
    r = MARLoadImage(with_ignore_mask=True)(by_id[40083])
    assert r['ignore_mask'].shape == r['img'].shape[:2] and r['ignore_mask'].any()
    r = MARLoadImage(with_ignore_mask=True)(by_id[785])
    assert not r['ignore_mask'].any()
    ds_train = CocoMARDataset(ann_file=ann_file, data_prefix=dict(img=f'{DATA}/coco/'),
                              filter_cfg=dict(filter_empty_gt=True))
    assert len(ds_train) == 4 and ds_train.num_filtered_empty == 1


def test_h36m():
    import pickle

    from mmmar.datasets import H36MMARDataset
    kw = dict(ann_file=f'{DATA}/h36m/test_h36m_body3d.npz',
              camera_param_file=f'{DATA}/h36m/cameras.pkl',
              data_prefix=dict(img=f'{DATA}/h36m/'))
    ds = H36MMARDataset(**kw)
    assert len(ds) == 4  # S1, S5, S7, S8 frames 1, 2061, 396, 26: all on the 5-stride
    raw = np.load(kw['ann_file'])
    cams = pickle.load(open(kw['camera_param_file'], 'rb'))
    for i in range(4):
        info = ds.get_data_info(i)
        S = raw['S'][i, :, :3] * 1000
        kc = info['keypoints_cam'][0]
        np.testing.assert_allclose(kc[0], S[10], rtol=1e-5)  # head_top = H36M head
        np.testing.assert_allclose(kc[1], S[8], rtol=1e-5)  # neck = thorax
        np.testing.assert_allclose(kc[14], S[0], rtol=1e-5)  # pelvis = root
        np.testing.assert_allclose(kc[16], S[9], rtol=1e-5)  # head = neck/nose
        np.testing.assert_allclose(kc[2], S[14], rtol=1e-5)  # r_shoulder
        np.testing.assert_allclose(kc[13], S[6], rtol=1e-5)  # l_ankle = lfoot
        # projected 2D close to the annotated 2D (distortion not modelled)
        part = raw['part'][i][list(__import__('mmmar.datasets', fromlist=['x']).H36M_TO_MAR), :2]
        assert np.abs(info['keypoints'][0] - part).max() < 4
        subj = info['subject']
        assert np.isclose(info['cam_param']['K'][0, 0],
                          cams[(subj, info['camera_id'])]['f'].ravel()[0])
        assert osp.isfile(info['img_path'])
    assert len(H36MMARDataset(**kw, test_mode=True)) == 0  # S9/S11 not in the fixture
    assert len(H36MMARDataset(**kw, frame_stride=64)) == 1  # only frame 1
    assert len(H36MMARDataset(**kw, subjects=['S5'])) == 1
    part_ds = H36MMARDataset(**kw, keypoints_2d='part')
    np.testing.assert_allclose(part_ds.get_data_info(0)['keypoints'][0, 14],
                               raw['part'][0, 0, :2], rtol=1e-5)


def test_synthetic_loads_as_mupots_and_muco(synth):
    from mmmar.datasets import MARSyntheticDataset, MuCo3DHPDataset, MuPoTS3DDataset
    from mmmar.datasets.transforms import MARLoadImage
    prefix = dict(img=synth['img_dir'] + '/')
    for cls in (MuPoTS3DDataset, MuCo3DHPDataset, MARSyntheticDataset):
        ds = cls(ann_file=synth['test_json'], data_prefix=prefix, test_mode=True)
        assert len(ds) == synth['num_test']
        info = MARLoadImage(on_corrupt='raise')(ds.get_data_info(0))
        assert info['img'].shape == (512, 512, 3)
    info = MuPoTS3DDataset(ann_file=synth['test_json'], data_prefix=prefix,
                           test_mode=True).get_data_info(0)
    assert info['seq_name'] == 'TS1' and info['frame_idx'] == 0
    np.testing.assert_allclose(info['keypoints_univ'], info['keypoints_cam'])


def test_instance_builders_and_cam_param():
    from mmmar.datasets import empty_instances, make_cam_param, pack_instances
    from mmmar.structures import cam_param as cam_param_mod
    assert make_cam_param is cam_param_mod.make_cam_param
    cam = make_cam_param(500., 510., 255.5, 191.5)
    assert cam['K'].dtype == np.float32 and cam['f'] == (500., 510.) and cam['c'] == (255.5, 191.5)
    empty = empty_instances()
    assert empty['bbox'].shape == (0, 4) and empty['keypoints'].shape == (0, NUM_JOINTS, 2)
    assert empty['keypoints_cam'].shape == (0, NUM_JOINTS, 3) and empty['id'] == []
    for key in ('bbox', 'bbox_score', 'keypoints', 'keypoints_visible', 'keypoints_valid',
                'keypoints_cam', 'has_depth', 'area'):
        assert empty[key].dtype == np.float32, key
    for key in ('category_id', 'iscrowd', 'num_keypoints'):
        assert empty[key].dtype == np.int64 and empty[key].shape == (0, ), key
    vis = np.zeros((2, NUM_JOINTS), np.float32)
    vis[0, :3] = 1
    inst = pack_instances(np.array([[0, 0, 10, 20], [5, 5, 6, 8]], np.float32),
                          np.zeros((2, NUM_JOINTS, 2), np.float32), vis, np.ones_like(vis),
                          None, True, [7, 8])
    assert list(inst) == list(empty)
    np.testing.assert_array_equal(inst['num_keypoints'], [3, 0])
    np.testing.assert_array_equal(inst['area'], [200., 3.])
    np.testing.assert_array_equal(inst['has_depth'], [1., 1.])
    assert inst['keypoints_cam'].shape == (2, NUM_JOINTS, 3) and not inst['keypoints_cam'].any()
