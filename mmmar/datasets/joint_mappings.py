"""Joint mappings from other datasets' joint sets onto the 17 MAR (MuPoTS) joints.

This is the only place where such tables live. Each table has one entry per MAR joint
(``mmmar.structures.skeleton.JOINT_NAMES`` order); an entry is

* an int ``j``: the source joint ``j``;
* a tuple ``(a, b)``: the midpoint of source joints ``a`` and ``b``, known only when both are
  labelled (valid iff both valid, visible iff both visible);
* ``None``: the source has no such joint; it is marked invalid and invisible (2D unknown).

COCO-17 -> MAR: neck = mid-shoulders, pelvis = mid-hips; head_top, spine and head have no COCO
counterpart (the nose is not the MuPoTS 'head' joint) and are invisible/invalid.

Human3.6M-17 (mmpose order: 0 root, 1 rhip, 2 rknee, 3 rfoot, 4 lhip, 5 lknee, 6 lfoot,
7 spine, 8 thorax, 9 neck/nose, 10 head, 11 lsho, 12 lelb, 13 lwri, 14 rsho, 15 relb, 16 rwri)
-> MAR: head_top = H36M head(10), neck = thorax(8), head = neck/nose(9), spine = spine(7),
pelvis = root(0), limbs one-to-one. (The same correspondence as MPI-INF-3DHP's 17-joint
set, which is the MuPoTS order.)
"""
import numpy as np

from mmmar.structures.skeleton import NUM_JOINTS

COCO_TO_MAR = (
    None,  # 0 head_top
    (5, 6),  # 1 neck = mid-shoulders
    6, 8, 10,  # 2-4 right shoulder, elbow, wrist
    5, 7, 9,  # 5-7 left shoulder, elbow, wrist
    12, 14, 16,  # 8-10 right hip, knee, ankle
    11, 13, 15,  # 11-13 left hip, knee, ankle
    (11, 12),  # 14 pelvis = mid-hips
    None,  # 15 spine
    None,  # 16 head
)

H36M_TO_MAR = (10, 8, 14, 15, 16, 11, 12, 13, 1, 2, 3, 4, 5, 6, 0, 7, 9)

assert len(COCO_TO_MAR) == NUM_JOINTS and len(H36M_TO_MAR) == NUM_JOINTS


def map_joints(values: np.ndarray, flags: np.ndarray, table) -> tuple:
    """Map ``values`` (N, J_src, D) and 0/1 ``flags`` (N, J_src) with ``table``.

    Returns (N, 17, D) values and (N, 17) flags (float32); unknown joints get zeros.
    Midpoints need both flags set.
    """
    values = np.asarray(values, dtype=np.float32)
    flags = np.asarray(flags, dtype=np.float32)
    n, _, d = values.shape
    out = np.zeros((n, NUM_JOINTS, d), dtype=np.float32)
    out_flags = np.zeros((n, NUM_JOINTS), dtype=np.float32)
    for k, src in enumerate(table):
        if src is None:
            continue
        if isinstance(src, tuple):
            a, b = src
            f = np.minimum(flags[:, a], flags[:, b])
            out[:, k] = 0.5 * (values[:, a] + values[:, b]) * (f > 0)[:, None]
            out_flags[:, k] = f
        else:
            out[:, k] = values[:, src]
            out_flags[:, k] = flags[:, src]
    return out, out_flags
