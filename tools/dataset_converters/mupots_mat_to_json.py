"""Convert MuPoTS-3D's own ``TS*/annot.mat`` + ``occlusion.mat`` to the 3DMPPE-style JSON
read by ``MuPoTS3DDataset``.

``annot.mat`` holds ``annotations``, a MATLAB cell array of structs indexed
``annotations{frame, person}`` ([num_frames x num_people], as the official evaluation
``mpii_mupots_multiperson_eval.m`` reads it; the default ``--layout frames_people``; a struct
array is read the same way; ``--layout people_frames`` reads a transposed file, whose
``occlusion_labels`` must then be transposed too) -- with fields ``annot2`` (2x17 px),
``annot3`` (3x17 mm, camera space), ``univ_annot3`` (3x17 mm, height-normalised "universal"
skeleton, written as ``keypoints_univ``) and ``isValidFrame``. ``occlusion.mat`` holds
``occlusion_labels``, a cell over (frame, person) of 1x17 flags (1 = occluded).

Intrinsics: MuPoTS ships no intrinsics. Give them per sequence with ``--intrinsics file.json``
(``{"TS1": [fx, fy, cx, cy], ...}`` or ``{"TS1": {"f": [fx, fy], "c": [cx, cy],
"width": W, "height": H}, ...}``, or a single ``[fx, fy, cx, cy]`` for all), or estimate them
with ``--estimate-intrinsics``: a per-sequence linear least-squares fit of ``annot2`` to the
pinhole projection of ``annot3`` (``u = fx X/Z + cx``, ``v = fy Y/Z + cy``), which is how the
3DMPPE release obtained its values. The image size comes from the intrinsics entry, else from
``--image-size W H``, else from the first image of the sequence under ``--img-root``.

Output (one JSON for all given sequences): ``images`` = ``dict(id, file_name='TS1/img_000000.jpg'
(0-based frames), width, height, intrinsic=[fx, fy, cx, cy], f, c, seq_name, frame_idx)``;
``annotations`` = ``dict(id, image_id, category_id=1, keypoints_img (17x2), keypoints_cam (17x3
mm), keypoints_univ (17x3 mm, from univ_annot3), keypoints_vis (17, 1 - occlusion), bbox
[x, y, w, h] (joint extent padded by 10 % per side, clipped), area, iscrowd=0, is_valid)``.

Example::

    python tools/dataset_converters/mupots_mat_to_json.py data/MultiPersonTestSet \\
        data/mupots3d_test.json --estimate-intrinsics
"""
import argparse
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional, Sequence, Tuple

if __name__ == '__main__':  # a Python without numpy/scipy re-runs under the project's environment
    sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
    from tools.project_python import ensure_project_python
    ensure_project_python(('numpy', 'scipy'))

import numpy as np  # noqa: E402
import scipy.io as sio  # noqa: E402

#: axes of ``annotations`` / ``occlusion_labels``: MuPoTS's own {frame, person}, transposed
LAYOUTS = ('frames_people', 'people_frames')


def _unwrap(x):
    """Unwrap scipy's (1, 1) object/struct arrays down to the payload."""
    while isinstance(x, np.ndarray) and x.dtype == object and x.size == 1:
        x = x.reshape(-1)[0]
    return x


def _field(rec, name, path):
    try:
        val = rec[name]
    except (KeyError, ValueError, IndexError):
        raise KeyError(f'{path}: annotation struct has no field "{name}"')
    return _unwrap(val)


def load_sequence(annot_path: str, occ_path: Optional[str] = None,
                  layout: str = 'frames_people'):
    """Read one sequence (``layout``: ``frames_people`` = MuPoTS's own
    ``annotations{frame, person}``, or ``people_frames``). Returns a list over frames of
    lists over people of dicts with ``annot2`` (17, 2), ``annot3`` (17, 3), ``univ_annot3``
    (17, 3), ``is_valid``, ``vis`` (17,)."""
    mat = sio.loadmat(annot_path)
    if 'annotations' not in mat:
        raise KeyError(f'{annot_path}: no variable "annotations"')
    ann = mat['annotations']
    occ = None
    if occ_path is not None:
        omat = sio.loadmat(occ_path)
        if 'occlusion_labels' not in omat:
            raise KeyError(f'{occ_path}: no variable "occlusion_labels"')
        occ = omat['occlusion_labels']
    if layout not in LAYOUTS:
        raise ValueError(f'unknown layout {layout!r}, expected one of {LAYOUTS}')
    if ann.ndim == 1:
        ann = ann[:, None] if layout == 'frames_people' else ann[None, :]
    if occ is not None and occ.ndim == 1:
        occ = occ[:, None] if layout == 'frames_people' else occ[None, :]
    if layout == 'people_frames':
        ann = ann.T
        occ = occ.T if occ is not None else None
    if occ is not None and occ.shape != ann.shape:
        raise ValueError(f'{occ_path}: occlusion_labels shape {occ.shape} does not match the '
                         f'annotations {ann.shape} of {annot_path}')
    frames = []
    for f in range(ann.shape[0]):
        people = []
        for p in range(ann.shape[1]):
            rec = _unwrap(ann[f, p]) if ann.dtype == object else ann[f, p]
            a2 = np.asarray(_field(rec, 'annot2', annot_path), np.float64)
            a3 = np.asarray(_field(rec, 'annot3', annot_path), np.float64)
            try:
                u3 = np.asarray(_field(rec, 'univ_annot3', annot_path), np.float64)
            except KeyError:
                u3 = None
            valid = int(np.asarray(_field(rec, 'isValidFrame', annot_path)).reshape(-1)[0])
            for name, arr, d in (('annot2', a2, 2), ('annot3', a3, 3), ('univ_annot3', u3, 3)):
                if arr is not None and arr.size != d * 17:
                    raise ValueError(f'{annot_path}: frame {f} person {p}: field "{name}" has '
                                     f'{arr.size} values, expected {d}x17')
            vis = np.ones(17, np.int64)
            if occ is not None:
                o = np.asarray(_unwrap(occ[f, p]), np.float64).reshape(-1)
                if o.size != 17:
                    raise ValueError(f'{occ_path}: frame {f} person {p}: occlusion_labels has '
                                     f'{o.size} values, expected 17')
                vis = (o == 0).astype(np.int64)
            people.append(dict(
                annot2=a2.reshape(2, 17).T, annot3=a3.reshape(3, 17).T,
                univ_annot3=None if u3 is None else u3.reshape(3, 17).T,
                is_valid=valid, vis=vis))
        frames.append(people)
    return frames


def estimate_intrinsics(frames) -> Tuple[float, float, float, float]:
    """Least-squares pinhole (fx, fy, cx, cy) from annot2 ~ proj(annot3) over valid people."""
    xs, us, ys, vs = [], [], [], []
    for people in frames:
        for p in people:
            if not p['is_valid']:
                continue
            X = p['annot3']
            ok = X[:, 2] > 1e-6
            xs.append(X[ok, 0] / X[ok, 2])
            ys.append(X[ok, 1] / X[ok, 2])
            us.append(p['annot2'][ok, 0])
            vs.append(p['annot2'][ok, 1])
    if not xs:
        raise ValueError('cannot estimate intrinsics: no valid annotation')
    x, u, y, v = map(np.concatenate, (xs, us, ys, vs))
    fx, cx = np.linalg.lstsq(np.stack([x, np.ones_like(x)], 1), u, rcond=None)[0]
    fy, cy = np.linalg.lstsq(np.stack([y, np.ones_like(y)], 1), v, rcond=None)[0]
    return float(fx), float(fy), float(cx), float(cy)


def _bbox(kp: np.ndarray, w: int, h: int) -> List[float]:
    x0, y0 = kp.min(0)
    x1, y1 = kp.max(0)
    pw, ph = 0.1 * (x1 - x0), 0.1 * (y1 - y0)
    x0, x1 = np.clip([x0 - pw, x1 + pw], 0, w - 1)
    y0, y1 = np.clip([y0 - ph, y1 + ph], 0, h - 1)
    return [float(x0), float(y0), float(max(x1 - x0, 0)), float(max(y1 - y0, 0))]


def _parse_intr(entry):
    if isinstance(entry, dict):
        fx, fy = entry['f']
        cx, cy = entry['c']
        size = (entry.get('width'), entry.get('height'))
    else:
        fx, fy, cx, cy = entry
        size = (None, None)
    return (float(fx), float(fy), float(cx), float(cy)), size


def convert(mupots_root: str,
            out_file: str,
            seqs: Optional[Sequence[str]] = None,
            intrinsics=None,
            estimate: bool = False,
            image_size: Optional[Tuple[int, int]] = None,
            img_root: Optional[str] = None,
            layout: str = 'frames_people') -> Dict:
    """Convert sequences ``seqs`` (default: every ``TS*`` folder with an annot.mat) under
    ``mupots_root``; ``intrinsics`` is a dict seq -> entry, a single entry, or None (then
    ``estimate`` must be True). Writes and returns the JSON dict."""
    if seqs is None:
        seqs = sorted((d for d in os.listdir(mupots_root)
                       if d.startswith('TS') and osp.isfile(osp.join(mupots_root, d, 'annot.mat'))),
                      key=lambda s: int(s[2:]) if s[2:].isdigit() else s)
    images, annotations = [], []
    img_id = ann_id = 0
    for seq in seqs:
        annot_path = osp.join(mupots_root, seq, 'annot.mat')
        if not osp.isfile(annot_path):
            raise FileNotFoundError(f'{annot_path} not found')
        occ_path = osp.join(mupots_root, seq, 'occlusion.mat')
        frames = load_sequence(annot_path, occ_path if osp.isfile(occ_path) else None, layout)
        size = (None, None)
        if intrinsics is not None and not estimate:
            entry = intrinsics.get(seq) if isinstance(intrinsics, dict) else intrinsics
            if entry is None:
                raise KeyError(f'no intrinsics given for sequence {seq}')
            (fx, fy, cx, cy), size = _parse_intr(entry)
        elif estimate:
            fx, fy, cx, cy = estimate_intrinsics(frames)
        else:
            raise ValueError('MuPoTS has no intrinsics: pass --intrinsics or '
                             '--estimate-intrinsics')
        if size[0] is None:
            if image_size is not None:
                size = tuple(image_size)
            else:
                first = osp.join(img_root or mupots_root, seq, 'img_000000.jpg')
                if not osp.isfile(first):
                    raise FileNotFoundError(f'image size of {seq} unknown: give --image-size '
                                            f'or width/height in --intrinsics ({first} missing)')
                import cv2
                im = cv2.imread(first)
                if im is None:
                    raise ValueError(f'cannot read {first}')
                size = (im.shape[1], im.shape[0])
        w, h = int(size[0]), int(size[1])
        for fi, people in enumerate(frames):
            images.append(dict(id=img_id, file_name=f'{seq}/img_{fi:06d}.jpg', width=w,
                               height=h, intrinsic=[fx, fy, cx, cy], f=[fx, fy], c=[cx, cy],
                               seq_name=seq, frame_idx=fi))
            for p in people:
                bbox = _bbox(p['annot2'], w, h)
                a = dict(id=ann_id, image_id=img_id, category_id=1,
                         keypoints_img=p['annot2'].tolist(), keypoints_cam=p['annot3'].tolist(),
                         keypoints_vis=p['vis'].tolist(), bbox=bbox, area=bbox[2] * bbox[3],
                         iscrowd=0, is_valid=int(p['is_valid']))
                if p['univ_annot3'] is not None:
                    a['keypoints_univ'] = p['univ_annot3'].tolist()
                annotations.append(a)
                ann_id += 1
            img_id += 1
    out = dict(info=dict(description='MuPoTS-3D converted by mmmar mupots_mat_to_json.py',
                         units='mm'),
               categories=[dict(id=1, name='person', supercategory='person')],
               images=images, annotations=annotations)
    if osp.dirname(out_file):
        os.makedirs(osp.dirname(out_file), exist_ok=True)
    with open(out_file, 'w') as f:
        json.dump(out, f)
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('mupots_root', help='folder with TS1..TS20/{annot,occlusion}.mat')
    p.add_argument('out_file')
    p.add_argument('--seqs', nargs='+', default=None)
    p.add_argument('--intrinsics', default=None, help='json file, see module docstring')
    p.add_argument('--estimate-intrinsics', action='store_true')
    p.add_argument('--image-size', type=int, nargs=2, default=None, metavar=('W', 'H'))
    p.add_argument('--img-root', default=None)
    p.add_argument('--layout', default='frames_people', choices=LAYOUTS,
                   help='axes of annotations/occlusion_labels: MuPoTS\'s own '
                   '{frame, person} (default) or a transposed {person, frame}')
    a = p.parse_args(argv)
    intr = None
    if a.intrinsics:
        with open(a.intrinsics) as f:
            intr = json.load(f)
    out = convert(a.mupots_root, a.out_file, a.seqs, intr, a.estimate_intrinsics,
                  a.image_size, a.img_root, a.layout)
    print(f'wrote {len(out["images"])} images, {len(out["annotations"])} annotations to '
          f'{a.out_file}')


if __name__ == '__main__':
    main()
