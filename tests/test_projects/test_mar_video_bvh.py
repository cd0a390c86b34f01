"""mar_video BVH export: read back with an independent reader, forward kinematics within
1 mm of what was written."""
import numpy as np
import pytest
from mar_video.bvh import euler_zxy, matrix_zxy, write_bvh

from mmmar.structures.skeleton import JOINT_NAMES, LIMBS, NUM_JOINTS, PARENTS


# ------------------------------------------------ an independent, minimal BVH reader
def _axis_rot(axis, deg):
    a = np.deg2rad(deg)
    c, s = np.cos(a), np.sin(a)
    i = 'XYZ'.index(axis)
    R = np.eye(3)
    j, k = [(1, 2), (2, 0), (0, 1)][i]
    R[j, j], R[j, k], R[k, j], R[k, k] = c, -s, s, c
    return R


def read_bvh(path):
    """Parse a BVH (one token stream, as Blender's importer reads it line by line) and
    return joint names, parents, offsets, channel names and the motion rows."""
    tokens = open(path).read().split()
    assert tokens[0] == 'HIERARCHY'
    names, parents, offsets, channels, stack, i = [], [], [], [], [], 1
    end_site = False
    while tokens[i] != 'MOTION':
        tok = tokens[i]
        if tok in ('ROOT', 'JOINT'):
            names.append(tokens[i + 1])
            parents.append(stack[-1] if stack else -1)
            i += 2
        elif tok == 'End':
            assert tokens[i + 1] == 'Site'
            end_site, i = True, i + 2
        elif tok == '{':
            stack.append(None if end_site else len(names) - 1)
            i += 1
        elif tok == '}':
            if stack.pop() is None:
                end_site = False
            i += 1
        elif tok == 'OFFSET':
            off = [float(v) for v in tokens[i + 1:i + 4]]
            if not end_site:
                offsets.append(off)
            i += 4
        elif tok == 'CHANNELS':
            n = int(tokens[i + 1])
            channels.append(tokens[i + 2:i + 2 + n])
            i += 2 + n
        else:
            raise AssertionError(f'unexpected token {tok}')
    assert not stack
    assert tokens[i + 1] == 'Frames:' and tokens[i + 3:i + 5] == ['Frame', 'Time:']
    n_frames, frame_time = int(tokens[i + 2]), float(tokens[i + 5])
    values = np.array([float(v) for v in tokens[i + 6:]])
    n_ch = sum(len(c) for c in channels)
    assert values.size == n_frames * n_ch
    return dict(names=names, parents=parents, offsets=np.array(offsets),
                channels=channels, motion=values.reshape(n_frames, n_ch),
                frame_time=frame_time)


def bvh_positions(bvh):
    """Forward kinematics: (F, J, 3) joint positions in the file's axes."""
    out = []
    for row in bvh['motion']:
        k, glob, pos = 0, [], []
        for j, chans in enumerate(bvh['channels']):
            R, t = np.eye(3), np.zeros(3)
            for name in chans:
                v = row[k]
                k += 1
                if name.endswith('position'):
                    t['XYZ'.index(name[0])] = v
                else:
                    R = R @ _axis_rot(name[0], v)
            p = bvh['parents'][j]
            if p < 0:
                pos.append(bvh['offsets'][j] + t)
                glob.append(R)
            else:
                pos.append(pos[p] + glob[p] @ bvh['offsets'][j])
                glob.append(glob[p] @ R)
        out.append(pos)
    return np.array(out)


def _to_camera(bvh, P):
    """Reorder to the MuPoTS joint order and undo the (X, -Y, -Z) axes."""
    order = [bvh['names'].index(n) for n in JOINT_NAMES]
    return P[:, order] * np.array([1., -1., -1.])


# ------------------------------------------------ tests
def _walk_track(n=40):
    from mar_video.synthetic import make_video
    video = make_video(seed=1, num_frames=n)
    return video.poses[:, 0]  # person A: a rigid body, walking


def test_round_trip_rigid_track_exact(tmp_path):
    """Constant bone lengths (the generated truth): the file reproduces every joint."""
    P = _walk_track()
    path = str(tmp_path / 'a.bvh')
    out = write_bvh(path, P, fps=25.)
    bvh = read_bvh(path)
    assert bvh['names'][0] == 'pelvis' and sorted(bvh['names']) == sorted(JOINT_NAMES)
    assert bvh['frame_time'] == pytest.approx(0.04)
    assert bvh['channels'][0] == ['Xposition', 'Yposition', 'Zposition',
                                  'Zrotation', 'Xrotation', 'Yrotation']
    # the hierarchy is the MuPoTS tree
    for j, name in enumerate(bvh['names']):
        p = bvh['parents'][j]
        want = PARENTS[JOINT_NAMES.index(name)]
        assert (p < 0 and want < 0) or JOINT_NAMES.index(bvh['names'][p]) == want
    Q = _to_camera(bvh, bvh_positions(bvh))
    assert np.abs(Q - P).max() < 1.0  # mm
    np.testing.assert_allclose(out['positions'], P, atol=1e-6)
    # rest offsets: median bone lengths
    for a, b in LIMBS:
        L = np.linalg.norm(P[:, b] - P[:, a], axis=-1)
        off = bvh['offsets'][bvh['names'].index(JOINT_NAMES[b])]
        assert np.linalg.norm(off) == pytest.approx(np.median(L), abs=1e-3)


def test_round_trip_noisy_track_rigidified(tmp_path):
    """Varying bone lengths: the file holds the rigidified skeleton that write_bvh returns
    (within 1 mm), with every single-child bone pointing exactly where the input's does;
    frames where the track was missing are interpolated."""
    rng = np.random.default_rng(0)
    P = _walk_track() + rng.normal(0, 15., (40, NUM_JOINTS, 3))
    P[10:13] = np.nan  # missed frames
    path = str(tmp_path / 'b.bvh')
    out = write_bvh(path, P, fps=30.)
    bvh = read_bvh(path)
    assert len(bvh['motion']) == 40
    Q = _to_camera(bvh, bvh_positions(bvh))
    assert np.abs(Q - out['positions']).max() < 1.0
    ok = np.isfinite(P).all((1, 2))
    for a, b in LIMBS:
        if a in (14, 1):  # children of the two-direction frames: median offsets
            continue
        d_in = P[ok, b] - P[ok, a]
        d_out = Q[ok, b] - Q[ok, a]
        cos = (d_in * d_out).sum(-1) / np.linalg.norm(d_in, axis=-1) / \
            np.linalg.norm(d_out, axis=-1)
        assert cos.min() > 1 - 1e-6, (a, b)
    # interpolated frames lie between their neighbours
    assert np.isfinite(Q).all()
    dev = np.linalg.norm(Q[ok] - P[ok], axis=-1).mean()
    assert dev < 40.  # rigidifying moves joints by about the noise


def test_euler_zxy_round_trip_and_gimbal_lock():
    rng = np.random.default_rng(0)
    angles = rng.uniform(-180, 180, (200, 3))
    angles[:, 1] = rng.uniform(-90, 90, 200)
    angles[:3, 1] = [90., -90., 89.9999999]
    R = matrix_zxy(angles)
    R2 = matrix_zxy(euler_zxy(R))
    np.testing.assert_allclose(R2, R, atol=1e-7)  # 1e-4 mm on a 1 m bone
    # matrix_zxy is Rz @ Rx @ Ry of the reader's axis rotations
    z, x, y = angles[5]
    np.testing.assert_allclose(
        R[5], _axis_rot('Z', z) @ _axis_rot('X', x) @ _axis_rot('Y', y), atol=1e-12)


def test_bvh_blender_layout(tmp_path):
    """The line layout Blender's importer expects: keywords on their own lines, braces
    alone, 'Frames:' and 'Frame Time:' lines after MOTION."""
    path = str(tmp_path / 'c.bvh')
    write_bvh(path, _walk_track(5), fps=25.)
    lines = [ln.split() for ln in open(path) if ln.strip()]
    assert lines[0] == ['HIERARCHY'] and lines[1] == ['ROOT', 'pelvis']
    for i, ln in enumerate(lines):
        if ln[0] in ('ROOT', 'JOINT') or ln == ['End', 'Site']:
            assert lines[i + 1] == ['{'] and lines[i + 2][0] == 'OFFSET'
    m = lines.index(['MOTION'])
    assert lines[m + 1] == ['Frames:', '5'] and lines[m + 2][:2] == ['Frame', 'Time:']
    assert sum(ln == ['End', 'Site'] for ln in lines) == 5
    with pytest.raises(ValueError, match='no frame'):
        write_bvh(path, np.full((3, NUM_JOINTS, 3), np.nan), fps=25.)


def test_bvh_writer_metres_and_floor(tmp_path):
    """The generated truth (a level camera 1.5 m above a flat floor): with ``floor`` the
    true floor lands within 3 cm of y = 0 (the ankle joints stand a few cm above the
    soles), and with ``units='m'`` the file's forward kinematics is the input in metres,
    shifted by the floor height the index reports."""
    from mar_video.export import BVHTrackWriter
    P = _walk_track()
    w = BVHTrackWriter(str(tmp_path), 25., min_frames=1, units='m', floor=True)
    for t, k in enumerate(P):
        w.add(0, t, k)
    path = w.finish(0)
    info = w.index['track_000.bvh']
    assert info['units'] == 'm' and info['rigidify_max_mm'] < 1.0
    floor_y = info['floor_camera_y_mm']
    assert abs(1500.0 - floor_y) < 30.0  # the true floor is 1500 mm below the camera
    bvh = read_bvh(path)
    Q = _to_camera(bvh, bvh_positions(bvh))  # metres, floor-shifted camera axes
    np.testing.assert_allclose(Q * 1000.0 + [0., floor_y, 0.], P, atol=1.0)
    feet = bvh_positions(bvh)[:, [bvh['names'].index('r_ankle'),
                                  bvh['names'].index('l_ankle')], 1].min(1)
    assert abs(np.median(feet)) < 1e-3  # the lower ankle on y = 0 (metres)
    with pytest.raises(ValueError, match='units'):
        BVHTrackWriter(str(tmp_path), 25., units='cm')
