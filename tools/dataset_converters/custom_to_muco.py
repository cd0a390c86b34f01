"""Convert your own 3D multi-person annotations to the MuCo-3DHP JSON that mmmar reads.

Input: JSON Lines (one image per line) or JSON (a list of images, or ``{"images": [...]}``).
One image::

    {"image": "seq1/000001.jpg",              # path relative to --img-root
     "intrinsics": [fx, fy, cx, cy],          # or {"fx", "fy", "cx", "cy"}, {"f", "c"}, {"K"}
     "width": 1920, "height": 1080,           # optional: read from the image when missing
     "seq_name": "seq1", "frame_idx": 1,      # optional
     "people": [
       {"joints_3d": [[X, Y, Z], ...],        # mm, camera frame (X right, Y down, Z forward),
                                              # in the order of --joint-names, or a dict
                                              # {"joint name": [X, Y, Z], ...}
        "joints_2d": [[u, v], ...],           # optional, px; else the projection of joints_3d
        "visible": [1, 1, 0, ...]}]}          # optional, 1 = visible (default), 0 = occluded

Joint names: ``--joint-names`` gives the names of your joints in array order (default: the
17 MuPoTS names, see ``mmmar.structures.skeleton.JOINT_NAMES``); ``--name-map`` (a JSON file or
string ``{"your name": "mupots name"}``) renames them. Every one of the 17 MuPoTS joints must
be present after renaming; other joints are dropped.

Checks (the error names the file, line, image, person and field): missing or invalid
intrinsics, wrong joint counts, NaN/inf, joints at or behind the camera (Z <= 0), a
pelvis-neck length outside ``--torso-range`` mm (joints not in mm), and ``joints_2d`` farther
than ``--max-reproj-error`` px from the projection of ``joints_3d`` (the error is reported).

Output (read by ``MuCo3DHPDataset`` and ``MuPoTS3DDataset``): ``images`` = ``dict(id,
file_name, width, height, f, c, seq_name?, frame_idx?)``, ``annotations`` = ``dict(id,
image_id, category_id=1, keypoints_cam (17x3 mm), keypoints_img (17x2 px), keypoints_vis (17),
bbox [x, y, w, h] (2D joint extent padded by 10 % per side, clipped), area, iscrowd=0,
is_valid=1)``. See ``docs/custom_data.md``. Example::

    python tools/dataset_converters/custom_to_muco.py my_train.jsonl \\
        data/custom/annotations/custom_train.json --img-root data/custom/images \\
        --joint-names my_joints.txt --name-map '{"Hips": "pelvis", "Neck": "neck"}'
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from tools.project_python import ensure_project_python
    ensure_project_python()

import numpy as np  # noqa: E402

from mmmar.apis.intrinsics import parse_intrinsics  # noqa: E402
from mmmar.geometry import project_np  # noqa: E402
from mmmar.structures.skeleton import JOINT_NAMES, NECK, NUM_JOINTS, ROOT  # noqa: E402

#: default largest distance (px) between a given 2D joint and the projection of its 3D joint
MAX_REPROJ_ERROR = 5.0
#: default plausible pelvis-neck length (mm): outside it the joints are not in mm
TORSO_RANGE = (150.0, 1200.0)
#: bbox padding, fraction of the joint extent per side
BBOX_PAD = 0.1


class CustomDataError(ValueError):
    """An input record that cannot be converted (the message names where and why)."""


def joint_index(joint_names: Sequence[str], name_map: Optional[Dict[str, str]] = None
                ) -> np.ndarray:
    """For each of the 17 MuPoTS joints, its index in the user's joint order.

    Args:
        joint_names (Sequence[str]): the user's joint names, in array order.
        name_map (dict, optional): user name -> MuPoTS name (names not in it are kept).

    Returns:
        np.ndarray: (17,) int64 indices into ``joint_names``.
    """
    name_map = dict(name_map or {})
    bad = sorted(set(name_map.values()) - set(JOINT_NAMES))
    if bad:
        raise CustomDataError(f'--name-map maps to unknown MuPoTS joints {bad}; the 17 '
                              f'names are {list(JOINT_NAMES)}')
    if len(set(joint_names)) != len(joint_names):
        raise CustomDataError(f'--joint-names has duplicates: {list(joint_names)}')
    mapped = [name_map.get(n, n) for n in joint_names]
    missing = [n for n in JOINT_NAMES if n not in mapped]
    if missing:
        raise CustomDataError(
            f'after --name-map, the joints {missing} of the 17 MuPoTS joints are not among '
            f'--joint-names {list(joint_names)}; map a name of yours to each (e.g. '
            f'--name-map \'{{"Hips": "pelvis"}}\')')
    dup = sorted({n for n in mapped if n in JOINT_NAMES and mapped.count(n) > 1})
    if dup:
        raise CustomDataError(f'several of --joint-names map to the same MuPoTS joint: {dup}')
    return np.array([mapped.index(n) for n in JOINT_NAMES], np.int64)


def read_records(path: str) -> Iterator[Tuple[str, dict]]:
    """Yield ``(where, record)`` from a JSON Lines or JSON file (``where`` = 'file:line N'
    or 'file: image #i')."""
    if not osp.isfile(path):
        raise CustomDataError(f'{path}: input file not found')
    with open(path) as f:
        text = f.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = None  # JSON Lines
    if data is None or (isinstance(data, dict) and 'images' not in data):
        for n, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise CustomDataError(f'{path}:line {n}: not valid JSON ({e})') from None
            yield f'{path}:line {n}', rec
        return
    images = data['images'] if isinstance(data, dict) else data
    if not isinstance(images, list):
        raise CustomDataError(f'{path}: expected a list of images or {{"images": [...]}}')
    for i, rec in enumerate(images):
        yield f'{path}: image #{i}', rec


def _array(value, shape_tail: Tuple[int, ...], where: str, field: str,
           names: Sequence[str], index: np.ndarray) -> np.ndarray:
    """``value`` (a list in the order of ``names`` or a dict name -> value) as float64
    (17, *shape_tail) in MuPoTS order, with errors naming ``where`` and ``field``."""
    num = len(names)
    if isinstance(value, dict):
        missing = [names[i] for i in index if names[i] not in value]
        if missing:
            raise CustomDataError(f'{where}: field "{field}" lacks the joints {missing}')
        fill = np.zeros(shape_tail).tolist()
        value = [value.get(n, fill) for n in names]
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise CustomDataError(f'{where}: field "{field}" is not a numeric array') from None
    if arr.ndim == 0 or arr.shape[0] != num or arr.shape[1:] != shape_tail:
        raise CustomDataError(
            f'{where}: field "{field}" has shape {list(arr.shape)}, expected '
            f'{[num, *shape_tail]} ({num} joints: {list(names)})')
    arr = arr[index]  # joints that map to no MuPoTS joint are not checked
    bad = ~np.isfinite(arr.reshape(len(index), -1)).all(axis=1)
    if bad.any():
        raise CustomDataError(f'{where}: field "{field}" has NaN/inf at the joints '
                              f'{[names[index[j]] for j in np.flatnonzero(bad)]}')
    return arr


def _image_size(rec: dict, where: str, img_root: Optional[str]) -> Tuple[int, int]:
    if 'width' in rec and 'height' in rec:
        w, h = int(rec['width']), int(rec['height'])
    else:
        import cv2
        path = osp.join(img_root or '', str(rec['image']))
        img = cv2.imread(path)
        if img is None:
            raise CustomDataError(f'{where}: no "width"/"height" given and the image {path} '
                                  'cannot be read to get them')
        h, w = img.shape[:2]
    if w <= 0 or h <= 0:
        raise CustomDataError(f'{where}: image size {w}x{h} is not positive')
    return w, h


def convert_person(person: dict, K: np.ndarray, where: str, joint_names: Sequence[str],
                   index: np.ndarray, max_reproj: float,
                   torso_range: Tuple[float, float]) -> Tuple[np.ndarray, ...]:
    """One person -> (keypoints_cam (17, 3), keypoints_img (17, 2), vis (17,)), MuPoTS order.

    Raises:
        CustomDataError: see the module docstring.
    """
    if not isinstance(person, dict) or 'joints_3d' not in person:
        raise CustomDataError(f'{where}: field "joints_3d" is missing')
    X = _array(person['joints_3d'], (3, ), where, 'joints_3d', joint_names, index)
    mup = JOINT_NAMES
    behind = np.flatnonzero(X[:, 2] <= 0)
    if behind.size:
        raise CustomDataError(
            f'{where}: field "joints_3d": the joints {[mup[j] for j in behind]} have Z <= 0 '
            f'(Z = {X[behind, 2].round(1).tolist()}): at or behind the camera; the camera '
            'frame is X right, Y down, Z forward, in mm')
    torso = float(np.linalg.norm(X[ROOT] - X[NECK]))
    if not torso_range[0] <= torso <= torso_range[1]:
        raise CustomDataError(
            f'{where}: field "joints_3d": pelvis-neck length {torso:.4g} is outside '
            f'{list(torso_range)} mm: are the joints in mm (not m or cm) and in the right '
            'order (--joint-names / --name-map)?')
    proj = project_np(X, K)
    if person.get('joints_2d') is not None:
        uv = _array(person['joints_2d'], (2, ), where, 'joints_2d', joint_names, index)
        err = np.linalg.norm(uv - proj, axis=1)
        if err.max() > max_reproj:
            j = int(err.argmax())
            raise CustomDataError(
                f'{where}: "joints_3d" does not project onto "joints_2d": reprojection error '
                f'{err.max():.1f} px at joint {mup[j]} (mean {err.mean():.1f} px) > '
                f'{max_reproj:g} px (--max-reproj-error); check the intrinsics, the joint '
                'order and that 3D is in the camera frame')
    else:
        uv = proj
    if person.get('visible') is not None:
        vis = _array(person['visible'], (), where, 'visible', joint_names, index)
    else:
        vis = np.ones(NUM_JOINTS)
    return X, uv, (vis > 0).astype(np.float64)


def _bbox(uv: np.ndarray, w: int, h: int) -> List[float]:
    lo, hi = uv.min(0), uv.max(0)
    pad = (hi - lo) * BBOX_PAD
    x0, y0 = np.clip(lo - pad, 0, [w - 1, h - 1])
    x1, y1 = np.clip(hi + pad, 0, [w - 1, h - 1])
    return [float(x0), float(y0), float(x1 - x0), float(y1 - y0)]


def convert_records(records, joint_names: Sequence[str] = JOINT_NAMES,
                    name_map: Optional[Dict[str, str]] = None,
                    img_root: Optional[str] = None, check_images: bool = True,
                    max_reproj: float = MAX_REPROJ_ERROR,
                    torso_range: Tuple[float, float] = TORSO_RANGE) -> dict:
    """Convert ``(where, record)`` pairs (see :func:`read_records`) to the MuCo JSON dict.

    Args:
        records (Iterable[tuple[str, dict]]): the input images.
        joint_names (Sequence[str]): names of the input joints, in array order.
        name_map (dict, optional): input name -> MuPoTS name.
        img_root (str, optional): folder the ``image`` paths are relative to.
        check_images (bool): raise when an image file does not exist under ``img_root``.
        max_reproj (float): largest allowed 2D-vs-projected-3D distance, px.
        torso_range (tuple[float, float]): plausible pelvis-neck length, mm.

    Returns:
        dict: ``images``, ``annotations``, ``categories`` and ``joint_names``.
    """
    index = joint_index(joint_names, name_map)
    images, anns = [], []
    for where, rec in records:
        if not isinstance(rec, dict) or not rec.get('image'):
            raise CustomDataError(f'{where}: field "image" (the image path) is missing')
        where = f'{where}: image {rec["image"]!r}'
        if check_images and not osp.isfile(osp.join(img_root or '', rec['image'])):
            raise CustomDataError(f'{where}: image file not found: '
                                  f'{osp.join(img_root or "", rec["image"])}')
        if rec.get('intrinsics') is None:
            raise CustomDataError(
                f'{where}: field "intrinsics" is missing (expected [fx, fy, cx, cy], '
                '{"fx", "fy", "cx", "cy"}, {"f": [fx, fy], "c": [cx, cy]} or {"K": 3x3})')
        try:
            K = parse_intrinsics(rec['intrinsics']).astype(np.float64)
        except ValueError as e:
            raise CustomDataError(f'{where}: field "intrinsics": {e}') from None
        if abs(K[0, 1]) > 1e-9 or abs(K[1, 0]) > 1e-9:
            raise CustomDataError(f'{where}: field "intrinsics": a skewed K is not supported '
                                  '(the MuCo format stores fx, fy, cx, cy)')
        w, h = _image_size(rec, where, img_root)
        img_id = len(images) + 1
        img = dict(id=img_id, file_name=str(rec['image']), width=w, height=h,
                   f=[float(K[0, 0]), float(K[1, 1])], c=[float(K[0, 2]), float(K[1, 2])])
        for key in ('seq_name', 'frame_idx'):
            if key in rec:
                img[key] = rec[key]
        images.append(img)
        people = rec.get('people', [])
        if not isinstance(people, list):
            raise CustomDataError(f'{where}: field "people" must be a list')
        for p, person in enumerate(people):
            X, uv, vis = convert_person(person, K, f'{where}: person #{p}', joint_names,
                                        index, max_reproj, torso_range)
            bbox = _bbox(uv, w, h)
            anns.append(dict(
                id=len(anns) + 1, image_id=img_id, category_id=1,
                keypoints_cam=X.tolist(), keypoints_img=uv.tolist(),
                keypoints_vis=vis.tolist(), bbox=bbox, area=bbox[2] * bbox[3],
                iscrowd=0, is_valid=1))
    return dict(images=images, annotations=anns, joint_names=list(JOINT_NAMES),
                categories=[dict(id=1, name='person')])


def _names_arg(value: Optional[str]) -> List[str]:
    if not value:
        return list(JOINT_NAMES)
    if osp.isfile(value):
        with open(value) as f:
            text = f.read()
        try:
            return [str(n) for n in json.loads(text)]
        except json.JSONDecodeError:
            return [n.strip() for n in text.replace(',', '\n').splitlines() if n.strip()]
    return [n.strip() for n in value.split(',') if n.strip()]


def _map_arg(value: Optional[str]) -> Dict[str, str]:
    if not value:
        return {}
    text = open(value).read() if osp.isfile(value) else value
    try:
        out = json.loads(text)
    except json.JSONDecodeError as e:
        raise CustomDataError(f'--name-map: not a JSON object ({e}): {value}') from None
    if not isinstance(out, dict):
        raise CustomDataError(f'--name-map: expected a JSON object, got {value}')
    return out


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='input .jsonl or .json (see the module docstring)')
    parser.add_argument('out', help='output MuCo-3DHP-style JSON')
    parser.add_argument('--img-root', default='',
                        help='folder the "image" paths are relative to (the config\'s '
                        'data_root + data_prefix.img)')
    parser.add_argument('--joint-names', help='your joint names in array order: comma '
                        'list, or a file (JSON list, or one per line); default the 17 MuPoTS')
    parser.add_argument('--name-map', help='JSON object (or file) your name -> MuPoTS name')
    parser.add_argument('--max-reproj-error', type=float, default=MAX_REPROJ_ERROR,
                        help='px (default %(default)s)')
    parser.add_argument('--torso-range', type=float, nargs=2, default=TORSO_RANGE,
                        help='plausible pelvis-neck length, mm (default %(default)s)')
    parser.add_argument('--no-check-images', action='store_true',
                        help='do not check that the image files exist')
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    try:
        out = convert_records(
            read_records(args.src), _names_arg(args.joint_names), _map_arg(args.name_map),
            img_root=args.img_root, check_images=not args.no_check_images,
            max_reproj=args.max_reproj_error, torso_range=tuple(args.torso_range))
    except CustomDataError as e:
        raise SystemExit(f'custom_to_muco: {e}')
    if osp.dirname(args.out):
        os.makedirs(osp.dirname(args.out), exist_ok=True)
    with open(args.out, 'w') as f:
        json.dump(out, f)
    print(f'{args.out}: {len(out["images"])} images, {len(out["annotations"])} people')
    return out


if __name__ == '__main__':
    main()
