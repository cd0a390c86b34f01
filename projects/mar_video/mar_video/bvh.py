"""Export a track's 3D skeletons as a BVH motion file (Blender, MotionBuilder, ...).

**Hierarchy.** The 17 MuPoTS-3D joints (``mmmar.structures.skeleton``) rooted at the pelvis
(index 14); each of the five leaves (head_top, wrists, ankles) is a ``JOINT`` with an
``End Site`` a quarter of its incoming bone further along that bone. The root has the
channels ``Xposition Yposition Zposition Zrotation Xrotation Yrotation``, every other joint
``Zrotation Xrotation Yrotation`` (a joint's matrix is ``Rz @ Rx @ Ry``, angles in degrees).

**Axes and units.** Millimetres, in the camera frame turned 180 degrees about its X axis:
``(X, -Y, -Z)`` of the camera (X right, Y up, Z towards the viewer), so that people stand
upright in Blender's default BVH import (Y up) and the camera looks along -Z; the root
translation is the pelvis in that frame. Import in Blender with scale 0.001 for metres.

**Rest pose.** All joint frames are the identity at rest. Offsets come from the track's
*median* bone lengths: for a joint with one child the child's offset is the median length
along a fixed T-pose direction (spine, neck-head, head up; arms out along -X / +X (right /
left, the person faces +Z); thighs out to the hips, legs down). The two joints with three
children, pelvis (spine, hips) and neck (head, shoulders), carry a full frame built from two
directions (pelvis: up = pelvis->spine, across = r_hip->l_hip; neck: up = neck->head, across
= r_shoulder->l_shoulder; Gram-Schmidt); their children's offsets are the per-coordinate
medians of the children's positions in that frame.

**Rotations.** Pelvis and neck: their two-direction frame. A joint with one child: the
*swing* (the smallest rotation) that turns the bone's direction as carried by the parent's
frame into the bone's current direction, so the twist about the bone is inherited from the
parent (a consistent, jitter-free choice: no twist is observable from joint positions).
Leaves: the identity.

**What is exact.** Forward kinematics of the file reproduces every bone's current direction
exactly, with the median bone lengths, and the pelvis/neck children at their median offsets
in the pelvis/neck frames. For a skeleton with constant bone lengths and rigid pelvis and
shoulder triangles (e.g. the generated video's ground truth) this equals the input; otherwise
the file stores the input *rigidified* that way, which :func:`skeleton_to_bvh` also returns
(``positions``) so that its distance to the input can be measured. Frames where the track was
missing (between its first and last frame) are filled by linear interpolation of the joints.
"""
from typing import Dict, List, Optional

import numpy as np

from mmmar.structures.skeleton import JOINT_NAMES, NUM_JOINTS, PARENTS, ROOT

__all__ = ['BVH_AXES', 'skeleton_to_bvh', 'write_bvh', 'euler_zxy',
           'matrix_zxy', 'fill_gaps']

#: Camera frame -> BVH frame (180 degrees about X).
BVH_AXES = np.diag([1.0, -1.0, -1.0])

CHILDREN = {j: [c for c in range(NUM_JOINTS) if PARENTS[c] == j]
            for j in range(NUM_JOINTS)}
#: Two-direction frames: joint -> (up child, (right child, left child)).
FRAME_JOINTS = {ROOT: (15, (8, 11)), 1: (16, (2, 5))}
#: T-pose direction (BVH axes) of the bone that ends at each joint.
_TPOSE_DIR = {0: (0, 1, 0), 1: (0, 1, 0), 16: (0, 1, 0), 15: (0, 1, 0),
              2: (-1, 0, 0), 3: (-1, 0, 0), 4: (-1, 0, 0),
              5: (1, 0, 0), 6: (1, 0, 0), 7: (1, 0, 0),
              8: (-1, 0, 0), 9: (0, -1, 0), 10: (0, -1, 0),
              11: (1, 0, 0), 12: (0, -1, 0), 13: (0, -1, 0)}


def _depth_first(j: int = ROOT) -> List[int]:
    out = [j]
    for c in CHILDREN[j]:
        out += _depth_first(c)
    return out


#: Joints in the order of the HIERARCHY section (and of the MOTION channels).
BVH_ORDER = _depth_first()


def matrix_zxy(angles_deg: np.ndarray) -> np.ndarray:
    """``Rz(z) @ Rx(x) @ Ry(y)`` for (..., 3) angles ``(z, x, y)`` in degrees."""
    z, x, y = np.moveaxis(np.deg2rad(angles_deg), -1, 0)
    cz, sz, cx, sx, cy, sy = (np.cos(z), np.sin(z), np.cos(x), np.sin(x),
                              np.cos(y), np.sin(y))
    return np.stack([
        np.stack([cz * cy - sz * sx * sy, -sz * cx, cz * sy + sz * sx * cy], -1),
        np.stack([sz * cy + cz * sx * sy, cz * cx, sz * sy - cz * sx * cy], -1),
        np.stack([-cx * sy, sx, cx * cy], -1)], -2)


def euler_zxy(R: np.ndarray) -> np.ndarray:
    """Angles ``(z, x, y)`` in degrees with ``R = Rz @ Rx @ Ry`` (inverse of
    :func:`matrix_zxy`), (..., 3, 3) -> (..., 3). At gimbal lock (x = +-90) y is 0."""
    x = np.arcsin(np.clip(R[..., 2, 1], -1.0, 1.0))
    lock = np.abs(R[..., 2, 1]) > 1 - 1e-12
    y = np.where(lock, 0.0, np.arctan2(-R[..., 2, 0], R[..., 2, 2]))
    z = np.where(lock, np.arctan2(R[..., 1, 0], R[..., 0, 0]),
                 np.arctan2(-R[..., 0, 1], R[..., 1, 1]))
    return np.rad2deg(np.stack([z, x, y], -1))


def _unit(v: np.ndarray) -> Optional[np.ndarray]:
    n = float(np.linalg.norm(v))
    return v / n if n > 1e-9 else None


def _swing(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Smallest rotation turning unit vector ``a`` into unit vector ``b``."""
    v, c = np.cross(a, b), float(np.dot(a, b))
    if c < -1 + 1e-12:  # opposite: half turn about an axis perpendicular to a
        axis = _unit(np.cross(a, [1., 0., 0.]))
        if axis is None:
            axis = _unit(np.cross(a, [0., 1., 0.]))
        return 2 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


def _frame(up: np.ndarray, across: np.ndarray) -> Optional[np.ndarray]:
    u = _unit(up)
    if u is None:
        return None
    x = _unit(across - np.dot(across, u) * u)
    if x is None:
        return None
    return np.stack([x, u, np.cross(x, u)], 1)


def fill_gaps(positions: np.ndarray) -> np.ndarray:
    """Linear interpolation over frames whose joints are not finite (T, 17, 3)."""
    pos = np.array(positions, np.float64)
    ok = np.isfinite(pos).all((1, 2))
    if not ok.any():
        raise ValueError('no frame with finite joints to export')
    t = np.arange(len(pos))
    flat = pos.reshape(len(pos), -1)
    for k in range(flat.shape[1]):
        flat[:, k] = np.interp(t, t[ok], flat[ok, k])
    return flat.reshape(pos.shape)


def _rest_offsets(P: np.ndarray, frames: Dict[int, List]) -> np.ndarray:
    offsets = np.zeros((NUM_JOINTS, 3))
    for c in range(NUM_JOINTS):
        p = PARENTS[c]
        if p < 0:
            continue
        if p in FRAME_JOINTS:
            local = [F.T @ (P[t, c] - P[t, p]) for t, F in enumerate(frames[p])]
            offsets[c] = np.median(np.stack(local), 0)
        else:
            length = np.median(np.linalg.norm(P[:, c] - P[:, p], axis=-1))
            offsets[c] = np.asarray(_TPOSE_DIR[c], np.float64) * length
    return offsets


def _global_rotations(P: np.ndarray, frames: Dict[int, List],
                      offsets: np.ndarray) -> np.ndarray:
    T = len(P)
    G = np.tile(np.eye(3), (T, NUM_JOINTS, 1, 1))
    for t in range(T):
        for j in BVH_ORDER:
            if j in FRAME_JOINTS:
                G[t, j] = frames[j][t]
                continue
            base = G[t, PARENTS[j]]
            kids = CHILDREN[j]
            if not kids:
                G[t, j] = base
                continue
            c = kids[0]
            d = _unit(P[t, c] - P[t, j])
            a = _unit(base @ offsets[c])
            if d is None or a is None:  # zero-length bone: keep the last rotation
                G[t, j] = base @ G[t - 1, PARENTS[j]].T @ G[t - 1, j] \
                    if t else base
                continue
            G[t, j] = _swing(a, d) @ base
    return G


def skeleton_to_bvh(positions_cam: np.ndarray) -> Dict[str, np.ndarray]:
    """Rest offsets, per-frame channels and the rigidified skeleton of one track.

    Args:
        positions_cam (np.ndarray): (T, 17, 3) camera-space joints (mm); rows of NaN for
            frames where the track was missing are interpolated.

    Returns:
        dict: ``offsets`` (17, 3) rest offsets (BVH axes, mm), ``motion`` (T, 6 + 3 * 16)
        MOTION rows in :data:`BVH_ORDER`, ``positions`` (T, 17, 3) the joints the file
        encodes, in camera space (mm), and ``rotations`` (T, 17, 3, 3) global rotations.
    """
    P = fill_gaps(positions_cam) @ BVH_AXES.T
    frames: Dict[int, List] = {}
    for j, (up, (r, l)) in FRAME_JOINTS.items():
        seq, last = [], np.eye(3)
        for t in range(len(P)):
            F = _frame(P[t, up] - P[t, j], P[t, l] - P[t, r])
            last = last if F is None else F
            seq.append(last)
        frames[j] = seq
    offsets = _rest_offsets(P, frames)
    G = _global_rotations(P, frames, offsets)
    rows, Q = [], np.zeros_like(P)
    for t in range(len(P)):
        row = list(P[t, ROOT])
        Q[t, ROOT] = P[t, ROOT]
        for j in BVH_ORDER:
            p = PARENTS[j]
            local = G[t, j] if p < 0 else G[t, p].T @ G[t, j]
            row += list(euler_zxy(local))
            if p >= 0:
                Q[t, j] = Q[t, p] + G[t, p] @ offsets[j]
        rows.append(row)
    return dict(offsets=offsets, motion=np.asarray(rows),
                positions=Q @ BVH_AXES, rotations=G)


def write_bvh(path: str, positions_cam: np.ndarray, fps: float,
              name_prefix: str = '') -> Dict[str, np.ndarray]:
    """Write one track as a BVH file (see the module docstring).

    Args:
        path (str): Output ``.bvh`` path.
        positions_cam (np.ndarray): (T, 17, 3) camera-space joints, mm (T >= 1).
        fps (float): Frame rate (``Frame Time = 1 / fps``).
        name_prefix (str): Prefix of the joint names (e.g. ``'track3_'``).

    Returns:
        dict: As :func:`skeleton_to_bvh`.
    """
    if not fps > 0:
        raise ValueError(f'fps must be positive, got {fps}')
    out = skeleton_to_bvh(positions_cam)
    offsets = out['offsets']
    lines = ['HIERARCHY']

    def emit(j: int, depth: int) -> None:
        ind = '  ' * depth
        kind = 'ROOT' if PARENTS[j] < 0 else 'JOINT'
        lines.append(f'{ind}{kind} {name_prefix}{JOINT_NAMES[j]}')
        lines.append(f'{ind}{{')
        off = offsets[j] if PARENTS[j] >= 0 else np.zeros(3)
        lines.append(f'{ind}  OFFSET ' + ' '.join(f'{v:.6f}' for v in off))
        chans = 'Zrotation Xrotation Yrotation'
        if PARENTS[j] < 0:
            lines.append(f'{ind}  CHANNELS 6 Xposition Yposition Zposition '
                         + chans)
        else:
            lines.append(f'{ind}  CHANNELS 3 ' + chans)
        for c in CHILDREN[j]:
            emit(c, depth + 1)
        if not CHILDREN[j]:
            end = 0.25 * offsets[j]
            lines.extend([f'{ind}  End Site', f'{ind}  {{',
                          f'{ind}    OFFSET ' + ' '.join(f'{v:.6f}' for v in end),
                          f'{ind}  }}'])
        lines.append(f'{ind}}}')

    emit(ROOT, 0)
    lines += ['MOTION', f'Frames: {len(out["motion"])}',
              f'Frame Time: {1.0 / fps:.8f}']
    lines += [' '.join(f'{v:.6f}' for v in row) for row in out['motion']]
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return out
