import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest
import scipy.io as sio

_CONV = osp.join(osp.dirname(__file__), '../../tools/dataset_converters/mupots_mat_to_json.py')


def _conv():
    spec = importlib.util.spec_from_file_location('mupots_mat_to_json', _CONV)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _write_seq(root, seq, K, num_frames=3, num_people=2, seed=0):
    rng = np.random.default_rng(seed)
    os.makedirs(root / seq, exist_ok=True)
    dt = [('annot2', 'O'), ('annot3', 'O'), ('univ_annot3', 'O'), ('isValidFrame', 'O')]
    ann = np.zeros((num_frames, num_people), dtype=dt)
    occ = np.empty((num_frames, num_people), dtype=object)
    truth = {}
    for f in range(num_frames):
        for p in range(num_people):
            X = rng.uniform(-600, 600, (17, 3)) + [p * 1500 - 700, 0, 4000 + 1000 * p]
            uv = X @ K.T
            uv = uv[:, :2] / uv[:, 2:]
            valid = 0 if (f, p) == (1, 1) else 1
            ann[f, p] = (uv.T.copy(), X.T.copy(), (X.T * 0.95).copy(),
                         np.array([[valid]], np.float64))
            o = np.zeros((1, 17))
            o[0, (f + p) % 17] = 1
            occ[f, p] = o
            truth[(f, p)] = (uv, X, o[0], valid)
    sio.savemat(str(root / seq / 'annot.mat'), {'annotations': ann})
    sio.savemat(str(root / seq / 'occlusion.mat'), {'occlusion_labels': occ})
    return truth


def test_convert_and_load(tmp_path):
    conv = _conv()
    K1 = np.array([[1500., 0, 1020], [0, 1498., 1030], [0, 0, 1]])
    K2 = np.array([[1400., 0, 960], [0, 1401., 540], [0, 0, 1]])
    t1 = _write_seq(tmp_path, 'TS1', K1, seed=1)
    t2 = _write_seq(tmp_path, 'TS2', K2, seed=2, num_frames=4)
    intr = {'TS1': [1500., 1498., 1020., 1030.],
            'TS2': dict(f=[1400., 1401.], c=[960., 540.], width=1920, height=1080)}
    out = conv.convert(str(tmp_path), str(tmp_path / 'out.json'), intrinsics=intr,
                       image_size=(2048, 2048))
    assert len(out['images']) == 3 + 4 and len(out['annotations']) == 2 * 7
    im0 = out['images'][0]
    assert im0['file_name'] == 'TS1/img_000000.jpg' and im0['width'] == 2048
    assert out['images'][3]['file_name'] == 'TS2/img_000000.jpg'
    assert out['images'][3]['width'] == 1920 and out['images'][3]['intrinsic'] == [
        1400., 1401., 960., 540.]
    a = [x for x in out['annotations'] if x['image_id'] == 1][1]  # TS1 frame 1 person 1
    uv, X, o, valid = t1[(1, 1)]
    np.testing.assert_allclose(a['keypoints_img'], uv)
    np.testing.assert_allclose(a['keypoints_cam'], X)
    np.testing.assert_allclose(a['keypoints_univ'], X * 0.95)
    assert a['keypoints_vis'] == (1 - o).astype(int).tolist() and a['is_valid'] == 0
    uv, X, o, valid = t2[(2, 0)]
    a = [x for x in out['annotations'] if x['image_id'] == 3 + 2][0]
    np.testing.assert_allclose(a['keypoints_cam'], X)
    # estimated intrinsics recover the true ones (annot2 is an exact projection here)
    est = conv.convert(str(tmp_path), str(tmp_path / 'est.json'), estimate=True,
                       image_size=(2048, 2048), seqs=['TS1'])
    np.testing.assert_allclose(est['images'][0]['intrinsic'], [1500, 1498, 1020, 1030],
                               rtol=1e-6)
    # CLI + loading with MuPoTS3DDataset
    with open(tmp_path / 'intr.json', 'w') as f:
        json.dump(intr, f)
    conv.main([str(tmp_path), str(tmp_path / 'cli.json'), '--intrinsics',
               str(tmp_path / 'intr.json'), '--image-size', '2048', '2048'])
    from mmmar.datasets import MuPoTS3DDataset
    ds = MuPoTS3DDataset(ann_file=str(tmp_path / 'cli.json'),
                         data_prefix=dict(img=str(tmp_path) + '/'), test_mode=True)
    assert len(ds) == 7
    info = ds.get_data_info(1)
    assert info['seq_name'] == 'TS1' and info['frame_idx'] == 1
    assert info['keypoints_cam'].shape == (1, 17, 3)  # invalid person left out
    assert len(info['raw_ann_info']) == 2
    with pytest.raises(ValueError, match='intrinsics'):
        conv.convert(str(tmp_path), str(tmp_path / 'x.json'), image_size=(1, 1))


def _write_real_layout(root, seq, K, seed=0):
    """annot.mat / occlusion.mat as MuPoTS ships them: MATLAB cell arrays of structs
    ``annotations{frame, person}`` (2 frames x 3 people) and ``occlusion_labels{frame,
    person}`` (1x17 each). Returns {(frame, person): (annot2, annot3, univ_annot3, occ)}."""
    rng = np.random.default_rng(seed)
    os.makedirs(root / seq, exist_ok=True)
    ann = np.empty((2, 3), dtype=object)
    occ = np.empty((2, 3), dtype=object)
    truth = {}
    for f in range(2):
        for p in range(3):
            X = rng.uniform(-600, 600, (17, 3)) + [p * 1500 - 1500, 0, 4000 + 700 * p + 50 * f]
            uv = X @ K.T
            uv = uv[:, :2] / uv[:, 2:]
            U = X * (0.9 + 0.01 * p)
            ann[f, p] = dict(annot2=uv.T.copy(), annot3=X.T.copy(), univ_annot3=U.T.copy(),
                             isValidFrame=np.array([[1.]]))
            o = np.zeros((1, 17))
            o[0, 3 * p + f] = 1
            occ[f, p] = o
            truth[(f, p)] = (uv, X, U, o[0])
    sio.savemat(str(root / seq / 'annot.mat'), {'annotations': ann})
    sio.savemat(str(root / seq / 'occlusion.mat'), {'occlusion_labels': occ})
    return truth, ann, occ


def test_convert_real_layout_cell_array(tmp_path):
    """The default reads annotations{frame, person}, even with more people than frames."""
    conv = _conv()
    K = np.array([[1500., 0, 1020], [0, 1498., 1030], [0, 0, 1]])
    truth, ann, occ = _write_real_layout(tmp_path, 'TS1', K, seed=5)
    # a MATLAB cell array of structs, read back as scipy gives it
    mat = sio.loadmat(str(tmp_path / 'TS1' / 'annot.mat'))['annotations']
    assert mat.shape == (2, 3) and mat.dtype == object and mat[0, 0].dtype.names
    intr = [1500., 1498., 1020., 1030.]
    conv.main([str(tmp_path), str(tmp_path / 'cli.json'), '--image-size', '2048', '2048',
               '--intrinsics', _intr_file(tmp_path, intr)])
    with open(tmp_path / 'cli.json') as f:
        out = json.load(f)
    assert [im['frame_idx'] for im in out['images']] == [0, 1]
    assert [im['file_name'] for im in out['images']] == [
        'TS1/img_000000.jpg', 'TS1/img_000001.jpg']
    assert len(out['annotations']) == 6
    for f in range(2):
        anns = [a for a in out['annotations'] if a['image_id'] == out['images'][f]['id']]
        assert len(anns) == 3
        for p, a in enumerate(anns):
            uv, X, U, o = truth[(f, p)]
            np.testing.assert_allclose(a['keypoints_img'], uv)
            np.testing.assert_allclose(a['keypoints_cam'], X)
            np.testing.assert_allclose(a['keypoints_univ'], U)
            assert a['keypoints_vis'] == (1 - o).astype(int).tolist()
            assert 'univ_annot3' not in a  # one name in the data contract
    # a transposed file needs --layout people_frames and gives the same result
    sio.savemat(str(tmp_path / 'TS1' / 'annot.mat'), {'annotations': ann.T.copy()})
    sio.savemat(str(tmp_path / 'TS1' / 'occlusion.mat'), {'occlusion_labels': occ.T.copy()})
    tr = conv.convert(str(tmp_path), str(tmp_path / 't.json'), intrinsics=intr,
                      image_size=(2048, 2048), layout='people_frames')
    assert tr['annotations'] == out['annotations']
    with pytest.raises(ValueError, match='layout'):
        conv.convert(str(tmp_path), str(tmp_path / 'x.json'), intrinsics=intr,
                     image_size=(2048, 2048), layout='auto')


def _intr_file(tmp_path, intr):
    with open(tmp_path / 'intr1.json', 'w') as f:
        json.dump(intr, f)
    return str(tmp_path / 'intr1.json')


def test_convert_bad_mat(tmp_path):
    conv = _conv()
    os.makedirs(tmp_path / 'TS1')
    dt = [('annot2', 'O'), ('annot3', 'O'), ('isValidFrame', 'O')]
    ann = np.zeros((2, 1), dtype=dt)
    for f in range(2):
        ann[f, 0] = (np.zeros((2, 16)), np.zeros((3, 17)), np.ones((1, 1)))
    sio.savemat(str(tmp_path / 'TS1' / 'annot.mat'), {'annotations': ann})
    with pytest.raises(ValueError, match='annot2.*2x17'):
        conv.convert(str(tmp_path), str(tmp_path / 'o.json'), intrinsics=[1, 1, 0, 0],
                     image_size=(8, 8))
