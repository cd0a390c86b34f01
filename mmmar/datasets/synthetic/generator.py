"""Synthetic multi-person 3D data in the exact MuPoTS/MuCo (3DMPPE) JSON format.

The embedded default data of mmmar: small, fully consistent (3D, 2D and intrinsics agree to
rounding), learnable, and deterministic from a seed.

* **Poses**: joint-angle sampling on the MuPoTS kinematic tree (``skeleton.PARENTS``) with
  plausible bone lengths (adult proportions, per-person scale 0.85-1.15 and a small symmetric
  per-bone jitter; version 2: children and adults 0.55-1.2, see
  :func:`~mmmar.datasets.synthetic.benchmark.sample_body_scales`), a uniformly random facing
  direction, limited joint ranges (standing, walking, arms raised, sitting/crouching modes).
* **Camera**: pinhole ``K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]``; one camera per sequence,
  focal length varied between sequences (``focal_range`` in pixels, or ``fov_range``, a
  horizontal field of view in degrees), principal point near the image centre. Camera
  space: X right, Y down, Z forward, millimetres.
* **Placement**: pelvis depths in ``depth_range`` (default 2.5-9 m), people spread over the
  image (version 2: pelvises also beyond the left/right border and low in the image, so that
  people are cut by the border), no two people within 0.5 m of each other in the ground
  plane.
* **Rendering**: every person is a set of filled capsules (one per limb, a disc for the head),
  each body part with its own fixed colour (plus a small per-person jitter) so that parts are
  learnable; people are painted far-to-near (painter's order by pelvis depth) so nearer people
  occlude farther ones. The same primitives are painted into a person-index label image;
  ``keypoints_vis[k] = 1`` iff the joint lies inside the image and the label at its pixel is the
  person itself (i.e. not covered by a nearer person).
* **Backgrounds**: smooth noise, gradients, stripes/checkers and blobs, randomly mixed.
* **Ground truth**: ``keypoints_cam`` (mm), ``keypoints_img`` = projection with ``K``,
  ``keypoints_vis``, ``keypoints_univ`` = ``keypoints_cam`` (the synthetic bodies are already
  at their true scale, so the "universal" skeleton of MuPoTS equals the camera-space one),
  ``bbox`` (xywh of the projected joints, padded by the limb radius, clipped to the image),
  ``is_valid`` = 1.

The writer (:func:`~mmmar.datasets.synthetic.generate_synthetic_dataset`, the layout and the
splits) is :mod:`~mmmar.datasets.synthetic.writer`; the presets, the v2 body-size and camera
models and the statistics are :mod:`~mmmar.datasets.synthetic.benchmark`.
"""
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np

from mmmar.geometry import intrinsics_matrix
from mmmar.structures.skeleton import LIMBS, NUM_JOINTS, ROOT
from .benchmark import HEAD_EXPONENT, V2_ROOT_U, V2_ROOT_V, sample_body_scales

# ----------------------------------------------------------------------------------------
# body model
# ----------------------------------------------------------------------------------------


def _limb_pair_offsets(dx: int, dy: int, upper: int, lower: int) -> list:
    """Rest offsets of a right limb (root joint at ``(-dx, dy)`` from its parent, then two
    bones of lengths ``upper`` and ``lower`` straight down) followed by its mirror, the left
    limb (root joint at ``(dx, dy)``)."""
    bones = [[0, upper, 0], [0, lower, 0]]
    return [[-dx, dy, 0]] + bones + [[dx, dy, 0]] + bones


#: Rest offset of each joint from its parent (mm) in the body frame of a person facing the
#: camera (X right in the image = the person's left, Y down, Z away from the camera).
REST_OFFSETS = np.array([
    [0, -115, 0],  # 0 head_top   <- head
    [0, -255, 0],  # 1 neck       <- spine
    # 2-7: r_shoulder (<- neck), r_elbow, r_wrist, l_shoulder (<- neck), l_elbow, l_wrist
    *_limb_pair_offsets(170, 15, 290, 255),
    # 8-13: r_hip (<- pelvis), r_knee, r_ankle, l_hip (<- pelvis), l_knee, l_ankle
    *_limb_pair_offsets(110, 25, 435, 420),
    [0, 0, 0],  # 14 pelvis (root)
    [0, -225, 0],  # 15 spine      <- pelvis
    [0, -105, -15],  # 16 head       <- neck
], dtype=np.float64)

#: Joints whose bone to the parent is part of the head (head, head_top).
_HEAD_BONES = [16, 0]

#: Joints whose bone-length jitter is shared (left/right symmetric).
_JITTER_GROUP = np.array([0, 1, 2, 3, 4, 2, 3, 4, 5, 6, 7, 5, 6, 7, 8, 9, 10])

#: Capsule radius (mm) of each limb in ``LIMBS`` order.
_LIMB_RADIUS = {
    (14, 15): 125, (14, 8): 95, (14, 11): 95, (15, 1): 135, (8, 9): 80, (11, 12): 80,
    (1, 16): 50, (1, 2): 65, (1, 5): 65, (9, 10): 60, (12, 13): 60, (16, 0): 0,
    (2, 3): 55, (5, 6): 55, (3, 4): 45, (6, 7): 45,
}
_HEAD_RADIUS = 105.0  # mm, disc around the head centre (mid head - head_top)

#: A distinct BGR colour per limb (LIMBS order); right side warm, left side cool.
LIMB_COLORS = np.array([
    [60, 60, 200],  # pelvis-spine: red torso
    [0, 140, 255],  # pelvis-r_hip: orange
    [255, 140, 0],  # pelvis-l_hip: azure
    [40, 40, 150],  # spine-neck: dark red
    [0, 200, 255],  # r thigh: yellow-orange
    [255, 200, 0],  # l thigh: cyan-ish
    [180, 220, 240],  # neck-head: skin
    [0, 90, 200],  # neck-r_shoulder
    [200, 90, 0],  # neck-l_shoulder
    [0, 255, 255],  # r shank: yellow
    [255, 255, 0],  # l shank: cyan
    [150, 200, 230],  # head (disc)
    [80, 220, 80],  # r upper arm: green
    [220, 80, 220],  # l upper arm: magenta
    [40, 140, 40],  # r forearm: dark green
    [140, 40, 140],  # l forearm: purple
], dtype=np.float64)


def rot_x(a):
    """(..., 3, 3) rotations by the angles ``a`` (radians) about the X axis."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([o, z, z], -1), np.stack([z, c, -s], -1),
                     np.stack([z, s, c], -1)], -2)


def rot_y(a):
    """(..., 3, 3) rotations by the angles ``a`` (radians) about the Y axis."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, z, s], -1), np.stack([z, o, z], -1),
                     np.stack([-s, z, c], -1)], -2)


def rot_z(a):
    """(..., 3, 3) rotations by the angles ``a`` (radians) about the Z axis."""
    c, s = np.cos(a), np.sin(a)
    o, z = np.ones_like(a), np.zeros_like(a)
    return np.stack([np.stack([c, -s, z], -1), np.stack([s, c, z], -1),
                     np.stack([z, z, o], -1)], -2)


def _u(rng, lo, hi, n):
    return rng.uniform(np.deg2rad(lo), np.deg2rad(hi), n)


def sample_poses(rng: np.random.Generator, num: int,
                 scales: Optional[np.ndarray] = None) -> np.ndarray:
    """Sample ``num`` root-relative 3D poses (num, 17, 3) in mm, pelvis at the origin.

    Joint-angle sampling on the kinematic tree: ``R_j = R_parent(j) @ R_local(j)`` and
    ``P_c = P_p + R_p @ (s * offset_c)`` for every bone (p, c).

    Args:
        rng: The random generator.
        num: Number of poses.
        scales: Per-person body scales (num,); None draws U(0.85, 1.15) (v1). Given scales
            shrink the head bones less (``scale ** HEAD_EXPONENT``: children's heads are
            relatively larger), see :mod:`~mmmar.datasets.synthetic.benchmark`.
    """
    n = num
    if scales is None:
        scale = np.broadcast_to(rng.uniform(0.85, 1.15, n)[:, None], (n, NUM_JOINTS))
    else:
        scale = np.repeat(np.asarray(scales, np.float64).reshape(n, 1), NUM_JOINTS, 1)
        scale[:, _HEAD_BONES] = scale[:, _HEAD_BONES] ** HEAD_EXPONENT
    jitter = rng.uniform(0.94, 1.06, (n, 11))[:, _JITTER_GROUP]
    offsets = REST_OFFSETS[None] * scale[:, :, None] * jitter[:, :, None]

    sitting = rng.random(n) < 0.2
    eye = np.broadcast_to(np.eye(3), (n, 3, 3))
    local = {j: eye for j in range(NUM_JOINTS)}
    # root: facing direction + small tilt
    local[ROOT] = rot_y(rng.uniform(-np.pi, np.pi, n)) @ rot_x(_u(rng, -8, 8, n)) @ rot_z(
        _u(rng, -6, 6, n))
    local[15] = rot_x(-_u(rng, -10, 40, n)) @ rot_z(_u(rng, -12, 12, n)) @ rot_y(
        _u(rng, -25, 25, n))  # spine bend forward (towards -Z)
    local[1] = rot_x(_u(rng, -12, 12, n)) @ rot_z(_u(rng, -8, 8, n))  # neck
    local[16] = rot_x(_u(rng, -20, 20, n)) @ rot_z(_u(rng, -15, 15, n))  # head
    for sho, elb, side in ((2, 3, 1.0), (5, 6, -1.0)):
        abd = _u(rng, 0, 150, n)  # outward
        flex = _u(rng, -40, 150, n)  # forward
        local[sho] = rot_z(side * abd) @ rot_x(-flex) @ rot_y(_u(rng, -60, 60, n))
        local[elb] = rot_x(-_u(rng, 0, 140, n))
    for hip, knee, side in ((8, 9, 1.0), (11, 12, -1.0)):
        flex = np.where(sitting, _u(rng, 60, 110, n), _u(rng, -25, 45, n))
        abd = _u(rng, -8, 35, n)
        local[hip] = rot_z(side * abd) @ rot_x(-flex) @ rot_y(_u(rng, -30, 30, n))
        kflex = np.where(sitting, _u(rng, 70, 130, n), _u(rng, 0, 70, n))
        local[knee] = rot_x(kflex)

    glob = [None] * NUM_JOINTS
    pos = np.zeros((n, NUM_JOINTS, 3))
    glob[ROOT] = local[ROOT]
    for p, c in LIMBS:  # parents precede children
        pos[:, c] = pos[:, p] + np.einsum('nij,nj->ni', glob[p], offsets[:, c])
        glob[c] = glob[p] @ local[c]
    return pos


#: ``K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` (float64 for scalars), the geometry's
#: :func:`~mmmar.geometry.intrinsics_matrix`.
make_K = intrinsics_matrix


def project(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Pinhole projection of (..., 3) camera-space points with a 3x3 ``K``."""
    p = points @ np.asarray(K, dtype=np.float64).T
    return p[..., :2] / p[..., 2:3]


def place_people(rng: np.random.Generator, num: int, K: np.ndarray, img_size: Tuple[int, int],
                 depth_range=(2500., 9000.), min_sep: float = 500.,
                 max_tries: int = 50, u_range=(0.08, 0.92),
                 v_range=(0.35, 0.8)) -> np.ndarray:
    """Root (pelvis) positions (num, 3) in camera mm, spread over the image, >= ``min_sep``
    apart in the X-Z plane (fewer rows if no room is found). The pelvis projects to
    ``u ~ U(u_range) * w``, ``v ~ U(v_range) * h`` (fractions; outside [0, 1] puts the
    pelvis beyond the border)."""
    w, h = img_size
    Kinv = np.linalg.inv(K)
    roots = []
    for _ in range(num):
        for _ in range(max_tries):
            z = rng.uniform(*depth_range)
            u = rng.uniform(u_range[0] * w, u_range[1] * w)
            v = rng.uniform(v_range[0] * h, v_range[1] * h)
            r = Kinv @ np.array([u, v, 1.0]) * z
            if all(np.hypot(r[0] - q[0], r[2] - q[2]) >= min_sep for q in roots):
                roots.append(r)
                break
    return np.array(roots, dtype=np.float64).reshape(-1, 3)


def random_background(rng: np.random.Generator, img_size: Tuple[int, int]) -> np.ndarray:
    """A random H x W x 3 uint8 background (smooth noise / gradient / stripes / blobs)."""
    w, h = img_size
    kind = rng.integers(0, 4)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if kind == 0:  # smooth coloured noise
        g = rng.integers(4, 16)
        small = rng.uniform(0, 255, (g, g, 3)).astype(np.float32)
        img = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    elif kind == 1:  # linear gradient between two colours
        a = rng.uniform(0, 2 * np.pi)
        t = (np.cos(a) * xx / w + np.sin(a) * yy / h)
        t = (t - t.min()) / max(float(t.max() - t.min()), 1e-6)
        c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        img = c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]
    elif kind == 2:  # stripes or checkers
        period = rng.uniform(12, 80)
        a = rng.uniform(0, np.pi)
        s1 = np.sin((np.cos(a) * xx + np.sin(a) * yy) * 2 * np.pi / period)
        if rng.random() < 0.5:
            s1 = s1 * np.sin((-np.sin(a) * xx + np.cos(a) * yy) * 2 * np.pi / period)
        t = (s1 > 0).astype(np.float32)
        c0, c1 = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
        img = c0[None, None] * (1 - t[..., None]) + c1[None, None] * t[..., None]
        img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), 1.0)
    else:  # random blobs on a flat colour
        img = np.empty((h, w, 3), np.float32)
        img[:] = rng.uniform(0, 255, 3)
        for _ in range(int(rng.integers(5, 25))):
            c = tuple(float(v) for v in rng.uniform(0, 255, 3))
            center = (int(rng.integers(0, w)), int(rng.integers(0, h)))
            axes = (int(rng.integers(5, w // 4)), int(rng.integers(5, h // 4)))
            cv2.ellipse(img, center, axes, float(rng.uniform(0, 180)), 0, 360, c, -1)
    img = img + rng.normal(0, rng.uniform(0, 8), img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def render_people(img: np.ndarray, poses_cam: np.ndarray, K: np.ndarray,
                  colors: Optional[np.ndarray] = None,
                  rng: Optional[np.random.Generator] = None,
                  radius_scale: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Paint people (P, 17, 3 mm, camera space) far-to-near onto ``img`` (modified in place).

    ``radius_scale`` (P,) multiplies each person's limb and head radii (thinner children);
    None keeps the adult radii.

    Returns ``(img, keypoints_vis)`` with ``keypoints_vis`` (P, 17) int: 1 iff the joint
    projects inside the image, is in front of the camera and is not covered by a nearer
    person (read from a person-index label image painted with the same primitives).
    """
    h, w = img.shape[:2]
    P = len(poses_cam)
    vis = np.zeros((P, NUM_JOINTS), dtype=np.int64)
    if P == 0:
        return img, vis
    if colors is None:
        if rng is None:
            rng = np.random.default_rng(0)
        colors = np.clip(LIMB_COLORS[None] + rng.uniform(-25, 25, (P, 1, 3)), 0, 255)
    fx = float(np.sqrt(abs(np.linalg.det(np.asarray(K)[:2, :2]))))
    uv = project(poses_cam, K)
    label = np.zeros((h, w), dtype=np.uint8)
    order = np.argsort(-poses_cam[:, ROOT, 2], kind='stable')  # far to near
    sh = 4  # sub-pixel bits for cv2 drawing
    S = float(1 << sh)
    rs = np.ones(P) if radius_scale is None else np.asarray(radius_scale, np.float64)
    for i in order:
        pose = poses_cam[i]
        lab_val = int(i) + 1
        if np.any(pose[:, 2] <= 1.0):
            continue
        prims = []
        for li, (a, b) in enumerate(LIMBS):
            zmid = 0.5 * (pose[a, 2] + pose[b, 2])
            if (a, b) == (16, 0):
                c = 0.5 * (uv[i, a] + uv[i, b])
                r = max(fx * _HEAD_RADIUS * rs[i] / zmid, 1.0)
                prims.append((zmid, 'disc', c, None, r, li))
            else:
                r = max(fx * _LIMB_RADIUS[(a, b)] * rs[i] / zmid, 1.0)
                prims.append((zmid, 'caps', uv[i, a], uv[i, b], r, li))
        prims.sort(key=lambda t: -t[0])  # self-occlusion: far parts of a person first
        for _, kind, p0, p1, r, li in prims:
            col = tuple(float(v) for v in colors[i, li])
            c0 = (int(round(p0[0] * S)), int(round(p0[1] * S)))
            rr = int(round(r * S))
            if kind == 'disc':
                cv2.circle(img, c0, rr, col, -1, cv2.LINE_AA, sh)
                cv2.circle(label, c0, rr, lab_val, -1, cv2.LINE_8, sh)
            else:
                c1 = (int(round(p1[0] * S)), int(round(p1[1] * S)))
                th = max(int(round(2 * r)), 1)
                cv2.line(img, c0, c1, col, th, cv2.LINE_AA, sh)
                cv2.line(label, c0, c1, lab_val, th, cv2.LINE_8, sh)
                cv2.circle(img, c0, rr, col, -1, cv2.LINE_AA, sh)
                cv2.circle(img, c1, rr, col, -1, cv2.LINE_AA, sh)
                cv2.circle(label, c0, rr, lab_val, -1, cv2.LINE_8, sh)
                cv2.circle(label, c1, rr, lab_val, -1, cv2.LINE_8, sh)
    ui = np.round(uv[..., 0]).astype(np.int64)
    vi = np.round(uv[..., 1]).astype(np.int64)
    inside = (ui >= 0) & (ui < w) & (vi >= 0) & (vi < h) & (poses_cam[..., 2] > 1.0)
    lab = np.zeros_like(ui)
    lab[inside] = label[vi[inside], ui[inside]]
    vis = (inside & (lab == (np.arange(P)[:, None] + 1))).astype(np.int64)
    return img, vis


def render_image(seed: Sequence[int], K: np.ndarray, img_size=(512, 512), num_people=1,
                 depth_range=(2500., 9000.),
                 version: int = 1) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One synthetic image: returns ``(img BGR uint8, poses_cam (P,17,3) mm, vis (P,17))``.

    ``version`` 1: adult bodies, pelvises inside the image; 2: the v2 body sizes (children
    and adults, radii scaled with the body) and pelvises up to beyond the left/right border
    and low in the image (people cut by the border), see
    :mod:`~mmmar.datasets.synthetic.benchmark`."""
    if version not in (1, 2):
        raise ValueError(f'synthetic generator version must be 1 or 2, got {version!r}')
    rng = np.random.default_rng(list(seed))
    if version == 1:
        roots = place_people(rng, num_people, K, img_size, depth_range)
        poses = sample_poses(rng, len(roots)) + roots[:, None]
        scales = None
    else:
        roots = place_people(rng, num_people, K, img_size, depth_range,
                             u_range=V2_ROOT_U, v_range=V2_ROOT_V)
        scales = sample_body_scales(rng, len(roots))
        poses = sample_poses(rng, len(roots), scales) + roots[:, None]
    img = random_background(rng, img_size)
    img, vis = render_people(img, poses, K, rng=rng, radius_scale=scales)
    return img, poses, vis
