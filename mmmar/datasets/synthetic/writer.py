"""Write a synthetic dataset: images + MuPoTS/MuCo (3DMPPE) JSON, split by sequence.

Output layout of :func:`generate_synthetic_dataset` (``out_dir``)::

    images/TS1/img_000000.jpg ... images/TS<n>/img_<k>.jpg
    annotations/synthetic_test.json    (sequences TS1..TS<t>, t = num_test_sequences)
    annotations/synthetic_val.json     (TS<t+1>..TS<t+v>, v = num_val_sequences; only if v > 0)
    annotations/synthetic_train.json   (the remaining sequences)

with ``images[i]`` = ``dict(id, file_name='TS1/img_000000.jpg', width, height, f=[fx, fy],
c=[cx, cy], intrinsic=[fx, fy, cx, cy], seq_name='TS1', frame_idx)`` and ``annotations[j]`` =
``dict(id, image_id, category_id=1, keypoints_cam (17x3 mm), keypoints_img (17x2 px),
keypoints_vis (17, 0/1), keypoints_univ (17x3 mm), bbox [x, y, w, h], area, iscrowd=0,
num_keypoints, is_valid=1)``. Use ``data_prefix=dict(img=<out_dir>/images/)`` with
:class:`~mmmar.datasets.MuPoTS3DDataset` or :class:`~mmmar.datasets.MARSyntheticDataset`.
Image and annotation ids are unique over all splits.
"""
import json
import os
import os.path as osp
import time
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from mmmar.structures.cam_param import cam_param_from_K
from mmmar.structures.skeleton import ROOT
from .benchmark import focal_from_fov, stratified_uniform
from .generator import make_K, project, render_image

SPLITS = ('train', 'val', 'test')


def _bbox_xywh(uv: np.ndarray, pad: float, w: int, h: int) -> list:
    x0, y0 = uv.min(0) - pad
    x1, y1 = uv.max(0) + pad
    x0, x1 = np.clip([x0, x1], 0, w - 1)
    y0, y1 = np.clip([y0, y1], 0, h - 1)
    return [float(x0), float(y0), float(max(x1 - x0, 0.)), float(max(y1 - y0, 0.))]


def _r(a, nd):
    return np.round(np.asarray(a, dtype=np.float64), nd).tolist()


def _sample_num_people(rng, lo, hi):
    ns = np.arange(lo, hi + 1)
    p = 1.0 / ns ** 0.8
    return int(rng.choice(ns, p=p / p.sum()))


def sequence_splits(num_sequences: int, num_test: int, num_val: int = 0) -> List[str]:
    """The split of each sequence: TS1..TS<num_test> 'test', the next ``num_val`` 'val',
    the rest 'train'."""
    if num_sequences < 1 or num_test < 0 or num_val < 0 or num_test + num_val > num_sequences:
        raise ValueError(f'need 0 <= num_test_sequences ({num_test}) + num_val_sequences '
                         f'({num_val}) <= num_sequences ({num_sequences}), num_sequences >= 1')
    return ['test' if s < num_test else 'val' if s < num_test + num_val else 'train'
            for s in range(num_sequences)]


def _sequence_cameras(seed: int, splits: List[str], img_size: Tuple[int, int],
                      focal_range, fov_range) -> List[np.ndarray]:
    """One K per sequence: focal length U(focal_range) px, or, with ``fov_range``
    (degrees), from a horizontal field of view stratified over the sequences of each split;
    principal point near the image centre."""
    w, h = img_size
    fovs = np.zeros(len(splits))
    if fov_range is not None:
        frng = np.random.default_rng([seed, 1 << 31])
        for name in SPLITS:
            idx = [s for s, sp in enumerate(splits) if sp == name]
            fovs[idx] = stratified_uniform(frng, len(idx), *fov_range)
    Ks = []
    for s in range(len(splits)):
        srng = np.random.default_rng([seed, s, 1 << 30])
        fx = float(srng.uniform(*focal_range))
        if fov_range is not None:
            fx = focal_from_fov(float(fovs[s]), w)
        fy = fx * float(srng.uniform(0.98, 1.02))
        cx = w / 2.0 + float(srng.normal(0, 0.01 * w))
        cy = h / 2.0 + float(srng.normal(0, 0.01 * h))
        Ks.append(make_K(fx, fy, cx, cy))
    return Ks


def _person_annotations(poses, vis, K, img_id, ann_id, w, h) -> List[dict]:
    uv = project(poses, K)
    anns = []
    for p in range(len(poses)):
        pad = K[0, 0] * 120.0 / poses[p, ROOT, 2]
        bbox = _bbox_xywh(uv[p], pad, w, h)
        cam = _r(poses[p], 3)
        anns.append(
            dict(id=ann_id + p, image_id=img_id, category_id=1, keypoints_cam=cam,
                 keypoints_img=_r(uv[p], 3), keypoints_vis=vis[p].tolist(),
                 keypoints_univ=cam, bbox=bbox, area=bbox[2] * bbox[3], iscrowd=0,
                 num_keypoints=int(vis[p].sum()), is_valid=1))
    return anns


def _image_entry(img_id: int, file_name: str, w: int, h: int, K: np.ndarray, seq_name: str,
                 frame_idx: int) -> dict:
    """The ``images[i]`` entry of the JSON (see the module docstring)."""
    cam = cam_param_from_K(K)
    (fx, fy), (cx, cy) = cam['f'], cam['c']
    return dict(id=img_id, file_name=file_name, width=w, height=h, f=[fx, fy], c=[cx, cy],
                intrinsic=[fx, fy, cx, cy], seq_name=seq_name, frame_idx=frame_idx)


def _dump_splits(splits: Dict[str, dict], ann_dir: str, seed: int) -> dict:
    """Write ``annotations/synthetic_<split>.json`` of each split; ``<split>_json`` (the
    path) and ``num_<split>`` (its image count) of each."""
    cats = [dict(id=1, name='person', supercategory='person')]
    out = {}
    for name, d in splits.items():
        path = osp.join(ann_dir, f'synthetic_{name}.json')
        with open(path, 'w') as f:
            json.dump(dict(info=dict(description='mmmar synthetic multi-person 3D',
                                     seed=seed, units='mm'),
                           categories=cats, **d), f)
        out[f'{name}_json'] = path
        out[f'num_{name}'] = len(d['images'])
    return out


def generate_synthetic_dataset(out_dir: str,
                               num_images: int = 200,
                               num_sequences: int = 10,
                               num_test_sequences: int = 2,
                               img_size: Tuple[int, int] = (512, 512),
                               min_people: int = 1,
                               max_people: int = 20,
                               depth_range: Tuple[float, float] = (2500., 9000.),
                               focal_range: Tuple[float, float] = (350., 900.),
                               seed: int = 0,
                               jpeg_quality: int = 92,
                               verbose: bool = False,
                               num_val_sequences: int = 0,
                               fov_range: Optional[Tuple[float, float]] = None,
                               version: int = 1) -> Dict[str, object]:
    """Write a synthetic dataset (images + MuPoTS/MuCo-format JSON) under ``out_dir``.

    ``num_images`` are spread evenly over ``num_sequences`` sequences TS1..TSn (one camera
    each); the first ``num_test_sequences`` form the test split, the next
    ``num_val_sequences`` the val split, the rest the train split. Deterministic from
    ``seed`` (each image uses ``default_rng([seed, seq, frame])``). The presets
    (``'v1'``, ``'v2'``) are :data:`~mmmar.datasets.synthetic.benchmark.SYNTHETIC_PRESETS`.

    Args:
        fov_range: Horizontal field of view range (degrees); when given it replaces
            ``focal_range`` (the focal length follows from the image width).
        version: 1 (adult bodies, people inside the image) or 2 (children and adults,
            people cut by the border), see :func:`~mmmar.datasets.synthetic.render_image`.
        Others: see the layout in the module docstring.

    Returns:
        dict: ``img_dir``, ``<split>_json`` and ``num_<split>`` (train, test, and val when
        ``num_val_sequences > 0``), ``seconds`` and ``images_per_second``.
    """
    t0 = time.time()
    w, h = int(img_size[0]), int(img_size[1])
    if not 1 <= min_people <= max_people:
        raise ValueError(f'need 1 <= min_people ({min_people}) <= max_people ({max_people})')
    seq_split = sequence_splits(num_sequences, num_test_sequences, num_val_sequences)
    Ks = _sequence_cameras(seed, seq_split, (w, h), focal_range, fov_range)
    img_dir = osp.join(out_dir, 'images')
    ann_dir = osp.join(out_dir, 'annotations')
    os.makedirs(ann_dir, exist_ok=True)
    per_seq = [num_images // num_sequences + (1 if s < num_images % num_sequences else 0)
               for s in range(num_sequences)]
    names = [n for n in SPLITS if n != 'val' or num_val_sequences > 0]
    splits = {n: dict(images=[], annotations=[]) for n in names}
    img_id = ann_id = 0
    for s in range(num_sequences):
        seq_name = f'TS{s + 1}'
        os.makedirs(osp.join(img_dir, seq_name), exist_ok=True)
        K = Ks[s]
        split = splits[seq_split[s]]
        for fi in range(per_seq[s]):
            rng = np.random.default_rng([seed, s, fi])
            n = _sample_num_people(rng, min_people, max_people)
            img, poses, vis = render_image([seed, s, fi, 7], K, (w, h), n, depth_range,
                                           version=version)
            file_name = f'{seq_name}/img_{fi:06d}.jpg'
            cv2.imwrite(osp.join(img_dir, file_name), img,
                        [int(cv2.IMWRITE_JPEG_QUALITY), int(jpeg_quality)])
            split['images'].append(_image_entry(img_id, file_name, w, h, K, seq_name, fi))
            anns = _person_annotations(poses, vis, K, img_id, ann_id, w, h)
            split['annotations'] += anns
            ann_id += len(anns)
            img_id += 1
    out = dict(img_dir=img_dir)
    out.update(_dump_splits(splits, ann_dir, seed))
    out['seconds'] = time.time() - t0
    out['images_per_second'] = num_images / max(out['seconds'], 1e-9)
    if verbose:
        counts = ', '.join(f'{out[f"num_{n}"]} {n}' for n in names)
        print(f'synthetic: {num_images} images ({counts}) in {out["seconds"]:.1f} s '
              f'({out["images_per_second"]:.1f} images/s) -> {out_dir}')
    return out
