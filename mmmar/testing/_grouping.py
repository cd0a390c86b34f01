"""Multi-person scenes for the grouping round trips of :class:`MARCodec`
(issue 12): the real CMU Panoptic 3-person poses of the fixtures seen from
their real HD cameras and from many virtual cameras around the scene, and
generated stress scenes (crossing arms, side-by-side identical poses, hips
or wrists of two people 1-3 heatmap px apart). Used by
``tests/test_codecs`` and ``tools/analysis_tools/grouping_stress.py``.

A *sample* is a dict ``joints`` (N, 17, 3) camera-space mm, ``valid``
(N, 17) bool, ``K`` (3, 3), ``name``; :func:`make_input` warps it into the
network input (the fields ``MARCodec.encode`` takes); :func:`round_trip`
encodes them, decodes the perfect maps and counts what went wrong.
"""
import numpy as np

from mmmar.structures import skeleton
from ._poses import project
from ._real_data import PANOPTIC_SCENES, panoptic_cameras, panoptic_world

R = skeleton.ROOT
J = {name: i for i, name in enumerate(skeleton.JOINT_NAMES)}


def input_affine(uv, size, angle_deg=0., margin=0.15):
    """Image affine (2, 3) that fits the points ``uv`` (with a margin) into an
    input of ``size`` = (W, H), rotated by ``angle_deg`` about the input
    centre (like a crop / resize / rotate transform)."""
    lo, hi = uv.min(0), uv.max(0)
    centre, ext = (lo + hi) / 2, (hi - lo) * (1 + 2 * margin)
    W, H = size
    s = min(W / max(ext[0], 1e-6), H / max(ext[1], 1e-6))
    th = np.deg2rad(angle_deg)
    Rm = s * np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    A = np.zeros((2, 3))
    A[:, :2] = Rm
    A[:, 2] = np.array([W / 2, H / 2]) - Rm @ centre
    return A


def make_input(sample, input_size, angle_deg=0., fit=True):
    """``MARCodec.encode`` arguments of a sample warped into the input.

    With ``fit`` the valid joints are fitted into the input by
    :func:`input_affine` (and ``K`` transformed accordingly); without it the
    sample's ``K`` is already the input camera. Joints outside the input are
    valid but not visible.
    """
    from mmmar.geometry import transform_intrinsics
    P, valid, K = sample['joints'], sample['valid'], sample['K']
    if fit:
        A = input_affine(project(P, K)[valid], input_size, angle_deg)
        K = transform_intrinsics(K, A)
    kp = project(P, K)
    W, H = input_size
    inside = (kp[..., 0] >= 0) & (kp[..., 0] < W) & (kp[..., 1] >= 0) & \
        (kp[..., 1] < H)
    return dict(
        keypoints=kp.astype(np.float32),
        keypoints_visible=(valid & inside).astype(np.float32),
        keypoints_valid=valid.astype(np.float32),
        keypoints_cam=np.where(valid[..., None], P, 0.).astype(np.float32),
        has_depth=np.ones(len(P), np.float32),
        cam_param=dict(K=np.asarray(K, np.float32)),
        img_path=sample['name'])


# ---------------------------------------------------------------- real views
def _look_at(eye, target, up):
    """World -> camera rotation (rows: x right, y down, z forward)."""
    z = target - eye
    z /= np.linalg.norm(z)
    x = np.cross(-up, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.stack([x, y, z])


def virtual_cameras(world, valid, azimuths=range(0, 360, 10),
                    elevations=(0., 20., 45.), distances=(3000., 6000.)):
    """Cameras on spheres around the scene, looking at its centre, image up =
    the people's up (mean pelvis -> neck direction). Returns dicts ``R``,
    ``t`` (mm, world -> camera: ``R @ X + t``), ``K`` (f = 1000 px; the
    input fit rescales anyway), ``name``."""
    up = (world[:, J['neck']] - world[:, R]).mean(0)
    up /= np.linalg.norm(up)
    centre = world[valid].mean(0)
    h1 = np.cross(up, [1., 0., 0.])
    if np.linalg.norm(h1) < 1e-3:
        h1 = np.cross(up, [0., 0., 1.])
    h1 /= np.linalg.norm(h1)
    h2 = np.cross(up, h1)
    K = np.array([[1000., 0, 0], [0, 1000., 0], [0, 0, 1]])
    cams = []
    for dist in distances:
        for el in elevations:
            for az in azimuths:
                a, e = np.deg2rad(az), np.deg2rad(el)
                eye = centre + dist * (np.cos(e) * (np.cos(a) * h1 + np.sin(a)
                                                    * h2) + np.sin(e) * up)
                Rw = _look_at(eye, centre, up)
                cams.append(dict(R=Rw, t=-Rw @ eye, K=K,
                                 name=f'virt_d{dist:g}_e{el:g}_a{az:g}'))
    return cams


def panoptic_views(kind='virtual', data_root=None, **camera_kwargs):
    """Every view of the fixtures' Panoptic 3-person scenes: ``kind='real'``
    the bands' HD cameras (views with a valid joint behind the camera are
    left out), ``'virtual'`` :func:`virtual_cameras` (``camera_kwargs``).
    Samples in the view's camera space (mm); ``data_root``: the fixtures
    folder (default the repository's ``tests/data``)."""
    out = []
    for band, scene in PANOPTIC_SCENES:
        world, valid = panoptic_world(band, scene, data_root)
        cams = panoptic_cameras(band, data_root=data_root) if kind == 'real' else \
            virtual_cameras(world, valid, **camera_kwargs)
        for cam in cams:
            P = world @ cam['R'].T + cam['t']
            if (P[..., 2][valid] <= 0).any():
                continue
            out.append(dict(name=f'{band}/{scene}/{cam["name"]}', joints=P,
                            valid=valid, K=cam['K']))
    return out


# ---------------------------------------------------------------- stress
#: A standing person in input px relative to the pelvis (x right, y down),
#: for a person about 100 px tall, and relative depths (mm).
_TEMPLATE_2D = np.array([
    [0, -62], [0, -44], [-10, -42], [-14, -24], [-16, -6], [10, -42],
    [14, -24], [16, -6], [-6, 0], [-7, 22], [-7, 44], [6, 0], [7, 22],
    [7, 44], [0, 0], [0, -22], [0, -53]], np.float64)
_TEMPLATE_DZ = np.array([0, 10, 30, 60, 20, -30, -60, -20, 20, 40, 60, -20,
                         -40, -60, 0, 5, 5], np.float64)


def sample_from_2d(name, uv, dz, roots_z, K):
    """3D sample whose projection is exactly ``uv`` (input px)."""
    uv = np.asarray(uv, np.float64)
    Z = np.asarray(roots_z, np.float64)[:, None] + dz
    rays = np.einsum('ij,...j->...i', np.linalg.inv(K),
                     np.concatenate([uv, np.ones(uv.shape[:-1] + (1, ))],
                                    -1))
    return dict(name=name, joints=rays * Z[..., None],
                valid=np.ones(uv.shape[:2], bool), K=K)


def stress_scenes(input_size, stride=4., seed=0):
    """Generated hard scenes, in input px of ``input_size`` (``K`` is the
    input camera; use ``make_input(..., fit=False)``):

    - ``side_by_side_d{d}``: two identical poses whose facing hips are
      ``d`` in {1, 1.5, 2, 3} heatmap px apart (the roots stay separable);
    - ``wrists_d{d}``: two people with one wrist each ``d`` heatmap px from
      the other's (arms stretched towards each other);
    - ``crossing_arms_*``: two or three people whose forearms cross the
      neighbour's (elbows and wrists near the other's limbs);
    - ``hips_coincide_d{d}``: a person's hip ``d`` px from the other
      person's knee-side hip, one of them bending (a different pose).

    Every scene is also given with random in-plane jitter of the poses
    (``seed``) so that the peaks fall at different sub-pixel positions.
    """
    rng = np.random.default_rng(seed)
    W, H = input_size
    f = 1.2 * W
    K = np.array([[f, 0, W / 2.], [0, f, H / 2.], [0, 0, 1.]])
    cx, cy = W / 2., H / 2.
    scale = H / 160.  # person about 0.7 H tall
    T = _TEMPLATE_2D * scale
    scenes = []

    def add(name, people, zs):
        uv = np.stack(people)
        dz = np.stack([_TEMPLATE_DZ] * len(people))
        scenes.append(sample_from_2d(name, uv, dz, zs, K))
        jit = uv + rng.uniform(-0.5, 0.5, uv.shape) * stride
        scenes.append(sample_from_2d(name + '_jitter', jit, dz, zs, K))

    for d in (1., 1.5, 2., 3.):
        # A's left hip d heatmap px left of B's right hip
        A = T + [cx - (T[J['l_hip'], 0] + d * stride / 2), cy]
        B = T + [cx - (T[J['r_hip'], 0] - d * stride / 2), cy]
        add(f'side_by_side_d{d:g}', [A, B], (4000., 4300.))
        # stretched arms: A's left wrist and B's right wrist d px apart
        A2, B2 = T.copy(), T.copy()
        for P, side, sgn in ((A2, 'l_', 1), (B2, 'r_', -1)):
            sh = P[J[side + 'shoulder']]
            P[J[side + 'elbow']] = sh + sgn * np.array([18., 2.]) * scale
            P[J[side + 'wrist']] = sh + sgn * np.array([36., 4.]) * scale
        off = A2[J['l_wrist'], 0] - B2[J['r_wrist'], 0] + d * stride
        add(f'wrists_d{d:g}', [A2 + [cx - off / 2, cy],
                               B2 + [cx + off / 2, cy]], (4000., 4100.))
        # different poses, hips d px apart: B bends its knee towards A
        B3 = T.copy()
        B3[J['r_knee']] += np.array([-10., -8.]) * scale
        B3[J['r_ankle']] += np.array([-4., -6.]) * scale
        add(f'hips_coincide_d{d:g}', [A, B3 + [B[R, 0] - T[R, 0], cy]],
            (4200., 3900.))
    # crossing forearms: A's left forearm and B's right forearm form an X
    for k, (ex, wy) in enumerate(((12., -10.), (16., -20.), (20., 4.))):
        A4, B4 = T.copy(), T.copy()
        A4[J['l_elbow']] = A4[J['l_shoulder']] + np.array([ex, 12.]) * scale
        A4[J['l_wrist']] = A4[J['l_elbow']] + np.array([20., wy]) * scale
        B4[J['r_elbow']] = B4[J['r_shoulder']] + np.array([-ex, 12.]) * scale
        B4[J['r_wrist']] = B4[J['r_elbow']] + np.array([-20., wy]) * scale
        gap = 2 * (ex + 10.) * scale + 20 * scale
        add(f'crossing_arms_{k}', [A4 + [cx - gap / 2, cy],
                                   B4 + [cx + gap / 2, cy]], (4000., 4000.))
        # a third person in the middle, behind, arms crossing both
        C4 = T.copy()
        C4[J['r_wrist']] = C4[J['r_elbow']] + np.array([-18., -wy]) * scale
        C4[J['l_wrist']] = C4[J['l_elbow']] + np.array([18., -wy]) * scale
        add(f'crossing_arms_three_{k}',
            [A4 + [cx - gap, cy], C4 + [cx, cy - 6 * scale],
             B4 + [cx + gap, cy]], (4000., 5000., 4000.))
    return scenes


#: Joints brought together by :func:`overlap_scenes`.
OVERLAP_JOINTS = ('r_hip', 'l_hip', 'r_wrist', 'l_wrist', 'r_elbow',
                  'l_elbow', 'r_knee', 'l_knee', 'r_ankle', 'l_ankle')


def overlap_scenes(input_size, num, stride=4., seed=0, data_root=None):
    """``num`` scenes made of the real Panoptic people (from the bands' HD
    cameras, fitted into the input): one person is moved in the image so
    that one of its joints (:data:`OVERLAP_JOINTS`) lies 1-3 heatmap px from
    the same joint of another person, in a random direction; the poses keep
    their real depths. Scenes whose roots would not be separable are drawn
    again. Samples are in input px (``make_input(..., fit=False)``)."""
    rng = np.random.default_rng(seed)
    views = panoptic_views('real', data_root)
    W, H = input_size
    out = []
    while len(out) < num:
        view = views[rng.integers(len(views))]
        inp = make_input(view, input_size, rng.uniform(-20., 20.))
        uv = inp['keypoints'].astype(np.float64)
        valid = view['valid']
        K = inp['cam_param']['K'].astype(np.float64)
        a, b = rng.choice(len(uv), 2, replace=False)
        k = J[OVERLAP_JOINTS[rng.integers(len(OVERLAP_JOINTS))]]
        if not (valid[a, k] and valid[b, k]):
            continue
        d = rng.uniform(1., 3.) * stride
        th = rng.uniform(0, 2 * np.pi)
        shift = uv[a, k] + d * np.array([np.cos(th), np.sin(th)]) - uv[b, k]
        uv[b] += shift
        roots = np.rint(uv[:, R] / stride)
        sep = np.abs(roots[:, None] - roots[None]).max(-1)
        sep[np.diag_indices(len(sep))] = np.inf
        inside = (uv[valid] >= 0).all() and (uv[valid][:, 0] < W).all() and \
            (uv[valid][:, 1] < H).all()
        if sep.min() <= 2 or not inside:
            continue
        s = sample_from_2d(
            f'overlap_{len(out)}_{skeleton.JOINT_NAMES[k]}_{d / stride:.1f}'
            f'px/{view["name"]}', uv, view['joints'][..., 2] -
            view['joints'][:, R:R + 1, 2], view['joints'][:, R, 2], K)
        s['valid'] = valid
        out.append(s)
    return out


# ---------------------------------------------------------------- checking
def roots_separable(inp, codec, enc=None):
    """Whether the perfect maps of ``inp`` show every person at all: each
    root's pixel (the rounded root) is a maximum of its ``decode_nms_kernel``
    window in the encoded root heatmap (otherwise no decoder can see the
    person: another root's Gaussian covers it), and the root pixels are more
    than ``root_radius`` apart (otherwise one carries the other person's
    offsets)."""
    if enc is None:
        enc = codec.encode(**inp)
    hm = enc['heatmaps'][R]
    h, w = hm.shape
    pix = np.rint(inp['keypoints'][:, R] / codec.scale_factor).astype(int)
    r = codec.decode_nms_kernel // 2
    for x, y in pix:
        if not (0 <= x < w and 0 <= y < h):
            return False
        win = hm[max(y - r, 0):y + r + 1, max(x - r, 0):x + r + 1]
        if hm[y, x] < win.max():
            return False
    d = np.linalg.norm(pix[:, None] - pix[None], axis=-1)
    d[np.diag_indices(len(d))] = np.inf
    return bool(d.min() > codec.root_radius)


def count_failures(inp, dec, codec):
    """Compare a decode with the ground truth of its input.

    People are matched by root (a decoded root within 1 heatmap px of a GT
    root, one to one). A valid joint of a matched person fails when it is
    more than 1 heatmap px from its ground truth: ``swapped`` when it lies
    within 1 heatmap px of another person's valid joint (taken from a
    neighbour), else ``off``.

    Returns:
        dict: ``missed``, ``invented``, ``swapped``, ``off`` counts and
        ``details`` (list of strings).
    """
    s = codec.scale_factor
    kp = inp['keypoints'] / s
    valid = inp['keypoints_valid'] > 0
    roots = dec['roots'] / s
    out = dict(missed=0, invented=0, swapped=0, off=0, details=[])
    d = np.linalg.norm(roots[:, None] - kp[None, :, R], axis=-1)
    match = {}
    for i in np.argsort(d.min(1) if len(kp) else np.zeros(len(roots))):
        if not len(kp):
            break
        n = int(d[i].argmin())
        if d[i, n] <= 1. and n not in match.values():
            match[int(i)] = n
    out['missed'] = len(kp) - len(match)
    out['invented'] = len(roots) - len(match)
    if out['missed'] or out['invented']:
        out['details'].append(f'{inp["img_path"]}: {len(roots)} decoded, '
                              f'{len(kp)} people')
    dk = dec['keypoints'] / s
    for i, n in match.items():
        err = np.linalg.norm(dk[i] - kp[n], axis=-1)
        for k in np.flatnonzero(valid[n] & (err > 1.)):
            others = [m for m in range(len(kp)) if m != n and valid[m, k]]
            near = [m for m in others
                    if np.linalg.norm(dk[i, k] - kp[m, k]) <= 1.]
            kind = 'swapped' if near else 'off'
            out[kind] += 1
            out['details'].append(
                f'{inp["img_path"]}: person {n} {skeleton.JOINT_NAMES[k]} '
                f'{kind} ({err[k]:.2f} px' +
                (f', at person {near[0]}' if near else '') + ')')
    return out


def round_trip(codec, inp, enc=None, **decode_kwargs):
    """Encode ``inp`` (unless its encoding ``enc`` is given), decode the
    perfect maps, :func:`count_failures`."""
    if enc is None:
        enc = codec.encode(**inp)
    dec = codec.decode(enc['heatmaps'], enc['pafs'], enc['offsets'],
                       enc['root_depth'], K=inp['cam_param']['K'],
                       **decode_kwargs)
    return count_failures(inp, dec, codec), dec


def greedy_match(scores: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Greedy one-to-one matching by descending score, vectorised: the grouping before
    issue 12 (each limb matched by PAF integral alone), the baseline the tests compare the
    optimal assignment (:func:`mmmar.codecs.assign_limb`) against.

    Equivalent to "repeatedly take the best remaining valid pair and remove
    its row and column": each round accepts every pair that is the best of
    both its row and its column (the greedy choice is always such a pair and
    accepting them does not change later greedy choices). The number of rounds
    is at most ``min(N, M)`` and in practice 1-3; each round is vectorised.

    Args:
        scores (np.ndarray): Pair scores, shape (N, M).
        valid (np.ndarray): Allowed pairs, shape (N, M), bool.

    Returns:
        np.ndarray: For each row the matched column or -1, shape (N,).
    """
    N, M = scores.shape
    match = np.full(N, -1, dtype=np.intp)
    if N == 0 or M == 0:
        return match
    s = np.where(valid, scores.astype(np.float64), -np.inf)
    rows = np.arange(N)
    while True:
        best_col = s.argmax(1)
        row_ok = np.isfinite(s[rows, best_col])
        if not row_ok.any():
            return match
        best_row = s.argmax(0)
        mutual = row_ok & (best_row[best_col] == rows)
        r, c = rows[mutual], best_col[mutual]
        match[r] = c
        s[r, :] = -np.inf
        s[:, c] = -np.inf
