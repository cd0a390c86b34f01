"""Issue 15.3: the paper config reads MuCo-3DHP and MuPoTS-3D as they are downloaded.

A small tree in each layout is generated under ``<tmp>/data`` and the datasets are built from
``configs/mar_hrnet-w32_muco.py`` exactly as configured (the working directory is ``<tmp>``):

* the 3DMPPE MuCo-3DHP release: ``data/MuCo/data/MuCo-3DHP.json`` beside ``augmented_set/``
  and ``unaugmented_set/`` (the JSON's ``file_name`` starts with those folders; 21 joints);
* the official MuPoTS-3D download ``MultiPersonTestSet/TS*/img_*.jpg`` with the 3DMPPE
  ``MuPoTS-3D.json`` beside it in ``data/MuPoTS/data/``.
"""
import os
import os.path as osp

import numpy as np
from mmengine.config import Config

from mmmar.testing import dump_json, write_jpeg

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIG = osp.join(ROOT, 'configs', 'mar_hrnet-w32_muco.py')


def _person(rng, nj, K, aid, img_id):
    cam = rng.uniform(-60, 60, (nj, 3)) + [0, 0, 4000]  # projects inside 64 x 48
    uv = cam[:, :2] / cam[:, 2:] * [K[0], K[1]] + [K[2], K[3]]
    return dict(id=aid, image_id=img_id, keypoints_cam=cam.tolist(),
                keypoints_img=uv.tolist(), bbox=[1., 2., 30., 40.])


def _write_layout(tmp_path, kind, files, nj):
    """Images at ``files`` (relative to the image folder of the layout) and their JSON."""
    rng = np.random.default_rng(0)
    if kind == 'muco':
        base, img_dir, ann = tmp_path / 'data/MuCo/data', tmp_path / 'data/MuCo/data', \
            'MuCo-3DHP.json'
    else:
        base, img_dir, ann = tmp_path / 'data/MuPoTS/data', \
            tmp_path / 'data/MuPoTS/data/MultiPersonTestSet', 'MuPoTS-3D.json'
    images, anns = [], []
    for i, rel in enumerate(files):
        os.makedirs(osp.dirname(img_dir / rel), exist_ok=True)
        write_jpeg(img_dir / rel, seed=i)
        K = [1500. + i, 1490., 32., 24.]
        images.append(dict(id=i + 1, file_name=rel, width=64, height=48, f=K[:2], c=K[2:]))
        anns.append(_person(rng, nj, K, i + 1, i + 1))
    dump_json(base / ann, dict(images=images, annotations=anns))
    return images, anns, img_dir


def _build(ds_cfg):
    from mmpose.registry import DATASETS

    from mmmar.utils import register_all_modules
    register_all_modules()
    ds_cfg = ds_cfg.copy()
    ds_cfg.update(pipeline=[], check_image_exists=True)  # every image must be found
    return DATASETS.build(ds_cfg)


def _check(ds, images, anns, img_dir):
    from mmmar.datasets.transforms import MARLoadImage
    assert len(ds) == len(images)
    for i, img in enumerate(images):
        info = ds.get_data_info(i)
        assert osp.samefile(info['img_path'], img_dir / img['file_name'])
        np.testing.assert_allclose(info['keypoints_cam'][0],
                                   np.asarray(anns[i]['keypoints_cam'])[:17], rtol=1e-6)
        np.testing.assert_allclose(info['cam_param']['K'][0], [img['f'][0], 0, img['c'][0]])
        assert MARLoadImage()(info)['img'].shape == (48, 64, 3)


def test_muco_3dmppe_release_layout(tmp_path, monkeypatch):
    files = ['augmented_set/1/img_000001.jpg', 'unaugmented_set/2/img_000002.jpg',
             'unaugmented_set/2/img_000003.jpg']
    images, anns, img_dir = _write_layout(tmp_path, 'muco', files, nj=21)
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(CONFIG)
    muco = cfg.train_dataloader.dataset.datasets[0]
    assert muco.type == 'MuCo3DHPDataset'
    _check(_build(muco), images, anns, img_dir)


def test_mupots_official_download_layout(tmp_path, monkeypatch):
    files = ['TS1/img_000000.jpg', 'TS1/img_000001.jpg', 'TS20/img_000000.jpg']
    images, anns, img_dir = _write_layout(tmp_path, 'mupots', files, nj=17)
    monkeypatch.chdir(tmp_path)
    cfg = Config.fromfile(CONFIG)
    ds = _build(cfg.val_dataloader.dataset)
    _check(ds, images, anns, img_dir)
    assert [ds.get_data_info(i)['seq_name'] for i in range(3)] == ['TS1', 'TS1', 'TS20']
    assert [ds.get_data_info(i)['frame_idx'] for i in range(3)] == [0, 1, 0]
