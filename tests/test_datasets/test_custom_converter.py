"""Issue 15.4: tools/dataset_converters/custom_to_muco.py and configs/mar_hrnet-w32_custom.py.

A small generated set in the documented per-image format (own joint names in a shuffled
order, 3D as lists and as dicts, with and without 2D / visibility) is converted, loaded with
the real dataset classes and compared with the generating values; every documented error is
raised with a message naming the file, the line, the image, the person and the field.
"""
import importlib.util
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmmar.structures.skeleton import JOINT_NAMES, NECK, ROOT
from mmmar.testing import write_jpeg

ROOT_DIR = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
_CONV = osp.join(ROOT_DIR, 'tools', 'dataset_converters', 'custom_to_muco.py')
W, H = 640, 480
#: the user's joint order: the 17 MuPoTS joints reversed, renamed, plus one extra joint
USER_NAMES = ['U_' + n.upper() for n in reversed(JOINT_NAMES)] + ['nose']
NAME_MAP = {'U_' + n.upper(): n for n in JOINT_NAMES}
TO_USER = [USER_NAMES.index('U_' + n.upper()) for n in JOINT_NAMES]  # MuPoTS j -> user index


_MODULE = []


def _conv():
    """The converter module, loaded once (one CustomDataError class)."""
    if not _MODULE:
        spec = importlib.util.spec_from_file_location('custom_to_muco', _CONV)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        _MODULE.append(mod)
    return _MODULE[0]


def _person_mupots(rng):
    """(17, 3) mm in MuPoTS order, a pelvis-neck length of 500 mm, in front of the camera."""
    X = rng.uniform(-300, 300, (17, 3))
    X[NECK] = X[ROOT] + [0., -500., 0.]
    return X + [0., 0., rng.uniform(3000, 6000)]


def _project(X, K):  # independent of mmmar.geometry
    fx, fy, cx, cy = K
    return np.stack([fx * X[:, 0] / X[:, 2] + cx, fy * X[:, 1] / X[:, 2] + cy], 1)


def _to_user(arr_mupots, extra):
    out = [None] * len(USER_NAMES)
    for j, u in enumerate(TO_USER):
        out[u] = arr_mupots[j].tolist() if np.ndim(arr_mupots[j]) else float(arr_mupots[j])
    out[-1] = extra
    return out


@pytest.fixture
def custom_set(tmp_path):
    """Three images (one empty) under <tmp>/data/custom/images (the layout of
    configs/mar_hrnet-w32_custom.py) and their records; the truth in MuPoTS order."""
    rng = np.random.default_rng(0)
    records, truth = [], []
    img_root = tmp_path / 'data' / 'custom' / 'images'
    for i, (seq, people) in enumerate([('cam0', 2), ('cam0', 1), ('cam1', 0)]):
        rel = f'{seq}/{i:06d}.jpg'
        os.makedirs(img_root / seq, exist_ok=True)
        write_jpeg(img_root / rel, W, H, seed=i)
        K = [500. + 10 * i, 495., 319.5, 239.5]
        rec = dict(image=rel,
                   intrinsics=K if i != 1 else dict(fx=K[0], fy=K[1], cx=K[2], cy=K[3]),
                   seq_name=seq, frame_idx=i, people=[])
        if i != 1:
            rec.update(width=W, height=H)  # image 1: size read from the file
        for p in range(people):
            X = _person_mupots(rng)
            uv = _project(X, K)
            vis = (rng.uniform(size=17) > 0.3).astype(float)
            person = {}
            if p == 0:  # list in the user's order, 2D within 0.5 px, visibility given
                person['joints_3d'] = _to_user(X, [0., 0., 1.])
                uv = uv + rng.uniform(-0.35, 0.35, uv.shape)
                person['joints_2d'] = _to_user(uv, [0., 0.])
                person['visible'] = _to_user(vis, 1.)
            else:  # dict by name, no 2D (the projection), no visibility (all visible)
                person['joints_3d'] = {USER_NAMES[u]: X[j].tolist()
                                       for j, u in enumerate(TO_USER)}
                vis = np.ones(17)
            rec['people'].append(person)
            truth.append(dict(img=i, X=X, uv=uv, vis=vis, K=K))
        records.append(rec)
    src = tmp_path / 'custom.jsonl'
    src.write_text('\n'.join(json.dumps(r) for r in records) + '\n')
    return tmp_path, src, records, truth


def _convert(tmp_path, src, out_name='custom_train.json', extra=()):
    out = tmp_path / 'data' / 'custom' / 'annotations' / out_name
    _conv().main([str(src), str(out), '--img-root', str(tmp_path / 'data/custom/images'),
                  '--joint-names', ','.join(USER_NAMES),
                  '--name-map', json.dumps(NAME_MAP), *extra])
    return out


def test_round_trip_through_the_datasets(custom_set):
    from mmmar.datasets import MuCo3DHPDataset, MuPoTS3DDataset
    from mmmar.datasets.transforms import MARLoadImage
    tmp_path, src, records, truth = custom_set
    out = _convert(tmp_path, src)
    prefix = dict(img=str(tmp_path / 'data/custom/images') + '/')
    ds = MuCo3DHPDataset(ann_file=str(out), data_prefix=prefix, test_mode=True,
                         check_image_exists=True)
    val = MuPoTS3DDataset(ann_file=str(out), data_prefix=prefix, test_mode=True)
    assert len(ds) == 3 and len(val) == 3
    seen = 0
    for i, rec in enumerate(records):
        info = ds.get_data_info(i)
        assert info['img_path'] == osp.join(prefix['img'], rec['image'])
        assert MARLoadImage()(info)['img'].shape == (H, W, 3)
        people = [t for t in truth if t['img'] == i]
        assert info['keypoints_cam'].shape == (len(people), 17, 3)
        for p, t in enumerate(people):
            np.testing.assert_allclose(info['keypoints_cam'][p], t['X'], rtol=1e-6, atol=1e-3)
            np.testing.assert_allclose(info['keypoints'][p], t['uv'], rtol=1e-6, atol=1e-3)
            inside = (t['uv'][:, 0] >= 0) & (t['uv'][:, 0] <= W - 1) & \
                (t['uv'][:, 1] >= 0) & (t['uv'][:, 1] <= H - 1)
            assert inside.sum() >= 15
            np.testing.assert_array_equal(info['keypoints_visible'][p], t['vis'] * inside)
            fx, fy, cx, cy = t['K']
            np.testing.assert_allclose(info['cam_param']['K'],
                                       [[fx, 0, cx], [0, fy, cy], [0, 0, 1]], rtol=1e-6)
            seen += 1
        vinfo = val.get_data_info(i)
        assert vinfo['seq_name'] == rec['seq_name'] and vinfo['frame_idx'] == i
    assert seen == len(truth) == 3
    # training drops the empty image
    train = MuCo3DHPDataset(ann_file=str(out), data_prefix=prefix,
                            filter_cfg=dict(filter_empty_gt=True))
    assert len(train) == 2


def _one(tmp_path, rec, **kw):
    """Convert one record written as line 1 of a JSON Lines file (MuPoTS joint names)."""
    conv = _conv()
    os.makedirs(tmp_path / 'images', exist_ok=True)
    if not (tmp_path / 'images' / 'a.jpg').exists():
        write_jpeg(tmp_path / 'images' / 'a.jpg', W, H)
    src = tmp_path / 'bad.jsonl'
    src.write_text(json.dumps(rec) + '\n')
    return conv.convert_records(conv.read_records(str(src)),
                                img_root=str(tmp_path / 'images'), **kw)


def _good(seed=1):
    X = _person_mupots(np.random.default_rng(seed))
    K = [1000., 1000., 31.5, 23.5]
    return dict(image='a.jpg', width=W, height=H, intrinsics=K,
                people=[dict(joints_3d=X.tolist(), joints_2d=_project(X, K).tolist())])


def _raises(tmp_path, rec, *parts, **kw):
    conv = _conv()
    with pytest.raises(conv.CustomDataError) as e:
        _one(tmp_path, rec, **kw)
    msg = str(e.value)
    for part in parts:
        assert part in msg, (part, msg)
    return msg


def test_errors_name_file_image_person_field(tmp_path):
    where = (f'{tmp_path / "bad.jsonl"}:line 1', "image 'a.jpg'")
    assert len(_one(tmp_path, _good())['annotations']) == 1  # the unmodified record passes

    rec = _good()
    del rec['intrinsics']
    _raises(tmp_path, rec, *where, 'field "intrinsics" is missing')
    rec = _good()
    rec['intrinsics'] = [1000., -5., 31.5, 23.5]
    _raises(tmp_path, rec, *where, 'field "intrinsics"', 'positive focal')

    rec = _good()
    rec['people'][0]['joints_3d'] = rec['people'][0]['joints_3d'][:15]
    _raises(tmp_path, rec, *where, 'person #0', 'field "joints_3d"', '[15, 3]', '[17, 3]')
    rec = _good()
    rec['people'][0]['joints_2d'] = rec['people'][0]['joints_2d'][:16]
    _raises(tmp_path, rec, *where, 'person #0', 'field "joints_2d"', '[16, 2]')

    rec = _good()
    rec['people'].append(dict(_good(2)['people'][0]))
    rec['people'][1]['joints_3d'][4][1] = float('nan')
    _raises(tmp_path, rec, *where, 'person #1', 'field "joints_3d"', 'NaN', "'r_wrist'")

    rec = _good()
    rec['people'][0]['joints_3d'][0][2] = -100.
    _raises(tmp_path, rec, *where, 'person #0', 'field "joints_3d"', "'head_top'", 'Z <= 0')

    rec = _good()  # metres instead of mm: the projection still matches, the torso does not
    rec['people'][0]['joints_3d'] = (np.asarray(rec['people'][0]['joints_3d']) / 1000).tolist()
    _raises(tmp_path, rec, *where, 'person #0', 'pelvis-neck length 0.5', 'mm')

    # 3D that does not project onto the 2D: one joint moved by (30, 40) px -> 50 px reported
    rec = _good()
    rec['people'][0]['joints_2d'][4][0] += 30.
    rec['people'][0]['joints_2d'][4][1] += 40.
    msg = _raises(tmp_path, rec, *where, 'person #0', '"joints_2d"',
                  'reprojection error 50.0 px at joint r_wrist')
    assert f'mean {50 / 17:.1f} px' in msg
    # ... accepted with a larger tolerance
    assert len(_one(tmp_path, rec, max_reproj=51.)['annotations']) == 1

    rec = _good()
    rec['image'] = 'missing.jpg'
    _raises(tmp_path, rec, "image 'missing.jpg'", 'image file not found')
    rec = _good()
    del rec['image']
    _raises(tmp_path, rec, f'{tmp_path / "bad.jsonl"}:line 1', 'field "image"')


def test_joint_name_mapping_errors(tmp_path):
    conv = _conv()
    names = list(JOINT_NAMES)
    names[14] = 'Hips'
    with pytest.raises(conv.CustomDataError, match=r"\['pelvis'\].*--name-map"):
        conv.joint_index(names)
    idx = conv.joint_index(names, {'Hips': 'pelvis'})
    assert idx.tolist() == list(range(17))
    with pytest.raises(conv.CustomDataError, match='unknown MuPoTS joints'):
        conv.joint_index(names, {'Hips': 'hips'})
    # a dict of 3D joints without one of the needed names
    rec = _good()
    rec['people'][0] = dict(joints_3d={n: [0., 0., 4000.] for n in JOINT_NAMES[:-1]})
    _raises(tmp_path, rec, 'person #0', 'field "joints_3d" lacks the joints', "'head'")
    # the command line reports the error (no traceback) and writes nothing
    (tmp_path / 'bad2.jsonl').write_text('{"image": "a.jpg", "people": []}\n')
    out = tmp_path / 'out.json'
    with pytest.raises(SystemExit, match=r'custom_to_muco: .*bad2.jsonl:line 1.*intrinsics'):
        conv.main([str(tmp_path / 'bad2.jsonl'), str(out), '--img-root',
                   str(tmp_path / 'images')])
    assert not out.exists()


def test_custom_config_fine_tunes_the_paper_model(custom_set, monkeypatch):
    """configs/mar_hrnet-w32_custom.py: the paper model, started from the paper checkpoint
    (``load_from``), trained on the converted data. One iteration at lr 0 on a small input:
    the trained weights are the checkpoint's, not a fresh initialisation."""
    import torch
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmmar.testing import restate_codec
    from mmmar.utils import register_all_modules
    tmp_path, src, _, _ = custom_set
    _convert(tmp_path, src, 'custom_train.json')
    _convert(tmp_path, src, 'custom_val.json')
    monkeypatch.chdir(tmp_path)  # the config's relative data/ and work_dirs/ paths
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT_DIR, 'configs', 'mar_hrnet-w32_custom.py'))
    paper = Config.fromfile(osp.join(ROOT_DIR, 'configs', 'mar_hrnet-w32_muco.py'))
    assert cfg.model.head == paper.model.head and cfg.codec == paper.codec
    assert cfg.model.backbone.extra == paper.model.backbone.extra
    assert cfg.train_dataloader.dataset.type == 'MuCo3DHPDataset'

    # the "paper model" checkpoint where the config expects it (random weights, seed 1)
    from mmpose.registry import MODELS
    torch.manual_seed(1)
    paper_model = MODELS.build(cfg.model)
    os.makedirs(osp.dirname(cfg.load_from))
    torch.save(dict(state_dict=paper_model.state_dict(), meta=dict()), cfg.load_from)

    restate_codec(cfg, input_size=(96, 96), heatmap_size=(24, 24))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=1, val_interval=10)
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_cfg = cfg.test_dataloader = cfg.test_evaluator = None
    cfg.train_dataloader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.optim_wrapper.optimizer.lr = 0.
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=1)
    cfg.randomness = dict(seed=0)
    cfg.log_level = 'WARNING'
    runner = Runner.from_cfg(cfg)
    assert len(runner.train_dataloader.dataset) == 2  # the empty image is filtered
    runner.train()
    trained = runner.model.state_dict()
    fresh = MODELS.build(cfg.model).state_dict()
    key = 'backbone.conv1.weight'
    assert torch.equal(trained[key], paper_model.state_dict()[key])
    assert not torch.equal(trained[key], fresh[key])
    loss = runner.message_hub.get_scalar('train/loss').current()
    assert np.isfinite(loss) and loss > 0
