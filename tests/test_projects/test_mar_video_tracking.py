"""mar_video: One Euro filter, 3D tracker and their scores on the generated video."""
import math

import cv2
import numpy as np
import pytest
from mar_video.metrics import clear_mot
from mar_video.one_euro import OneEuroFilter, OneEuroPoseSmoother
from mar_video.tracker import PoseTracker3D

from mmmar.geometry import project_np
from mmmar.testing import TEMPLATE

K = np.array([[500., 0, 320], [0, 500., 180], [0, 0, 1]])


def _person(root):
    k3d = TEMPLATE + np.asarray(root, np.float64)
    return dict(keypoints_3d=k3d, keypoints=project_np(k3d, K),
                keypoint_scores=np.full(17, 0.9))


# ---------------------------------------------------------------- One Euro
def test_one_euro_first_order_step():
    """beta = 0: a first-order low-pass; after a unit step the estimate is exactly
    alpha = 1 / (1 + tau / dt), tau = 1 / (2 pi f_c) (hand-derived)."""
    f = OneEuroFilter(min_cutoff=2.0, beta=0.0, norm_last_axis=False)
    assert f(np.zeros(3), 0.0).tolist() == [0, 0, 0]
    dt = 0.04
    alpha = 1 / (1 + (1 / (2 * math.pi * 2.0)) / dt)
    out = f(np.ones(3), dt)  # zero latency: the step shows in the same call
    np.testing.assert_allclose(out, alpha, rtol=1e-12)
    out2 = f(np.ones(3), 2 * dt)
    np.testing.assert_allclose(out2, alpha + (1 - alpha) * alpha, rtol=1e-12)
    with pytest.raises(ValueError, match='time must increase'):
        f(np.ones(3), 2 * dt)


def test_one_euro_beta_follows_fast_motion():
    """A larger beta lags less on a ramp (the cutoff grows with the speed)."""
    t = np.arange(50) / 25.
    lag = {}
    for beta in (0.0, 0.05):
        f = OneEuroFilter(min_cutoff=0.5, beta=beta, norm_last_axis=False)
        out = [f(np.array([1000. * ti]), ti)[0] for ti in t]
        lag[beta] = 1000. * t[-1] - out[-1]
    assert lag[0.05] < 0.2 * lag[0.0]


def test_smoother_reduces_error_not_only_jitter():
    """A skeleton walking at 1.3 m/s with MAR-like noise (root depth along the viewing
    ray, 4 %, and 40 mm per joint): the smoothed joints are closer to the truth than the
    noisy ones, and so is the root depth."""
    rng = np.random.default_rng(0)
    sm = OneEuroPoseSmoother(fps=25.)
    raw, smooth = [], []
    for t in range(100):
        root = np.array([-2000 + 52. * t, 300., 5000.])
        truth = TEMPLATE + root
        noisy_root = root * (1 + rng.normal(0, 0.04))  # along the ray
        noisy = TEMPLATE + noisy_root + rng.normal(0, 40., truth.shape)
        noisy[14] = noisy_root
        out = sm.smooth(7, noisy, t)
        if t >= 10:
            raw.append((noisy, truth))
            smooth.append((out, truth))

    def err(pairs):
        return (np.mean([np.linalg.norm(a - b, axis=-1).mean() for a, b in pairs]),
                np.mean([abs(a[14, 2] - b[14, 2]) for a, b in pairs]))

    (mpjpe_raw, depth_raw), (mpjpe_sm, depth_sm) = err(raw), err(smooth)
    assert mpjpe_sm < 0.7 * mpjpe_raw
    assert depth_sm < 0.6 * depth_raw
    with pytest.raises(ValueError, match=r'\(17, 3\)'):
        sm.smooth(7, np.zeros((16, 3)), 100)
    with pytest.raises(ValueError, match='in front of the camera'):
        sm.smooth(8, np.zeros((17, 3)), 100)


# ---------------------------------------------------------------- tracker
def _ids(tracker, people, t):
    return [a['track_id'] for a in tracker.update(people, t)]


def test_tracker_overlapping_in_the_image_at_different_depths():
    """Two people whose 2D skeletons coincide in every frame (the far one is the near one
    scaled by 2 about the camera centre) while they walk: the 3D root distance keeps their
    IDs; with 2D OKS alone (w_3d = 0) the costs tie and the IDs follow the input order."""
    swaps = {}
    for w_3d in (0.5, 0.0):
        trk = PoseTracker3D(fps=25., w_3d=w_3d, min_hits=1,
                            max_dist=1e9 if w_3d == 0 else 800.)
        history = {0: [], 1: []}
        for t in range(20):
            a = _person([-1000. + 60. * t, 300., 3000.])
            b = dict(a, keypoints_3d=2 * a['keypoints_3d'])
            np.testing.assert_allclose(project_np(b['keypoints_3d'], K),
                                       a['keypoints'])
            order = [0, 1] if t % 2 else [1, 0]  # the input order carries nothing
            ids = _ids(trk, [(a, b)[i] for i in order], t)
            for who, tid in zip(order, ids):
                history[who].append(tid)
        swaps[w_3d] = sum(len(set(h)) - 1 for h in history.values())
    assert swaps[0.5] == 0
    assert swaps[0.0] > 0


def test_tracker_birth_miss_tolerance_and_death():
    trk = PoseTracker3D(fps=25., min_hits=2, max_age=5)
    p = _person([0., 300., 4000.])
    assert _ids(trk, [p], 0) == [-1]  # tentative
    assert _ids(trk, [p], 1) == [0]  # confirmed: birth
    # a one-frame false positive elsewhere never gets an id
    assert _ids(trk, [p, _person([2500., 300., 8000.])], 2) == [0, -1]
    assert _ids(trk, [p], 3) == [0]
    # missed for 5 frames (within max_age): same id
    assert _ids(trk, [p], 9) == [0]
    # missed for 6 frames: the track died, the person is a new track
    assert _ids(trk, [p], 16) == [-1]
    assert _ids(trk, [p], 17) == [1]
    assert trk.track_of_uid(0) is None


def test_tracker_bad_input():
    trk = PoseTracker3D()
    with pytest.raises(ValueError, match='person 0'):
        trk.update([dict(keypoints_3d=np.zeros((17, 2)),
                         keypoints=np.zeros((17, 2)))], 0)
    with pytest.raises(ValueError, match='w_3d'):
        PoseTracker3D(w_3d=2)


def test_clear_mot_hand_counted():
    gt = [[0, 1], [0, 1], [0, 1], [0]]
    hyps = [[(5, 0), (6, 1)], [(5, 1), (6, 0)], [(6, 0)], [(6, 0), (7, -1)]]
    m = clear_mot(gt, hyps)
    # frame 1: both swap (2 idsw); frame 2: 1 missed; frame 3: one false positive
    assert (m['tp'], m['fn'], m['fp'], m['idsw'], m['gt']) == (6, 1, 1, 2, 7)
    assert m['mota'] == pytest.approx(1 - 4 / 7)
    assert m['num_tracks'] == 3


# ---------------------------------------------------------------- generated video
@pytest.fixture(scope='module')
def scene():
    from mar_video.synthetic import make_video, simulate_detections
    video = make_video(seed=0, num_frames=250)
    return video, simulate_detections(video, seed=0)


def test_generated_video_is_deterministic_and_hard(scene):
    from mar_video.synthetic import make_video
    video, dets = scene
    again = make_video(seed=0, num_frames=5)
    np.testing.assert_array_equal(again.poses, video.poses[:5])
    # occlusion happens: someone visible at the start loses most joints later
    visible = video.vis.sum(-1)
    assert (visible < 5).any() and (visible >= 12).any()
    # E leaves the picture and comes back
    e_in = visible[:, 4] >= 5
    assert e_in[0] and not e_in.all() and e_in[-1]
    # bone lengths of the truth are constant (a rigid body)
    bones = np.linalg.norm(video.poses[:, :, 3] - video.poses[:, :, 2], axis=-1)
    np.testing.assert_allclose(bones, np.broadcast_to(bones[:1], bones.shape), atol=1e-6)


def test_generated_video_scores(scene):
    """The README numbers' invariants: few ID switches, fewer than 2D-only tracking, and
    smoothing lowers MPJPE and root-depth error against the truth."""
    from mar_video.evaluation import MMPoseGreedyOKSTracker, evaluate_sequence
    video, dets = scene
    res = evaluate_sequence(video, dets, PoseTracker3D(fps=25.),
                            OneEuroPoseSmoother(fps=25.))
    base = evaluate_sequence(video, dets, MMPoseGreedyOKSTracker())
    assert res['mot']['idsw'] <= 1
    assert res['mot']['idsw'] < base['mot']['idsw']
    assert res['mot']['mota'] > 0.8
    assert res['smoothed']['mpjpe'] < res['raw']['mpjpe']
    assert res['smoothed']['root_depth'] < res['raw']['root_depth']
    assert res['smoothed']['jitter'] < 0.5 * res['raw']['jitter']


def test_core_never_imports_the_project():
    """mmmar/ stays independent of projects/ (the project registers into mmpose's
    registries from its own package)."""
    import os
    import re

    import mmmar
    root = os.path.dirname(mmmar.__file__)
    pattern = re.compile(r'^\s*(import|from)\s+mar_video\b', re.M)
    offenders = []
    for folder, _, files in os.walk(root):
        for name in files:
            if name.endswith('.py'):
                path = os.path.join(folder, name)
                if pattern.search(open(path).read()):
                    offenders.append(path)
    assert not offenders
    import mar_video  # noqa: F401
    from mmpose.registry import TASK_UTILS, VISUALIZERS
    assert TASK_UTILS.get('PoseTracker3D') is PoseTracker3D
    assert TASK_UTILS.get('OneEuroPoseSmoother') is OneEuroPoseSmoother
    assert VISUALIZERS.get('MARVideoVisualizer') is not None


def test_generated_video_looks_like_the_training_data(scene):
    """The default render is the synthetic training images' look (the shipped model finds
    nobody in the muted look): outside the people it is the video's fixed background, and
    nearly every person pixel away from the outline has one of the body-part colours within
    the training data's per-person jitter (25)."""
    from mmmar.datasets.synthetic.generator import LIMB_COLORS, render_people
    video, _ = scene
    img = video.render(60)
    drawn = render_people(np.zeros_like(img), video.poses[60], video.K,
                          colors=np.full_like(video.train_colors, 255))[0][..., 0] > 0
    np.testing.assert_array_equal(img[~drawn], video.background[~drawn])
    core = cv2.erode(drawn.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
    assert core.sum() > 500
    dist = np.abs(img[core][:, None].astype(int) - LIMB_COLORS[None].astype(int)).max(-1)
    assert (dist.min(1) <= 26).mean() > 0.9  # the rest: anti-aliased seams between parts
    assert not np.array_equal(img, video.render(60, 'muted'))
    with pytest.raises(ValueError, match='style'):
        video.render(0, 'cartoon')


def test_label_detections_recovers_the_identities(scene):
    """Matching estimates to the truth by projected pelvis gives back the simulated
    detections' hidden labels (false positives far from everyone get -1 or a nearby
    person)."""
    from mar_video.evaluation import label_detections
    video, dets = scene
    agree = total = 0
    for t in range(0, 250, 5):
        labels = label_detections(dets[t], video, t)
        for p, lab in zip(dets[t], labels):
            if p['label'] >= 0:
                total += 1
                agree += lab == p['label']
    assert total > 100 and agree / total > 0.97
