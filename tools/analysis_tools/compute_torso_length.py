"""Mean torso (pelvis-neck) length of a MuCo/MuPoTS-format training set, in mm.

MAR's geometry depth (Eq. 7-8) needs a torso length Omega. The paper-setting config uses a
constant: the mean root-neck length of the training set, which this tool computes::

    python tools/analysis_tools/compute_torso_length.py data/muco/annotations/MuCo-3DHP.json
    # then: --cfg-options model.head.omega=<printed value>
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


def torso_lengths(ann_file: str, key: str = 'keypoints_cam') -> np.ndarray:
    """Pelvis-neck lengths (mm) of every valid annotated person in a MuPoTS-style JSON."""
    with open(ann_file) as f:
        data = json.load(f)
    if 'annotations' not in data:
        raise ValueError(f'{ann_file}: no "annotations" list (not a MuCo/MuPoTS JSON)')
    joints = [a[key] for a in data['annotations'] if a.get('is_valid', 1) and key in a]
    if not joints:
        raise ValueError(f'{ann_file}: no valid annotation has the field "{key}"')
    j = np.asarray(joints, dtype=np.float64)
    if j.ndim != 3 or j.shape[1] <= max(ROOT, NECK) or j.shape[2] != 3:
        raise ValueError(f'{ann_file}: field "{key}" must be J x 3 per annotation, '
                         f'got {j.shape[1:]}')
    lengths = np.linalg.norm(j[:, NECK] - j[:, ROOT], axis=-1)
    return lengths[np.isfinite(lengths) & (lengths > 0)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('ann_files', nargs='+', help='MuCo/MuPoTS-format JSON files')
    parser.add_argument('--key', default='keypoints_cam', help='3D joint field (mm)')
    args = parser.parse_args(argv)
    lengths = np.concatenate([torso_lengths(f, args.key) for f in args.ann_files])
    print(f'people: {lengths.size}  mean torso length: {lengths.mean():.1f} mm  '
          f'std: {lengths.std():.1f} mm  (min {lengths.min():.1f}, max {lengths.max():.1f})')
    return float(lengths.mean())


if __name__ == '__main__':
    main()
