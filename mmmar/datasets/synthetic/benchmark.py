"""The synthetic benchmark: presets, the v2 body-size and camera models, and statistics.

``SYNTHETIC_PRESETS['v1']`` is the original set (adult bodies 0.85-1.15, 2.5-9 m, focal
lengths in pixels, train/test only). ``SYNTHETIC_PRESETS['v2']`` (issue 11) is built so that
each of MAR's mechanisms can win or lose:

* **body sizes** (:func:`sample_body_scales`): 25 % children (scale U(0.55, 0.85), heads
  relatively larger) and 75 % adults (scale N(1.0, 0.08) clipped to [0.85, 1.2]), so that a
  constant torso length Omega is wrong by a realistic amount (about +-20 %, children up to
  -45 %) and the geometric depth of Eq. 7-8 is biased per person while the regressed depth
  need not be;
* **cameras**: horizontal fields of view 40-90 degrees (the focal length follows from the
  image width, :func:`focal_from_fov`, so the set is usable at any image size), stratified
  over the sequences of each split (:func:`stratified_uniform`);
* **scenes**: pelvis depths 1.5-12 m, 1-10 people, pelvises placed up to 3 % of the width
  beyond the left/right borders and low in the image, so that near people are cut by the
  border (their out-of-image joints have ``keypoints_vis = 0``);
* **splits**: 60 sequences of 40 images: test TS1-TS5, val TS6-TS10, train TS11-TS60
  (2000 / 200 / 200 images, ``synthetic_{train,val,test}.json``).

:func:`dataset_statistics` reads the written JSON files back and reports, per split, the
pelvis-neck (torso) distribution, depths, fields of view, people per image and how many
joints fall outside the image; :func:`format_statistics` prints it.
"""
import json
from typing import Dict, Mapping, Sequence

import numpy as np

from mmmar.structures.skeleton import NECK, NUM_JOINTS, ROOT

#: Arguments of :func:`~mmmar.datasets.synthetic.generate_synthetic_dataset` per preset.
SYNTHETIC_PRESETS = {
    'v1': dict(version=1, num_images=300, num_sequences=12, num_test_sequences=3,
               num_val_sequences=0, img_size=(512, 512), min_people=1, max_people=20,
               depth_range=(2500., 9000.), focal_range=(350., 900.), fov_range=None,
               seed=0),
    'v2': dict(version=2, num_images=2400, num_sequences=60, num_test_sequences=5,
               num_val_sequences=5, img_size=(256, 256), min_people=1, max_people=10,
               depth_range=(1500., 12000.), fov_range=(40., 90.), seed=0),
}

#: v2 body-size model: fraction of children, their scale range, adult mean/std/clip.
CHILD_FRACTION = 0.25
CHILD_SCALE = (0.55, 0.85)
ADULT_SCALE = (1.0, 0.08, 0.85, 1.2)
#: Children's heads are relatively larger: head bones scale with ``scale ** HEAD_EXPONENT``.
HEAD_EXPONENT = 0.5
#: v2 placement of the pelvis in the image (fractions of width / height).
V2_ROOT_U = (-0.03, 1.03)
V2_ROOT_V = (0.3, 0.95)


def sample_body_scales(rng: np.random.Generator, num: int) -> np.ndarray:
    """Per-person body scales (num,) of the v2 model: children and adults (see module)."""
    child = rng.random(num) < CHILD_FRACTION
    kid = rng.uniform(*CHILD_SCALE, num)
    mean, std, lo, hi = ADULT_SCALE
    adult = np.clip(rng.normal(mean, std, num), lo, hi)
    return np.where(child, kid, adult)


def focal_from_fov(fov_deg: float, width: float) -> float:
    """Focal length (px) of a pinhole camera with horizontal field of view ``fov_deg``
    over an image ``width`` pixels wide: ``f = (w / 2) / tan(fov / 2)``."""
    if not 0. < fov_deg < 180.:
        raise ValueError(f'field of view must be in (0, 180) degrees, got {fov_deg}')
    return float(width) / 2. / np.tan(np.deg2rad(fov_deg) / 2.)


def fov_from_focal(fx, width) -> np.ndarray:
    """Horizontal field of view (degrees) of focal length(s) ``fx`` (px) and ``width``."""
    return np.rad2deg(2. * np.arctan(np.asarray(width, np.float64) / 2. /
                                     np.asarray(fx, np.float64)))


def stratified_uniform(rng: np.random.Generator, num: int, lo: float, hi: float) -> np.ndarray:
    """``num`` values in [lo, hi), one per equal-width stratum, in random order (so even a
    split with few sequences covers the whole range)."""
    if num <= 0:
        return np.zeros(0)
    return lo + (hi - lo) * (rng.permutation(num) + rng.random(num)) / num


def _summary(x: np.ndarray) -> Dict[str, float]:
    x = np.asarray(x, np.float64)
    if not x.size:
        return dict(n=0)
    p5, p50, p95 = np.percentile(x, [5, 50, 95])
    return dict(n=int(x.size), mean=float(x.mean()), std=float(x.std()), min=float(x.min()),
                p5=float(p5), p50=float(p50), p95=float(p95), max=float(x.max()))


def split_statistics(ann_file: str) -> Dict[str, object]:
    """Statistics of one synthetic (MuPoTS-layout) JSON file.

    Returns a dict with ``images``, ``people``, ``sequences`` and summaries
    (``n, mean, std, min, p5, p50, p95, max``) of ``torso_mm`` (pelvis-neck length of each
    person), ``depth_mm`` (pelvis depth), ``fov_deg`` (horizontal field of view of each
    image), ``people_per_image``; and the fractions ``joints_outside`` (joints projecting
    outside the image), ``people_cut`` (people with at least one such joint),
    ``roots_outside`` (pelvis outside), ``joints_visible``; ``visible_outside`` counts
    out-of-image joints marked visible (0 for a correct set).
    """
    with open(ann_file) as f:
        data = json.load(f)
    for key in ('images', 'annotations'):
        if not isinstance(data.get(key), list):
            raise ValueError(f'{ann_file}: no "{key}" list (not a MuPoTS-layout JSON)')
    imgs = {im['id']: im for im in data['images']}
    per_image = {i: 0 for i in imgs}
    torso, depth, outside, vis = [], [], [], []
    for a in data['annotations']:
        im = imgs[a['image_id']]
        per_image[a['image_id']] += 1
        x = np.asarray(a['keypoints_cam'], np.float64).reshape(NUM_JOINTS, 3)
        uv = np.asarray(a['keypoints_img'], np.float64).reshape(NUM_JOINTS, 2)
        torso.append(np.linalg.norm(x[NECK] - x[ROOT]))
        depth.append(x[ROOT, 2])
        out = (uv[:, 0] < -0.5) | (uv[:, 1] < -0.5) | (uv[:, 0] > im['width'] - 0.5) | \
            (uv[:, 1] > im['height'] - 0.5)
        outside.append(out)
        vis.append(np.asarray(a['keypoints_vis'], np.int64).reshape(NUM_JOINTS))
    outside = np.asarray(outside, bool).reshape(-1, NUM_JOINTS)
    vis = np.asarray(vis, np.int64).reshape(-1, NUM_JOINTS)
    fov = fov_from_focal([im['f'][0] for im in imgs.values()],
                         [im['width'] for im in imgs.values()])
    n_people = max(len(outside), 1)
    return dict(
        images=len(imgs), people=len(outside),
        sequences=sorted({im['seq_name'] for im in imgs.values()},
                         key=lambda s: (len(s), s)),
        torso_mm=_summary(torso), depth_mm=_summary(depth), fov_deg=_summary(fov),
        people_per_image=_summary(list(per_image.values())),
        joints_outside=float(outside.mean()) if outside.size else 0.,
        people_cut=float(outside.any(1).sum() / n_people),
        roots_outside=float(outside[:, ROOT].sum() / n_people),
        joints_visible=float(vis.mean()) if vis.size else 0.,
        visible_outside=int((vis.astype(bool) & outside).sum()))


def dataset_statistics(ann_files: Mapping[str, str]) -> Dict[str, Dict[str, object]]:
    """:func:`split_statistics` of each ``{split: json path}``."""
    return {name: split_statistics(path) for name, path in ann_files.items()}


def _seq_range(seqs: Sequence[str]) -> str:
    return f'{seqs[0]}..{seqs[-1]} ({len(seqs)})' if seqs else '-'


def format_statistics(stats: Mapping[str, Mapping[str, object]]) -> str:
    """A small text table of :func:`dataset_statistics` (one block per split)."""
    lines = []
    for name, s in stats.items():
        t, d, fv, pp = s['torso_mm'], s['depth_mm'], s['fov_deg'], s['people_per_image']
        lines.append(f'{name}: {s["images"]} images, {s["people"]} people, sequences '
                     f'{_seq_range(s["sequences"])}')
        if not s['people']:
            continue
        lines += [
            f'  pelvis-neck (torso) mm: mean {t["mean"]:.1f}  std {t["std"]:.1f}  '
            f'p5 {t["p5"]:.1f}  p50 {t["p50"]:.1f}  p95 {t["p95"]:.1f}  '
            f'[{t["min"]:.1f}, {t["max"]:.1f}]',
            f'  pelvis depth m: [{d["min"] / 1e3:.2f}, {d["max"] / 1e3:.2f}]  '
            f'p5 {d["p5"] / 1e3:.2f}  p50 {d["p50"] / 1e3:.2f}  p95 {d["p95"] / 1e3:.2f}',
            f'  horizontal FOV deg: [{fv["min"]:.1f}, {fv["max"]:.1f}]   people per image: '
            f'[{pp["min"]:.0f}, {pp["max"]:.0f}] mean {pp["mean"]:.2f}',
            f'  cut by the border: {100 * s["people_cut"]:.1f} % of people '
            f'({100 * s["roots_outside"]:.1f} % with the pelvis outside), '
            f'{100 * s["joints_outside"]:.1f} % of joints outside the image; '
            f'{100 * s["joints_visible"]:.1f} % of joints visible; '
            f'visible-but-outside: {s["visible_outside"]}',
        ]
    return '\n'.join(lines)
