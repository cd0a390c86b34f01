"""Human3.6M root-position and pose errors (Table 2 of the paper), plain numpy.

* MRPE: mean root position error, mean over samples of ``|P_root - G_root|`` (mm), with its
  per-axis parts ``MRPE_x/y/z = mean |P_root,axis - G_root,axis|`` (Moon et al., 3DMPPE).
* MPJPE: root-relative mean per-joint position error (mm) over ``joints`` (default: all 17);
  ``MPJPE_abs`` the same without root alignment.
"""
from typing import Dict, Optional, Sequence

import numpy as np

from mmmar.structures.skeleton import NUM_JOINTS, ROOT


def select_single_person(gt_2d: Optional[np.ndarray], pred_2d: Optional[np.ndarray],
                         scores: Optional[np.ndarray], num_pred: int) -> int:
    """Which prediction is the (single) ground-truth person; -1 when there is none.

    Rule: the prediction with the smallest mean 2D joint distance to the ground truth (joints
    where either 2D point is not finite are skipped) when both 2D poses are known; otherwise
    the highest ``scores``; otherwise the first prediction."""
    if num_pred == 0:
        return -1
    if gt_2d is not None and pred_2d is not None and len(pred_2d) == num_pred:
        g = np.asarray(gt_2d, np.float64)[None, :, :2]
        p = np.asarray(pred_2d, np.float64)[:, :, :2]
        d = np.linalg.norm(p - g, axis=-1)
        d = np.where(np.isfinite(d), d, np.nan)
        with np.errstate(invalid='ignore'):
            cnt = np.isfinite(d).sum(-1)
            mean = np.where(cnt > 0, np.nansum(d, -1) / np.maximum(cnt, 1), np.inf)
        if np.isfinite(mean).any():
            return int(np.argmin(mean))
    if scores is not None and len(scores) == num_pred:
        return int(np.argmax(np.asarray(scores, np.float64)))
    return 0


def evaluate_h36m(gt_3d: np.ndarray, pred_3d: np.ndarray, root: int = ROOT,
                  joints: Optional[Sequence[int]] = None) -> Dict[str, float]:
    """gt_3d, pred_3d: (N, 17, 3) mm, camera space, matched one to one.

    Returns ``MRPE, MRPE_x, MRPE_y, MRPE_z, MPJPE, MPJPE_abs`` (mm) and ``num_samples``.
    NaN/inf or a wrong joint count raises ValueError; N = 0 gives None values."""
    g = np.asarray(gt_3d, np.float64)
    p = np.asarray(pred_3d, np.float64)
    if g.size == 0 and p.size == 0:
        return dict(MRPE=None, MRPE_x=None, MRPE_y=None, MRPE_z=None, MPJPE=None,
                    MPJPE_abs=None, num_samples=0)
    for a, nm in ((g, 'ground truth'), (p, 'prediction')):
        if a.ndim != 3 or a.shape[1:] != (NUM_JOINTS, 3):
            raise ValueError(f'{nm} must have shape (N, {NUM_JOINTS}, 3), got {a.shape}')
        if not np.isfinite(a).all():
            raise ValueError(f'{nm} contains NaN/inf')
    if len(g) != len(p):
        raise ValueError(f'{len(g)} ground-truth vs {len(p)} predicted poses')
    jj = list(range(NUM_JOINTS)) if joints is None else list(joints)
    d_root = p[:, root] - g[:, root]
    rel = (p - p[:, root:root + 1]) - (g - g[:, root:root + 1])
    return dict(
        MRPE=float(np.linalg.norm(d_root, axis=-1).mean()),
        MRPE_x=float(np.abs(d_root[:, 0]).mean()),
        MRPE_y=float(np.abs(d_root[:, 1]).mean()),
        MRPE_z=float(np.abs(d_root[:, 2]).mean()),
        MPJPE=float(np.linalg.norm(rel[:, jj], axis=-1).mean()),
        MPJPE_abs=float(np.linalg.norm((p - g)[:, jj], axis=-1).mean()),
        num_samples=int(len(g)))
