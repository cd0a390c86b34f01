"""Mean torso (pelvis-neck) length Omega, in mm, of 3D pose annotations.

MAR's geometry depth (Eq. 7-8) needs a torso length Omega; the paper-setting config uses a
constant, the mean root-neck (pelvis-neck) length of real people, which this tool computes
from

* a MuCo-3DHP / MuPoTS-3D JSON of the 3DMPPE release (COCO-like ``images`` /
  ``annotations``; each annotation's ``keypoints_cam`` is J x 3 in mm, J = 21 for MuCo, 17
  for MuPoTS, the first 17 in MuPoTS order: pelvis 14, neck 1; ``is_valid == 0`` skipped),
  as read by ``MuCo3DHPDataset``;
* an mmpose body3d ``.npz`` (``S``: N x 17 x 4, camera-space **metres** + confidence) in
  MuPoTS / MPI-INF-3DHP order (``--order mupots``) or Human3.6M order (``--order h36m``:
  pelvis = root 0, neck = thorax 8, as ``mmmar.datasets.joint_mappings.H36M_TO_MAR``)::

    python tools/analysis_tools/compute_torso_length.py data/muco/annotations/MuCo-3DHP.json
    python tools/analysis_tools/compute_torso_length.py a_3dhp.npz b_h36m.npz \
        --order mupots h36m
    # then: --cfg-options model.head.omega=<printed mean>
"""
import argparse
import json
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
if __name__ == '__main__':  # a Python without numpy re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python(('numpy', ))

import numpy as np  # noqa: E402

from mmmar.structures.skeleton import NECK, ROOT  # noqa: E402

#: joint orders this tool understands -> (pelvis index, neck index)
ORDERS = ('mupots', 'h36m')
#: plausible torso lengths (mm); a median outside means wrong units or joint order
PLAUSIBLE_MM = (250., 800.)


def torso_indices(order: str):
    """(pelvis, neck) joint indices of a joint order in :data:`ORDERS`."""
    if order == 'mupots':
        return ROOT, NECK
    if order == 'h36m':
        from mmmar.datasets.joint_mappings import H36M_TO_MAR
        return H36M_TO_MAR[ROOT], H36M_TO_MAR[NECK]
    raise ValueError(f'unknown joint order {order!r}, expected one of {ORDERS}')


def _json_joints(ann_file: str, key: str) -> np.ndarray:
    """(N, J, 3) mm joints of the valid annotations of a 3DMPPE-style JSON."""
    with open(ann_file) as f:
        data = json.load(f)
    if not isinstance(data, dict) or not isinstance(data.get('annotations'), list):
        raise ValueError(f'{ann_file}: no "annotations" list (not a MuCo/MuPoTS JSON)')
    joints = []
    for i, a in enumerate(data['annotations']):
        if not int(np.asarray(a.get('is_valid', 1)).reshape(-1)[0]):
            continue
        if key not in a:
            raise ValueError(f'{ann_file}: annotation #{i} (id={a.get("id")}) has no field '
                             f'"{key}" (J x 3 camera-space joints in mm expected)')
        j = np.asarray(a[key], np.float64)
        if j.size % 3 or j.size // 3 <= max(ROOT, NECK):
            raise ValueError(f'{ann_file}: annotation #{i} (id={a.get("id")}): field "{key}" '
                             f'has {j.size} values, expected J x 3 with J >= 17')
        joints.append(j.reshape(-1, 3)[:max(ROOT, NECK) + 1])
    if not joints:
        raise ValueError(f'{ann_file}: no valid annotation')
    return np.stack(joints)


def _npz_joints(ann_file: str, order: str) -> np.ndarray:
    """(N, 2, 3) mm pelvis/neck of an mmpose body3d npz (``S`` in metres), confident ones."""
    data = np.load(ann_file)
    if 'S' not in data:
        raise ValueError(f'{ann_file}: no array "S" (N x J x 4 camera-space metres + '
                         f'confidence expected)')
    S = np.asarray(data['S'], np.float64)
    r, m = torso_indices(order)
    if S.ndim != 3 or S.shape[2] not in (3, 4) or S.shape[1] <= max(r, m):
        raise ValueError(f'{ann_file}: "S" has shape {S.shape}, expected N x J x 4 '
                         f'(J > {max(r, m)})')
    ok = np.ones(len(S), bool) if S.shape[2] == 3 else (S[:, r, 3] > 0) & (S[:, m, 3] > 0)
    return S[ok][:, [r, m], :3] * 1000.


def torso_lengths(ann_file: str, key: str = 'keypoints_cam',
                  order: str = 'mupots') -> np.ndarray:
    """Pelvis-neck lengths (mm) of every valid person of ``ann_file``.

    Args:
        ann_file (str): A 3DMPPE-style MuCo/MuPoTS ``.json`` or an mmpose body3d ``.npz``.
        key (str): The 3D joint field of a JSON (mm).
        order (str): Joint order of an ``.npz`` (a JSON is always MuPoTS order).

    Returns:
        np.ndarray: (N,) lengths in mm.
    """
    if ann_file.endswith('.npz'):
        pts = _npz_joints(ann_file, order)
        lengths = np.linalg.norm(pts[:, 1] - pts[:, 0], axis=-1)
    else:
        if order != 'mupots':
            raise ValueError(f'{ann_file}: a MuCo/MuPoTS JSON is in MuPoTS order, not '
                             f'{order!r}')
        j = _json_joints(ann_file, key)
        lengths = np.linalg.norm(j[:, NECK] - j[:, ROOT], axis=-1)
    lengths = lengths[np.isfinite(lengths) & (lengths > 0)]
    if not lengths.size:
        raise ValueError(f'{ann_file}: no person with a finite pelvis-neck length')
    med = float(np.median(lengths))
    if not PLAUSIBLE_MM[0] <= med <= PLAUSIBLE_MM[1]:
        raise ValueError(f'{ann_file}: median pelvis-neck length {med:.1f} is not a torso '
                         f'in mm (expected {PLAUSIBLE_MM[0]:.0f}-{PLAUSIBLE_MM[1]:.0f}); '
                         f'check the units and the joint order (--order)')
    return lengths


def _stats(lengths: np.ndarray) -> str:
    return (f'people: {lengths.size}  mean {lengths.mean():.1f} mm  std {lengths.std():.1f}'
            f'  (min {lengths.min():.1f}, max {lengths.max():.1f})')


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_files', nargs='+', help='MuCo/MuPoTS JSON or body3d npz files')
    parser.add_argument('--key', default='keypoints_cam', help='3D joint field of a JSON (mm)')
    parser.add_argument('--order', nargs='+', default=['mupots'], choices=ORDERS,
                        help='joint order of the npz files: one for all, or one per file')
    args = parser.parse_args(argv)
    orders = args.order * len(args.ann_files) if len(args.order) == 1 else args.order
    if len(orders) != len(args.ann_files):
        parser.error(f'--order: give one order or one per file ({len(args.ann_files)})')
    per_file = [torso_lengths(f, args.key, o) for f, o in zip(args.ann_files, orders)]
    for f, lengths in zip(args.ann_files, per_file):
        print(f'{f}: {_stats(lengths)}')
    lengths = np.concatenate(per_file)
    print(f'all: {_stats(lengths)}  -> Omega = {lengths.mean():.1f} mm')
    return float(lengths.mean())


if __name__ == '__main__':
    main()
