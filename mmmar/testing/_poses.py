"""Synthetic people for the tests: the canonical standing pose, a pinhole ``K`` and people
placed in front of a camera."""
import numpy as np

from mmmar.structures.skeleton import NUM_JOINTS

#: The canonical standing person, 17 MuPoTS joints in camera axes (X right, Y down,
#: Z forward), mm, pelvis at the origin.
TEMPLATE = np.array([
    [0, -720, 0],  # head_top
    [0, -500, 0],  # neck
    [-180, -480, 0],  # r_shoulder
    [-200, -230, 30],  # r_elbow
    [-210, 0, 60],  # r_wrist
    [180, -480, 0],  # l_shoulder
    [200, -230, 30],  # l_elbow
    [210, 0, 60],  # l_wrist
    [-100, 0, 0],  # r_hip
    [-100, 420, 20],  # r_knee
    [-100, 830, 0],  # r_ankle
    [100, 0, 0],  # l_hip
    [100, 420, 20],  # l_knee
    [100, 830, 0],  # l_ankle
    [0, 0, 0],  # pelvis
    [0, -250, 0],  # spine
    [0, -610, 0],  # head
], dtype=np.float64)
assert TEMPLATE.shape == (NUM_JOINTS, 3)


def make_K(w=128, h=128, f=None):
    """Pinhole intrinsics of a ``w`` x ``h`` image, principal point at the centre.

    Args:
        w (int): Image width (px).
        h (int): Image height (px).
        f (float, optional): Focal length (px). Defaults to ``0.9 * w``.

    Returns:
        np.ndarray: (3, 3) float64 ``K``.
    """
    f = f if f is not None else 0.9 * w
    return np.array([[f, 0, (w - 1) / 2], [0, f, (h - 1) / 2], [0, 0, 1.]], np.float64)


def project(points, K):
    """Pinhole projection of (..., 3) camera-space points with a (3, 3) ``K``: (..., 2)."""
    p = np.einsum('ij,...j->...i', K, points)
    return p[..., :2] / p[..., 2:]


def people_3d(n, spread=1200., depth=4000., depth_step=1500., template=TEMPLATE):
    """``n`` people side by side, each one further away.

    Args:
        n (int): Number of people.
        spread (float): Horizontal distance between neighbours (mm).
        depth (float): Pelvis depth of the first person (mm).
        depth_step (float): Depth added per person (mm).
        template (np.ndarray): (17, 3) pose of every person.

    Returns:
        np.ndarray: (n, 17, 3) float64 camera-space joints (mm).
    """
    out = []
    for i in range(n):
        x = (i - (n - 1) / 2) * spread
        out.append(template + np.array([x, 300., depth + i * depth_step]))
    return np.array(out, np.float64).reshape(n, NUM_JOINTS, 3)


def _yaw(ang):
    """Rotation by ``ang`` radians about the camera's vertical (Y) axis."""
    return np.array([[np.cos(ang), 0, np.sin(ang)], [0, 1, 0], [-np.sin(ang), 0, np.cos(ang)]])


def make_people(n, K, w=128, h=128, seed=0, z_range=(3000, 6000)):
    """``n`` randomly turned copies of :data:`TEMPLATE` with their pelvis inside the image.

    Args:
        n (int): Number of people.
        K (np.ndarray): (3, 3) intrinsics.
        w (int): Image width (px).
        h (int): Image height (px).
        seed (int): Seed of the positions and turns.
        z_range (tuple[float]): Range of the pelvis depths (mm).

    Returns:
        tuple[np.ndarray]: ``keypoints_cam`` (n, 17, 3) mm and ``keypoints`` (n, 17, 2) px,
        float32.
    """
    rng = np.random.RandomState(seed)
    cams = []
    for _ in range(n):
        z = rng.uniform(*z_range)
        u = rng.uniform(0.2 * w, 0.8 * w)
        v = rng.uniform(0.3 * h, 0.6 * h)
        root = z * np.linalg.inv(K) @ np.array([u, v, 1.])
        cams.append(TEMPLATE @ _yaw(rng.uniform(-0.6, 0.6)).T + root)
    cams = np.array(cams, np.float64).reshape(n, NUM_JOINTS, 3)
    p = cams @ K.T
    kpts = p[..., :2] / p[..., 2:3] if n else np.zeros((0, NUM_JOINTS, 2))
    return cams.astype(np.float32), kpts.astype(np.float32)
