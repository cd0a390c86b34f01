import filecmp
import json
import os
import time

import numpy as np
import pytest

from mmmar.datasets.synthetic import generate_synthetic_dataset, render_people, sample_poses
from mmmar.structures.skeleton import LIMBS, NUM_JOINTS


def _K(img):
    fx, fy = img['f']
    cx, cy = img['c']
    return np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1.]])


def test_json_format_and_reprojection(synth):
    for split in ('train', 'test'):
        with open(synth[f'{split}_json']) as f:
            d = json.load(f)
        imgs = {im['id']: im for im in d['images']}
        assert len(imgs) == synth[f'num_{split}'] > 0
        for im in d['images']:
            assert im['file_name'].startswith(im['seq_name'] + '/')
            assert im['intrinsic'] == [*im['f'], *im['c']]
            assert os.path.isfile(os.path.join(synth['img_dir'], im['file_name']))
        assert d['annotations']
        for a in d['annotations']:
            im = imgs[a['image_id']]
            X = np.asarray(a['keypoints_cam'])
            assert X.shape == (NUM_JOINTS, 3)
            # independent pinhole projection
            fx, fy = im['f']
            cx, cy = im['c']
            uv = np.stack([fx * X[:, 0] / X[:, 2] + cx, fy * X[:, 1] / X[:, 2] + cy], 1)
            assert np.abs(uv - np.asarray(a['keypoints_img'])).max() < 0.5
            assert 2400 < X[14, 2] < 9100  # pelvis depth range (+ rounding)
            assert a['is_valid'] == 1 and len(a['bbox']) == 4
            assert a['keypoints_univ'] == a['keypoints_cam']
            vis = np.asarray(a['keypoints_vis'])
            out = (uv[:, 0] < -0.5) | (uv[:, 1] < -0.5) | (uv[:, 0] > im['width'] - 0.5) | (
                uv[:, 1] > im['height'] - 0.5)
            assert not np.any(vis[out])
    # test split = TS1 only, train = TS2..TS4
    with open(synth['test_json']) as f:
        assert {im['seq_name'] for im in json.load(f)['images']} == {'TS1'}


def test_pose_plausibility():
    rng = np.random.default_rng(0)
    poses = sample_poses(rng, 500)
    assert np.allclose(poses[:, 14], 0)
    bone = {(p, c): np.linalg.norm(poses[:, c] - poses[:, p], axis=-1) for p, c in LIMBS}
    # thigh / shank / upper arm: adult proportions (rest 435/420/290 mm, x[0.80, 1.22])
    for (p, c), ref in {(8, 9): 435, (9, 10): 420, (2, 3): 290, (11, 12): 435}.items():
        assert bone[(p, c)].min() > 0.78 * ref and bone[(p, c)].max() < 1.25 * ref
    # left/right symmetric lengths per person
    assert np.allclose(bone[(8, 9)], bone[(11, 12)])
    # head above the pelvis (Y down) for (almost) everybody, variety of facing directions
    assert (poses[:, 0, 1] < poses[:, 14, 1]).mean() > 0.99
    facing = poses[:, 8, 0] - poses[:, 11, 0]
    assert (facing > 0).mean() > 0.2 and (facing < 0).mean() > 0.2


def _standing(root):
    # an independent, hand-written standing pose (mm, Y down, person facing the camera)
    j = np.zeros((NUM_JOINTS, 3))
    j[14] = [0, 0, 0]
    j[15] = [0, -230, 0]
    j[1] = [0, -480, 0]
    j[16] = [0, -590, 0]
    j[0] = [0, -700, 0]
    j[2], j[5] = [-170, -465, 0], [170, -465, 0]
    j[3], j[6] = [-200, -180, 0], [200, -180, 0]
    j[4], j[7] = [-210, 70, 0], [210, 70, 0]
    j[8], j[11] = [-110, 25, 0], [110, 25, 0]
    j[9], j[12] = [-110, 460, 0], [110, 460, 0]
    j[10], j[13] = [-110, 880, 0], [110, 880, 0]
    return j + np.asarray(root, float)


def test_occlusion_constructed_case():
    K = np.array([[500., 0, 256], [0, 500., 256], [0, 0, 1]])
    near = _standing([0, 0, 3000])
    far = _standing([0, 0, 6000])
    img = np.zeros((512, 512, 3), np.uint8)
    # far person listed first or second must not matter
    for order in ([far, near], [near, far]):
        img[:] = 0
        _, vis = render_people(img, np.stack(order), K)
        vis_far = vis[0] if order[0] is far else vis[1]
        vis_near = vis[1] if order[0] is far else vis[0]
        assert vis_near.all()
        # torso and head of the far person are behind the near person's torso
        for k in (14, 15, 1, 16, 0):
            assert vis_far[k] == 0, k
    # side by side: nobody occluded
    img[:] = 0
    _, vis = render_people(img, np.stack([_standing([-1500, 0, 5000]),
                                          _standing([1500, 0, 5000])]), K)
    assert vis.all()
    # a joint outside the image is invisible
    _, vis = render_people(img, _standing([0, 0, 1500])[None], K)
    assert vis[0, 10] == 0 and vis[0, 14] == 1  # ankle at v = 256 + 293 > 512


def test_determinism(tmp_path):
    a = generate_synthetic_dataset(str(tmp_path / 'a'), num_images=4, num_sequences=2,
                                   num_test_sequences=1, max_people=5, seed=11)
    b = generate_synthetic_dataset(str(tmp_path / 'b'), num_images=4, num_sequences=2,
                                   num_test_sequences=1, max_people=5, seed=11)
    c = generate_synthetic_dataset(str(tmp_path / 'c'), num_images=4, num_sequences=2,
                                   num_test_sequences=1, max_people=5, seed=12)
    for split in ('train_json', 'test_json'):
        assert filecmp.cmp(a[split], b[split], shallow=False)
        assert not filecmp.cmp(a[split], c[split], shallow=False)
    for seq, name in (('TS1', 'img_000000.jpg'), ('TS2', 'img_000001.jpg')):
        pa = os.path.join(a['img_dir'], seq, name)
        assert filecmp.cmp(pa, os.path.join(b['img_dir'], seq, name), shallow=False)


def test_timing(tmp_path):
    t = time.time()
    info = generate_synthetic_dataset(str(tmp_path), num_images=40, num_sequences=4,
                                      num_test_sequences=1, seed=0)
    dt = time.time() - t
    print(f'\nsynthetic generator: 40 images 512x512 (1-20 people) in {dt:.2f} s '
          f'-> {300 * dt / 40:.1f} s per 300 images')
    assert info['num_train'] + info['num_test'] == 40


def test_cli(tmp_path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'gen_synth',
        os.path.join(os.path.dirname(__file__), '../../tools/misc/generate_synthetic.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.main([str(tmp_path), '--num-images', '3', '--num-sequences', '1',
                    '--num-test-sequences', '1', '--max-people', '2'])
    assert out['num_test'] == 3 and out['num_train'] == 0


# ------------------------------------------------------------------------------------------
# v2 benchmark (issue 11)
# ------------------------------------------------------------------------------------------
V2_SMALL = dict(num_images=24, num_sequences=6, num_test_sequences=1, num_val_sequences=1,
                img_size=(160, 120))


def _v2(out, **kw):
    from mmmar.datasets.synthetic import SYNTHETIC_PRESETS
    args = dict(SYNTHETIC_PRESETS['v2'], **V2_SMALL)
    args.update(kw)
    return generate_synthetic_dataset(str(out), **args)


@pytest.fixture(scope='module')
def synth_v2(tmp_path_factory):
    return _v2(tmp_path_factory.mktemp('synth_v2'))


def _load(info, split):
    with open(info[f'{split}_json']) as f:
        return json.load(f)


def _torso(poses):
    return np.linalg.norm(poses[:, 1] - poses[:, 14], axis=-1)


def test_v2_body_sizes_children_and_adults():
    from mmmar.datasets.synthetic import sample_body_scales
    rng = np.random.default_rng(0)
    scales = sample_body_scales(rng, 4000)
    assert scales.min() >= 0.55 and scales.max() <= 1.2
    assert 0.2 < (scales < 0.85).mean() < 0.3  # 25 % children
    torso = _torso(sample_poses(rng, 4000, scales))
    # bounds by hand from the rest offsets: spine 225 + neck 255 mm, at most 42 degrees
    # between them (spine bend + side tilt), bone jitter 0.94-1.06, scale 0.55-1.2
    bent = np.sqrt(225 ** 2 + 255 ** 2 + 2 * 225 * 255 * np.cos(np.deg2rad(42)))
    assert torso.min() >= 0.55 * 0.94 * bent and torso.max() <= 1.2 * 1.06 * 480
    # a constant Omega (the mean) is wrong by a realistic amount for many people
    rel = np.abs(torso / torso.mean() - 1)
    assert rel.mean() > 0.1 and (rel > 0.25).mean() > 0.1
    p5, p95 = np.percentile(torso, [5, 95])
    assert p5 < 330 and p95 > 500
    # v1 (no scales): adults only, 0.85-1.15
    t1 = _torso(sample_poses(np.random.default_rng(0), 4000))
    assert t1.min() >= 0.85 * 0.94 * bent and t1.max() <= 1.15 * 1.06 * 480
    assert np.percentile(t1, 5) > 380


def test_v2_ranges_projection_and_border_cuts(synth_v2):
    cut = 0
    people = []
    for split in ('train', 'val', 'test'):
        d = _load(synth_v2, split)
        imgs = {im['id']: im for im in d['images']}
        for im in d['images']:
            assert (im['width'], im['height']) == (160, 120)
            fov = np.rad2deg(2 * np.arctan(im['width'] / 2 / im['f'][0]))
            assert 40 - 1e-6 <= fov <= 90 + 1e-6
        counts = {i: 0 for i in imgs}
        for a in d['annotations']:
            im = imgs[a['image_id']]
            counts[a['image_id']] += 1
            X = np.asarray(a['keypoints_cam'])
            (fx, fy), (cx, cy) = im['f'], im['c']
            uv = np.stack([fx * X[:, 0] / X[:, 2] + cx, fy * X[:, 1] / X[:, 2] + cy], 1)
            assert np.abs(uv - np.asarray(a['keypoints_img'])).max() < 0.01
            assert 1500 - 1 <= X[14, 2] <= 12000 + 1
            out = (uv[:, 0] < -0.5) | (uv[:, 1] < -0.5) | (uv[:, 0] > 159.5) | \
                (uv[:, 1] > 119.5)
            vis = np.asarray(a['keypoints_vis'])
            assert not vis[out].any()  # out-of-image joints are never visible
            assert a['num_keypoints'] == vis.sum()
            cut += bool(out.any())
            people.append(X)
        assert all(1 <= c <= 10 for c in counts.values())
    assert cut >= 3  # people cut by the border
    assert max(counts.values()) >= 5
    depth = np.array([p[14, 2] for p in people])
    assert depth.min() < 4000 and depth.max() > 9000
    torso = _torso(np.stack(people))
    assert torso.min() < 0.8 * torso.mean() and torso.max() > 1.1 * torso.mean()


def test_v2_splits_disjoint_and_stratified_fov(synth_v2):
    seqs, ids, files = {}, {}, {}
    for split in ('train', 'val', 'test'):
        d = _load(synth_v2, split)
        seqs[split] = {im['seq_name'] for im in d['images']}
        ids[split] = {im['id'] for im in d['images']}
        files[split] = {im['file_name'] for im in d['images']}
        assert {a['image_id'] for a in d['annotations']} <= ids[split]
    assert seqs == dict(test={'TS1'}, val={'TS2'}, train={'TS3', 'TS4', 'TS5', 'TS6'})
    for a, b in (('train', 'val'), ('train', 'test'), ('val', 'test')):
        assert not ids[a] & ids[b] and not files[a] & files[b]
    assert sum(len(v) for v in ids.values()) == 24
    # the 4 train cameras: one field of view in each quarter of 40-90 degrees
    d = _load(synth_v2, 'train')
    fov = {im['seq_name']: np.rad2deg(2 * np.arctan(im['width'] / 2 / im['f'][0]))
           for im in d['images']}
    assert sorted(int((f - 40) // 12.5) for f in fov.values()) == [0, 1, 2, 3]


def test_v2_deterministic_and_size_independent_cameras(tmp_path, synth_v2):
    a = _v2(tmp_path / 'a')
    c = _v2(tmp_path / 'c', seed=1)
    for split in ('train', 'val', 'test'):
        assert filecmp.cmp(a[f'{split}_json'], synth_v2[f'{split}_json'], shallow=False)
        assert not filecmp.cmp(a[f'{split}_json'], c[f'{split}_json'], shallow=False)
    name = os.path.join('TS3', 'img_000001.jpg')
    assert filecmp.cmp(os.path.join(a['img_dir'], name),
                       os.path.join(synth_v2['img_dir'], name), shallow=False)
    # at another image size the same seed gives the same fields of view and 3D scenes
    big = _v2(tmp_path / 'big', img_size=(320, 240), num_images=6)
    small = _v2(tmp_path / 'small', num_images=6)
    for split in ('train', 'test'):
        ib, is_ = _load(big, split), _load(small, split)
        assert [b['f'][0] / 2 for b in ib['images']] == pytest.approx(
            [s['f'][0] for s in is_['images']])
        assert [b['keypoints_cam'] for b in ib['annotations']] == \
            [s['keypoints_cam'] for s in is_['annotations']]


def test_v2_statistics_and_cli(tmp_path, capsys):
    import importlib.util

    from mmmar.datasets.synthetic import dataset_statistics
    spec = importlib.util.spec_from_file_location(
        'gen_synth_v2',
        os.path.join(os.path.dirname(__file__), '../../tools/misc/generate_synthetic.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.main([str(tmp_path), '--preset', 'v2', '--num-images', '12', '--num-sequences',
                    '4', '--num-test-sequences', '1', '--num-val-sequences', '1',
                    '--img-size', '96', '96'])
    text = capsys.readouterr().out
    assert (out['num_train'], out['num_val'], out['num_test']) == (6, 3, 3)
    st = out['stats']
    assert st == dataset_statistics({k: out[f'{k}_json'] for k in ('train', 'val', 'test')})
    # independent: the torso mean from the JSON by hand
    d = _load(out, 'train')
    torso = [np.linalg.norm(np.subtract(a['keypoints_cam'][1], a['keypoints_cam'][14]))
             for a in d['annotations']]
    assert st['train']['torso_mm']['mean'] == pytest.approx(np.mean(torso))
    assert st['train']['people'] == len(torso)
    assert f'Omega (train mean pelvis-neck) = {np.mean(torso):.1f} mm' in text
    assert 'images/s' in text and 'pelvis-neck (torso) mm' in text
    for s in st.values():
        assert s['visible_outside'] == 0
        assert 40 <= s['fov_deg']['min'] <= s['fov_deg']['max'] <= 90
    # an explicit focal range replaces the preset's field of view
    kw = mod.generator_kwargs(mod.parse_args(['x', '--preset', 'v2', '--focal-range', '100',
                                              '200']))
    assert kw['fov_range'] is None and kw['focal_range'] == (100., 200.)
    assert kw['version'] == 2 and kw['max_people'] == 10


def test_v2_config_omega_matches_the_body_model():
    from mmengine.config import Config

    from mmmar.datasets.synthetic import sample_body_scales
    cfg = Config.fromfile(os.path.join(os.path.dirname(__file__), '../../configs/'
                                       'mar_hrnet-small_synthetic-v2-256x256.py'))
    assert cfg.train_dataloader.dataset.data_root == 'data/synthetic_v2/'
    assert cfg.val_dataloader.dataset.ann_file == 'annotations/synthetic_val.json'
    assert cfg.test_dataloader.dataset.ann_file == 'annotations/synthetic_test.json'
    assert cfg.val_evaluator.type == 'MuPoTSMetric'
    # Monte-Carlo mean torso of the v2 body model (no rendering): the config's Omega (the
    # v2 train split's mean, 7477 people, std 73 mm -> standard error < 1 mm) agrees
    rng = np.random.default_rng(123)
    scales = sample_body_scales(rng, 20000)
    mc = _torso(sample_poses(rng, 20000, scales)).mean()
    assert abs(cfg.model.head.omega - mc) < 4.0
