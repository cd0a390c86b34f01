"""mar_video demo: bad inputs give clear errors, bad frames are skipped with a warning naming
them, and everything written before an error stays on disk."""
import csv
import json
import logging
import os
import os.path as osp

import cv2
import numpy as np
import pytest
from mar_video.one_euro import OneEuroPoseSmoother
from mar_video.runner import VideoRunner
from mar_video.tracker import PoseTracker3D
from mar_video.video_io import FrameSource, VideoSourceError
from mmengine.logging import MMLogger

from mmmar.geometry import project_np
from mmmar.testing import TEMPLATE
from .conftest import MAR_VIDEO_DIR, load_demo

W, H = 96, 64
K = np.array([[80., 0, 47.5], [0, 80., 31.5], [0, 0, 1]])


def _frames(n):
    out = []
    for i in range(n):
        img = np.zeros((H, W, 3), np.uint8)
        cv2.putText(img, str(i), (30, 45), cv2.FONT_HERSHEY_SIMPLEX, 1.2,
                    (255, 255, 255), 2)
        out.append(img)
    return out


def _write_avi(path, n=8):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*'MJPG'), 25.,
                             (W, H))
    assert writer.isOpened()
    for f in _frames(n):
        writer.write(f)
    writer.release()
    return str(path)


def _corrupt_frame(path, k):
    """Destroy the JPEG data of frame k of an MJPG AVI (its SOI marker and header)."""
    data = bytearray(open(path, 'rb').read())
    starts = [i for i in range(len(data) - 3) if data[i:i + 3] == b'\xff\xd8\xff']
    i = starts[k]
    data[i:i + 200] = bytes(200)
    open(path, 'wb').write(bytes(data))


class _Estimator:
    """Two people walking, from the frame index (stands in for the network)."""

    def __init__(self, fail_at=None):
        self.fail_at, self.seen = fail_at, []

    def __call__(self, frame, idx):
        if idx == self.fail_at:
            raise RuntimeError(f'estimator failed on frame {idx}')
        self.seen.append(idx)
        people = []
        for x, z in ((-800. + 40 * idx, 4000.), (900. - 30 * idx, 6000.)):
            k3d = TEMPLATE + np.array([x, 300., z])
            people.append(dict(keypoints_3d=k3d, keypoints=project_np(k3d, K),
                               keypoint_scores=np.full(17, 0.9)))
        return people, dict(K=K.tolist(), source='user')


def _runner(out_dir, estimator, **kw):
    return VideoRunner(estimator, PoseTracker3D(fps=25.), OneEuroPoseSmoother(fps=25.),
                       str(out_dir), **kw)


@pytest.fixture
def warnings_log():
    logger = MMLogger.get_current_instance()
    records = []

    class _H(logging.Handler):
        def emit(self, record):
            records.append(record.getMessage())

    h = _H(level=logging.WARNING)
    logger.addHandler(h)
    yield records
    logger.removeHandler(h)


def test_missing_and_unreadable_files(tmp_path):
    missing = str(tmp_path / 'nope.mp4')
    with pytest.raises(VideoSourceError, match='nope.mp4: no such file'):
        FrameSource(missing)
    junk = tmp_path / 'junk.mp4'
    junk.write_bytes(os.urandom(4096))
    with pytest.raises(VideoSourceError) as e:
        FrameSource(str(junk))
    assert str(junk) in str(e.value) and 'cannot read this file as a video' in str(e.value)
    empty = tmp_path / 'empty'
    empty.mkdir()
    with pytest.raises(VideoSourceError, match='no image files'):
        FrameSource(str(empty))


def test_webcam_that_does_not_open():
    with pytest.raises(VideoSourceError) as e:
        FrameSource('webcam:57')
    assert 'webcam:57' in str(e.value) and 'camera device 57' in str(e.value)
    with pytest.raises(VideoSourceError, match='webcam:N'):
        FrameSource('webcam:front')


def test_demo_errors_before_loading_anything(tmp_path):
    """The demo names the input that fails, before it reads the config or the model."""
    demo = load_demo()
    with pytest.raises(VideoSourceError, match='missing.mp4: no such file'):
        demo.main([str(tmp_path / 'missing.mp4'), '--config', 'no-such-config.py'])
    with pytest.raises(VideoSourceError, match='webcam:57'):
        demo.main(['webcam:57', '--config', 'no-such-config.py'])
    video = _write_avi(tmp_path / 'ok.avi', 3)
    with pytest.raises(FileNotFoundError, match='no-such-config.py'):
        demo.main([video, '--config', 'no-such-config.py'])


def test_video_with_a_bad_frame(tmp_path, warnings_log):
    path = _write_avi(tmp_path / 'bad.avi', 8)
    _corrupt_frame(path, 3)
    est = _Estimator()
    summary = _runner(tmp_path / 'out', est).run(FrameSource(path), progress=False)
    assert summary['bad_frames'] and summary['bad_frames'][0]['frame'] == 3
    assert est.seen == [0, 1, 2, 4, 5, 6, 7]
    assert any('frame 3' in m and 'bad.avi' in m for m in warnings_log)
    frames = sorted(os.listdir(tmp_path / 'out' / 'frames'))
    assert frames == [f'frame_{i:06d}.json' for i in (0, 1, 2, 4, 5, 6, 7)]
    rec = json.load(open(tmp_path / 'out' / 'frames' / 'frame_000007.json'))
    assert sorted(p['track_id'] for p in rec['people']) == [0, 1]


def test_folder_with_a_bad_frame(tmp_path, warnings_log):
    folder = tmp_path / 'frames'
    folder.mkdir()
    for i, f in enumerate(_frames(5)):
        cv2.imwrite(str(folder / f'{i:03d}.jpg'), f)
    (folder / '002.jpg').write_bytes(b'\xff\xd8 broken')
    est = _Estimator()
    summary = _runner(tmp_path / 'out', est).run(FrameSource(str(folder)),
                                                 progress=False)
    assert est.seen == [0, 1, 3, 4]
    assert summary['bad_frames'] == [dict(frame=2, reason='cannot decode 002.jpg')]
    assert any('frame 2' in m for m in warnings_log)


def test_nothing_written_is_lost_on_an_error(tmp_path):
    path = _write_avi(tmp_path / 'v.avi', 8)
    out = tmp_path / 'out'
    with pytest.raises(RuntimeError, match='frame 5'):
        _runner(out, _Estimator(fail_at=5), bvh_min_frames=2).run(
            FrameSource(path), progress=False)
    assert sorted(os.listdir(out / 'frames')) == [
        f'frame_{i:06d}.json' for i in range(5)]
    rows = list(csv.reader(open(out / 'tracks.csv')))
    assert rows[0][:4] == ['frame', 'time_s', 'track_id', 'root_depth_mm']
    # both people from their first frame 0 (written when confirmed in frame 1) to frame 4
    assert sorted((r[0], r[2]) for r in rows[1:]) == sorted(
        (str(f), str(t)) for f in range(5) for t in (0, 1))
    first = json.load(open(out / 'frames' / 'frame_000000.json'))
    assert sorted(p['track_id'] for p in first['people']) == [0, 1]
    index = json.load(open(out / 'bvh' / 'index.json'))
    assert sorted(index) == ['skipped', 'track_000.bvh', 'track_001.bvh']
    assert all(index[k]['num_frames'] == 5 and index[k]['first_frame'] == 0
               for k in ('track_000.bvh', 'track_001.bvh'))
    summary = json.load(open(out / 'summary.json'))
    assert summary['frames'] == 5 and 'frame 5' in summary['error']


class _WithGhosts(_Estimator):
    """The two people for 20 frames plus false positives that live 2 and 3 frames."""

    def __call__(self, frame, idx):
        people, intr = super().__call__(frame, idx)
        for start, life, root in ((4, 2, [-1500., 0., 8000.]), (12, 3, [1500., 0., 3000.])):
            if start <= idx < start + life:
                k3d = TEMPLATE + np.array(root)
                people.append(dict(keypoints_3d=k3d, keypoints=project_np(k3d, K),
                                   keypoint_scores=np.full(17, 0.5)))
        return people, intr


def test_short_tracks_get_no_bvh_and_tracks_start_at_their_first_frame(tmp_path):
    """Ghosts confirmed after 2 frames are in tracks.csv (they are confirmed tracks) but
    get no BVH (default minimum 13 frames at 25 fps, listed as skipped); the real people's
    BVH files start at frame 0 and, smoothed offline without lag, equal their uniform
    walk (the rigid template moving in a straight line) to the rigidification's 1 mm."""
    from mar_video.offline import ZeroLagPoseSmoother
    path = _write_avi(tmp_path / 'v.avi', 20)
    out = tmp_path / 'out'
    summary = _runner(out, _WithGhosts(), offline_smoother=ZeroLagPoseSmoother(
        fps=25.)).run(FrameSource(path), progress=False)
    index = json.load(open(out / 'bvh' / 'index.json'))
    assert sorted(k for k in index if k != 'skipped') == ['track_000.bvh', 'track_001.bvh']
    assert [(s['first_frame'], s['observed_frames']) for s in index['skipped']] == [
        (4, 2), (12, 3)]
    assert summary['bvh_skipped'] == index['skipped']
    for name in ('track_000.bvh', 'track_001.bvh'):
        assert index[name]['first_frame'] == 0 and index[name]['num_frames'] == 20
        assert index[name]['smoothing'] == 'offline-zero-lag'
        assert index[name]['rigidify_max_mm'] < 1.0
    rows = list(csv.reader(open(out / 'tracks.csv')))[1:]
    ids = {r[2] for r in rows}
    assert len(ids) == 4  # the two people and the two ghosts
    assert sum(1 for r in rows if r[2] in ('0', '1') and r[0] == '0') == 2
    with pytest.raises(ValueError, match='min_frames'):
        from mar_video.export import BVHTrackWriter
        BVHTrackWriter(str(tmp_path), 25., min_frames=0)


def test_track_colours_in_all_three_panels():
    """One colour per track id (not per index) in the overlay, 3D and top views."""
    import uuid

    from mmpose.registry import VISUALIZERS

    from mmmar.visualization import PERSON_COLORS
    vis = VISUALIZERS.build(dict(type='MARVideoVisualizer', name=uuid.uuid4().hex))
    est = _Estimator()
    people, _ = est(None, 0)
    tracked = [dict(p, track_id=tid, keypoints_3d_smoothed=p['keypoints_3d'],
                    keypoints_smoothed=p['keypoints'],
                    root_depth_smoothed=float(p['keypoints_3d'][14, 2]))
               for p, tid in zip(people, (3, 5))]
    img = vis.draw_frame(np.zeros((H, W, 3), np.uint8), tracked, K)
    assert img.shape == (H, W + 2 * H, 3)
    panels = img[:, :W], img[:, W:W + H], img[:, W + H:]

    def near(a, c, tol=40):
        return (np.abs(a.astype(int) - np.array(c)) <= tol).all(-1).sum()

    for panel in panels:
        assert near(panel, PERSON_COLORS[3]) > 3 and near(panel, PERSON_COLORS[5]) > 3
        assert near(panel, PERSON_COLORS[0], 10) == 0


def test_demo_end_to_end_with_the_project_config(tmp_path):
    """The project config (core config + custom_imports of mar_video) builds the tracker,
    smoother and visualiser from mmpose's registries and runs the small MAR (random
    weights) over a short video; every output is written."""
    demo = load_demo()
    video = _write_avi(tmp_path / 'clip.avi', 3)
    cfg = osp.join(MAR_VIDEO_DIR, 'configs',
                   'mar-video_hrnet-small_synthetic-256x256.py')
    out = tmp_path / 'out'
    summary = demo.main([video, '--config', cfg, '--out-dir', str(out),
                         '--max-frames', '2'])
    assert summary['frames'] == 2 and summary['error'] is None
    assert sorted(os.listdir(out / 'frames')) == ['frame_000000.json', 'frame_000001.json']
    rec = json.load(open(out / 'frames' / 'frame_000001.json'))
    assert rec['intrinsics']['source'] == 'default-fov60'
    assert osp.getsize(out / 'vis.mp4') > 0 and osp.isfile(out / 'tracks.csv')


def test_render_tool_reports_the_errors_of_what_it_tracked(tmp_path):
    """render_synthetic.py (simulated poses): its errors.json equals the errors of the
    simulated detections against the truth computed here from their hidden labels, the
    GIF and the exports are written, and a missing checkpoint is named."""
    import importlib.util

    from mar_video.metrics import pose_errors
    from mar_video.synthetic import gt_frames, make_video, simulate_detections
    spec = importlib.util.spec_from_file_location(
        'render_synthetic', osp.join(MAR_VIDEO_DIR, 'tools', 'render_synthetic.py'))
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    out = tmp_path / 'r'
    res = tool.main(['--out-dir', str(out), '--frames', '30', '--img-size', '320', '180',
                     '--gif-step', '10', '--gif-width', '300'])
    video = make_video(seed=0, num_frames=30, img_size=(320, 180))
    dets = simulate_detections(video, seed=0)
    true = [(p['keypoints_3d'], video.poses[t, p['label']])
            for t, d in enumerate(dets) for p in d if p['label'] >= 0]
    want = pose_errors(*zip(*true))
    got = json.load(open(out / 'errors.json'))
    assert got == res['errors']
    assert got['n'] == want['n'] and got['mpjpe'] == pytest.approx(want['mpjpe'], rel=1e-9)
    found = sum(len({p['label'] for p in d if p['label'] >= 0}) for d in dets)
    assert got['recall'] == pytest.approx(found / sum(len(g) for g in gt_frames(video)))
    assert osp.getsize(out / 'tracked.gif') > 0 and osp.isfile(out / 'outputs' / 'tracks.csv')
    with pytest.raises(SystemExit):
        tool.main(['--weights', str(tmp_path / 'missing.pth')])
