"""MARInferencer's machinery (intrinsics in, all fields out, JSON, bad inputs) with a stub
model that returns hand-made predictions; the real model is tested in test_inferencer_model.py.
"""
import json
import os
import os.path as osp
import uuid

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.model import BaseModel
from mmpose.registry import MODELS

from mmmar.apis import MARInferencer, MARInputError, default_intrinsics
from mmmar.structures.skeleton import NUM_JOINTS
from mmmar.testing import make_pred_instances

W, H = 96, 64


@MODELS.register_module(name='_StubMARModel', force=True)
class _StubMARModel(BaseModel):
    """Returns 2 people (0 for images named 'empty*'); records the K it was given."""

    def __init__(self, data_preprocessor=None, test_cfg=None):
        super().__init__(data_preprocessor=data_preprocessor)
        self.test_cfg = dict(test_cfg or {})
        self.dummy = torch.nn.Linear(1, 1)

    def forward(self, inputs, data_samples=None, mode='predict'):
        for ds in data_samples:
            K = np.asarray(ds.metainfo['cam_param']['K'], np.float64)
            n = 0 if osp.basename(ds.img_path).startswith('empty') else 2
            ds.pred_instances = make_pred_instances(n, K)
            ds.set_metainfo(dict(stub_K=K))
        return data_samples


def _cfg():
    return ConfigDict(
        default_scope='mmpose',
        data_mode='bottomup',
        model=dict(
            type='_StubMARModel',
            data_preprocessor=dict(type='PoseDataPreprocessor'),
            test_cfg=dict()),
        test_dataloader=dict(dataset=dict(pipeline=[
            dict(type='LoadImage'),
            dict(
                type='PackPoseInputs',
                meta_keys=('id', 'img_id', 'img_path', 'ori_shape',
                           'img_shape', 'cam_param'))
        ])),
        visualizer=dict(type='PoseLocalVisualizer',
                        name=f'vis-{uuid.uuid4().hex}'))


@pytest.fixture(scope='module')
def inferencer():
    return MARInferencer(_cfg(), device='cpu')


def _img(path, w=W, h=H):
    img = np.zeros((h, w, 3), np.uint8)
    img[h // 4:3 * h // 4, w // 4:3 * w // 4] = 200
    cv2.imwrite(str(path), img)
    return str(path)


def _check_person(p):
    assert np.asarray(p['keypoints_3d']).shape == (NUM_JOINTS, 3)
    assert np.asarray(p['keypoints']).shape == (NUM_JOINTS, 2)
    assert np.asarray(p['keypoint_scores']).shape == (NUM_JOINTS, )
    for key in ('root_depth', 'root_depth_reg', 'root_depth_geo', 'sigma_reg',
                'sigma_geo', 'bbox_score'):
        assert isinstance(p[key], float), key
    assert np.asarray(p['bbox']).shape == (4, )
    assert p['root_depth'] == pytest.approx(p['keypoints_3d'][14][2], abs=1)


def test_visualizer_upgraded(inferencer):
    from mmmar.visualization import MARPose3DVisualizer
    assert isinstance(inferencer.visualizer, MARPose3DVisualizer)
    assert inferencer.model.dataset_meta['num_keypoints'] == NUM_JOINTS


def test_image_default_intrinsics_and_outputs(inferencer, tmp_path):
    path = _img(tmp_path / 'a.jpg')
    results = list(inferencer(path, pred_out_dir=str(tmp_path / 'pred'),
                              vis_out_dir=str(tmp_path / 'vis')))
    assert len(results) == 1
    res = results[0]
    assert res['failed'] == [] and res['img_paths'] == [path]
    people = res['predictions'][0]
    assert len(people) == 2
    for p in people:
        _check_person(p)
    K_def = default_intrinsics(W, H)
    assert res['intrinsics'][0]['source'] == 'default-fov60'
    np.testing.assert_allclose(res['intrinsics'][0]['K'], K_def, rtol=1e-6)
    # what the model saw is what is recorded
    with open(tmp_path / 'pred' / 'a.json') as f:
        js = json.load(f)
    assert js['img_path'] == path and js['image_size'] == [W, H]
    assert js['intrinsics']['source'] == 'default-fov60'
    assert len(js['instances']) == 2
    _check_person(js['instances'][0])
    vis = cv2.imread(str(tmp_path / 'vis' / 'a.jpg'))
    assert vis.shape == (H, W + 2 * H, 3)


def test_user_intrinsics_forms(inferencer, tmp_path):
    path = _img(tmp_path / 'b.png')
    K = np.array([[150., 0, 40], [0, 160., 30], [0, 0, 1]])
    for kwargs in (dict(intrinsics=K), dict(cam_param=[150, 160, 40, 30]),
                   dict(intrinsics={'b.png': K.tolist()}),
                   dict(cam_param=dict(f=[150, 160], c=[40, 30]))):
        res = next(inferencer(path, return_datasamples=True, **kwargs))
        assert res['intrinsics'][0]['source'] == 'user'
        np.testing.assert_allclose(res['intrinsics'][0]['K'], K)
        ds = res['predictions'][0]
        np.testing.assert_allclose(ds.metainfo['stub_K'], K)
    # per-image dict without this image: default
    res = next(inferencer(path, intrinsics={'other.png': K}))
    assert res['intrinsics'][0]['source'] == 'default-fov60'
    # constructor default
    inf2 = MARInferencer(_cfg(), device='cpu', intrinsics=K, fov_deg=50)
    assert next(inf2(path))['intrinsics'][0]['source'] == 'user'
    inf3 = MARInferencer(pose2d=_cfg(), device='cpu', fov_deg=50)
    rec = next(inf3(path))['intrinsics'][0]
    assert rec['source'] == 'default-fov50'
    np.testing.assert_allclose(rec['K'], default_intrinsics(W, H, 50),
                               rtol=1e-6)


def test_empty_image_and_arrays(inferencer, tmp_path):
    path = _img(tmp_path / 'empty_scene.jpg')
    res = next(inferencer(path, pred_out_dir=str(tmp_path / 'p')))
    assert res['predictions'] == [[]]
    with open(tmp_path / 'p' / 'empty_scene.json') as f:
        assert json.load(f)['instances'] == []
    arr = np.zeros((H, W, 3), np.uint8)
    res = list(inferencer([arr, arr[..., 0]], return_vis=True))
    assert len(res) == 2 and all(len(r['predictions'][0]) == 2 for r in res)
    assert res[0]['visualization'][0].shape == (H, W + 2 * H, 3)
    res = next(inferencer(arr, return_vis=True, draw_3d=False))
    assert res['visualization'][0].shape == (H, W, 3)


def test_bad_single_inputs(inferencer, tmp_path):
    cases = {}
    cases['missing'] = str(tmp_path / 'nope.jpg')
    empty = tmp_path / 'zero.jpg'
    empty.write_bytes(b'')
    cases['zero'] = str(empty)
    text = tmp_path / 'notes.jpg'
    text.write_text('this is not an image')
    cases['text'] = str(text)
    txt = tmp_path / 'notes.txt'
    txt.write_text('this is not an image')
    cases['txt'] = str(txt)
    ok, buf = cv2.imencode('.jpg', np.full((32, 32, 3), 90, np.uint8))
    trunc = tmp_path / 'truncated.jpg'
    trunc.write_bytes(buf.tobytes()[:len(buf) // 2])
    cases['truncated'] = str(trunc)
    video = tmp_path / 'broken.mp4'
    video.write_bytes(b'\x00' * 100 + b'garbage')
    cases['video'] = str(video)
    for name, path in cases.items():
        with pytest.raises(MARInputError) as e:
            list(inferencer(path))
        assert path in str(e.value), name
    with pytest.raises(MARInputError, match='zero-size'):
        list(inferencer(np.zeros((0, 10, 3), np.uint8)))


def test_folder_with_bad_files(inferencer, tmp_path):
    folder = tmp_path / 'imgs'
    folder.mkdir()
    _img(folder / 'a.jpg')
    _img(folder / 'c.png')
    (folder / 'b.jpg').write_text('garbage, not a jpeg')
    (folder / 'd.png').write_bytes(b'')
    (folder / 'readme.txt').write_text('ignored')
    ok, buf = cv2.imencode('.jpg', np.full((32, 32, 3), 90, np.uint8))
    (folder / 'e.jpg').write_bytes(buf.tobytes()[:len(buf) // 2])
    pred_dir = tmp_path / 'pred'
    results = list(inferencer(str(folder), pred_out_dir=str(pred_dir)))
    assert len(results) == 5
    ok = [r for r in results if not r['failed']]
    bad = [r['failed'][0] for r in results if r['failed']]
    assert [osp.basename(r['img_paths'][0]) for r in ok] == ['a.jpg', 'c.png']
    assert [osp.basename(b['img_path'])
            for b in bad] == ['b.jpg', 'd.png', 'e.jpg']
    assert 'truncated' in bad[2]['error']
    assert inferencer.failed_inputs == bad
    assert sorted(os.listdir(pred_dir)) == [
        'a.json', 'c.json', 'failed_inputs.json'
    ]
    with open(pred_dir / 'failed_inputs.json') as f:
        assert [osp.basename(b['img_path']) for b in json.load(f)] == [
            'b.jpg', 'd.png', 'e.jpg'
        ]
    # a list of paths behaves like a folder
    results = list(inferencer([str(folder / 'a.jpg'), str(folder / 'x.jpg')]))
    assert results[1]['failed'][0]['img_path'].endswith('x.jpg')


def test_video(inferencer, tmp_path):
    path = str(tmp_path / 'clip.mp4')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), 5,
                             (W, H))
    assert writer.isOpened(), 'OpenCV cannot write the mp4 test video'
    for i in range(3):
        writer.write(np.full((H, W, 3), 40 * i, np.uint8))
    writer.release()
    results = list(
        inferencer(path, pred_out_dir=str(tmp_path / 'p'),
                   vis_out_dir=str(tmp_path / 'v')))
    assert len(results) == 3
    with open(tmp_path / 'p' / 'clip.json') as f:
        frames = json.load(f)
    assert [fr['frame_id'] for fr in frames] == [0, 1, 2]
    assert frames[0]['intrinsics']['source'] == 'default-fov60'
    assert len(frames[0]['instances']) == 2
    assert osp.isfile(tmp_path / 'v' / 'clip.mp4')
    # per-video intrinsics by the video's name
    res = next(inferencer(path, intrinsics={'clip.mp4': [100, 100, 40, 30]}))
    assert res['intrinsics'][0]['source'] == 'user'
