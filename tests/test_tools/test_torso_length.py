"""tools/analysis_tools/compute_torso_length.py on a MuCo-3DHP JSON (3DMPPE release format)
and on the real 3D fixtures; the config's Omega is that measured value."""
import json
import os.path as osp
import pickle

import numpy as np
import pytest

from mmmar.testing import SHARED_DATA as DATA
from mmmar.testing import load_script

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
#: (fixture, joint order, pelvis index, neck index), indices from the datasets' own joint
#: lists: MPI-INF-3DHP 17 = MuPoTS order (pelvis 14, neck 1); Human3.6M (root 0, thorax 8)
FIXTURES = (('mpi_inf_3dhp/test_3dhp_train.npz', 'mupots', 14, 1),
            ('mpi_inf_3dhp/test_3dhp_test.npz', 'mupots', 14, 1),
            ('h36m/test_h36m_body3d.npz', 'h36m', 0, 8))


def _tool():
    return load_script('tools/analysis_tools/compute_torso_length.py')


def _hand(name, r, m):
    S = np.load(osp.join(DATA, name))['S'].astype(np.float64)
    return np.linalg.norm(S[:, m, :3] - S[:, r, :3], axis=-1) * 1000.


def _muco_json(path):
    """A MuCo-3DHP.json in the 3DMPPE layout (images with f/c, annotations with 21-joint
    keypoints_cam / keypoints_img, no is_valid) holding the 4 real MPI-INF-3DHP people."""
    images, anns = [], []
    for split in ('train', 'test'):
        d = np.load(osp.join(DATA, 'mpi_inf_3dhp', f'test_3dhp_{split}.npz'))
        with open(osp.join(DATA, 'mpi_inf_3dhp', f'cameras_{split}.pkl'), 'rb') as f:
            cams = pickle.load(f)
        for i, name in enumerate(d['imgname']):
            cam = cams['_'.join(str(name).split('_')[:1 if split == 'test' else 3])]
            f_, c_ = np.ravel(cam['f']).tolist(), np.ravel(cam['c']).tolist()
            X = d['S'][i, :, :3] * 1000.
            # the four MuCo extras (r_hand, l_hand, r_toe, l_toe) near wrists / ankles
            X21 = np.concatenate([X, X[[4, 7, 10, 13]] + [0., 80., 60.]])
            uv = X21[:, :2] / X21[:, 2:] * f_ + c_
            iid = len(images)
            images.append(dict(id=iid, file_name=f'unaugmented_set/{iid}/{name}', width=2048,
                               height=2048, f=f_, c=c_))
            anns.append(dict(id=iid, image_id=iid, category_id=1, iscrowd=0,
                             keypoints_cam=X21.tolist(), keypoints_img=uv.tolist(),
                             bbox=[float(uv[:, 0].min()), float(uv[:, 1].min()),
                                   float(np.ptp(uv[:, 0])), float(np.ptp(uv[:, 1]))],
                             area=1.))
    with open(path, 'w') as f:
        json.dump(dict(images=images, annotations=anns,
                       categories=[dict(id=1, name='person')]), f)
    return str(path)


def test_muco_json(tmp_path):
    tool = _tool()
    ann = _muco_json(tmp_path / 'MuCo-3DHP.json')
    expected = np.concatenate([_hand(n, r, m) for n, _, r, m in FIXTURES[:2]])
    np.testing.assert_allclose(tool.torso_lengths(ann), expected, rtol=1e-9)
    assert tool.main([ann]) == pytest.approx(expected.mean(), rel=1e-9)
    # the very file the training dataset reads, with the same pelvis-neck lengths
    from mmmar.datasets import MuCo3DHPDataset
    ds = MuCo3DHPDataset(ann_file=ann, data_prefix=dict(img=str(tmp_path) + '/'))
    cam = np.concatenate([ds.get_data_info(i)['keypoints_cam'] for i in range(len(ds))])
    np.testing.assert_allclose(np.linalg.norm(cam[:, 1] - cam[:, 14], axis=-1), expected,
                               rtol=1e-5)


def test_bad_inputs(tmp_path):
    tool = _tool()
    ann = _muco_json(tmp_path / 'm.json')
    with open(ann) as f:
        data = json.load(f)
    for a in data['annotations']:  # metres instead of mm
        a['keypoints_cam'] = (np.asarray(a['keypoints_cam']) / 1000.).tolist()
    with open(tmp_path / 'metres.json', 'w') as f:
        json.dump(data, f)
    with pytest.raises(ValueError, match='metres.json.*units'):
        tool.torso_lengths(str(tmp_path / 'metres.json'))
    del data['annotations'][1]['keypoints_cam']
    with open(tmp_path / 'nokey.json', 'w') as f:
        json.dump(data, f)
    with pytest.raises(ValueError, match='nokey.json.*annotation #1.*keypoints_cam'):
        tool.torso_lengths(str(tmp_path / 'nokey.json'))


def test_fixtures_and_config_omega():
    """The real fixtures' pelvis-neck lengths (H36M: pelvis-thorax) and the config default."""
    tool = _tool()
    per_file = []
    for name, order, r, m in FIXTURES:
        lengths = tool.torso_lengths(osp.join(DATA, name), order=order)
        np.testing.assert_allclose(lengths, _hand(name, r, m), rtol=1e-9)
        per_file.append(lengths)
    pooled = np.concatenate(per_file)
    assert pooled.size == 8
    args = [osp.join(DATA, n) for n, *_ in FIXTURES] + ['--order'] + [o for _, o, *_ in
                                                                      FIXTURES]
    assert tool.main(args) == pytest.approx(pooled.mean(), rel=1e-9)
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'mar_hrnet-w32_muco.py'))
    assert cfg.model.head.omega == pytest.approx(pooled.mean(), abs=0.05)
