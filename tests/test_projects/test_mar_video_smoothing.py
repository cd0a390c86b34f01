"""mar_video smoothing, honestly (issue 23): the offline zero-lag smoother against analytic
truths, the AR(1) error model, and both smoothers on white / correlated / no errors."""
import numpy as np
import pytest
from mar_video.offline import ZeroLagPoseSmoother
from mar_video.one_euro import OneEuroPoseSmoother
from mar_video.smoothing_eval import ar1_noise, compare_smoothers, noisy_track

from mmmar.testing import TEMPLATE


def _walk(T=75, speed=52.):
    """A rigid skeleton walking along X at constant depth (root ray and depth linear /
    constant in time)."""
    t = np.arange(T, dtype=np.float64)
    roots = np.stack([-2000. + speed * t, np.full(T, 300.), np.full(T, 5000.)], 1)
    return TEMPLATE[None] + roots[:, None]


def test_zero_lag_has_no_lag_on_uniform_motion():
    """The zero-lag smoother takes the least-squares line out and filters the rest without
    phase: a uniformly walking rigid skeleton (root depth constant, root ray and joints
    linear in time) comes out unchanged, while the causal One Euro filter lags."""
    truth = _walk()
    out = ZeroLagPoseSmoother(fps=25.).smooth_track(truth)
    np.testing.assert_allclose(out, truth, atol=1e-6)
    online = OneEuroPoseSmoother(fps=25.)
    lagged = np.stack([online.smooth(0, k, t) for t, k in enumerate(truth)])
    assert np.linalg.norm(lagged - truth, axis=-1).mean() > 5.0


def test_zero_lag_fills_gaps_and_names_bad_input():
    truth = _walk(30)
    holed = truth.copy()
    holed[10:14] = np.nan
    out = ZeroLagPoseSmoother(fps=25.).smooth_track(holed)
    np.testing.assert_allclose(out, truth, atol=1e-6)  # linear interpolation of a line
    short = ZeroLagPoseSmoother(fps=25.).smooth_track(truth[:2])
    np.testing.assert_allclose(short, truth[:2])
    with pytest.raises(ValueError, match=r'\(T, 17, 3\)'):
        ZeroLagPoseSmoother().smooth_track(np.zeros((5, 16, 3)))
    with pytest.raises(ValueError, match='in front of the camera'):
        ZeroLagPoseSmoother().smooth_track(np.zeros((5, 17, 3)))
    with pytest.raises(ValueError, match='depth_cutoff'):
        ZeroLagPoseSmoother(fps=25., depth_cutoff=13.)


def test_ar1_noise_statistics():
    """Unit standard deviation and lag-1 autocorrelation rho (white for rho = 0)."""
    rng = np.random.default_rng(0)
    for rho in (0.0, 0.8, 0.95):
        e = ar1_noise(rng, 20000, (4, ), rho)
        assert e.std() == pytest.approx(1.0, abs=0.06)
        r1 = np.mean([np.corrcoef(e[1:, k], e[:-1, k])[0, 1] for k in range(4)])
        assert r1 == pytest.approx(rho, abs=0.02)
    with pytest.raises(ValueError, match='rho'):
        ar1_noise(rng, 3, (), 1.0)


def test_noisy_track_is_mar_like():
    """The errors lie along the viewing ray: the projection of the noisy root is the true
    root's within the 2 px noise, while its depth is off by about 4 %."""
    from mar_video.scenarios import scene_camera

    from mmmar.geometry import project_np
    K = scene_camera()
    truth = _walk(400)
    noisy = noisy_track(truth, K, np.random.default_rng(1), 0.0)
    d_uv = project_np(noisy[:, 14], K) - project_np(truth[:, 14], K)
    assert d_uv.std() == pytest.approx(2.0, rel=0.15)
    rel_depth = noisy[:, 14, 2] / truth[:, 14, 2] - 1
    assert rel_depth.std() == pytest.approx(0.04, rel=0.15)
    np.testing.assert_array_equal(noisy_track(truth, K, None, None), truth)


def test_smoothers_on_white_correlated_and_no_errors():
    """Smoothing each true track of the generated video directly: both smoothers help a lot
    on white errors, less on errors correlated over 5 frames and hardly at all over 20
    frames (they look like motion); on the exact truth the online filter adds error (its
    lag) while the zero-lag one adds much less."""
    from mar_video.synthetic import make_video
    video = make_video(seed=0, num_frames=100)
    res = compare_smoothers(video, lambda: OneEuroPoseSmoother(fps=25.),
                            ZeroLagPoseSmoother(fps=25.), seed=0)
    white, ar8, ar95 = res['white'], res['AR(1) rho=0.8'], res['AR(1) rho=0.95']
    exact = res['none (exact truth)']
    assert white['one_euro_mpjpe'] < 0.6 * white['input_mpjpe']
    assert white['zero_lag_mpjpe'] < 0.3 * white['input_mpjpe']
    for row in (white, ar8, exact):
        assert row['zero_lag_mpjpe'] < row['one_euro_mpjpe']
    assert 0.5 * ar8['input_mpjpe'] < ar8['zero_lag_mpjpe'] < 0.8 * ar8['input_mpjpe']
    for k in ('one_euro_mpjpe', 'zero_lag_mpjpe'):
        assert ar95[k] > 0.85 * ar95['input_mpjpe']
    assert exact['input_mpjpe'] == 0.0
    assert exact['one_euro_mpjpe'] > 30.0
    assert exact['zero_lag_mpjpe'] < 0.25 * exact['one_euro_mpjpe']
