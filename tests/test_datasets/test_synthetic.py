import filecmp
import json
import os
import time

import numpy as np
import pytest

from mmmar.datasets.synthetic import (generate_synthetic_dataset, render_people,
                                      sample_poses)
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
        'gen_synth', os.path.join(os.path.dirname(__file__), '../../tools/misc/generate_synthetic.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.main([str(tmp_path), '--num-images', '3', '--num-sequences', '1',
                    '--num-test-sequences', '1', '--max-people', '2'])
    assert out['num_test'] == 3 and out['num_train'] == 0
