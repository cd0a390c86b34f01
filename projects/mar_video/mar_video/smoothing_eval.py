"""The smoothers on errors that are white, correlated in time, or absent.

A network's errors are not white noise: a person seen the same way in consecutive frames gets
nearly the same error, so the error of frame ``t`` is correlated with that of ``t - 1``.
:func:`compare_smoothers` smooths each true track of the generated video directly (no
tracker: the identities are known), after adding MAR-like errors (2 px on the 2D joints, 4 %
of the root depth, 40 mm on the relative depths, back-projected as MAR's Eq. 1) drawn from

* ``white``: independent per frame;
* ``AR(1) rho``: ``e_t = rho * e_{t-1} + sqrt(1 - rho^2) * w_t`` with white ``w_t``, the
  same standard deviation as the white errors but correlated over about ``1 / (1 - rho)``
  frames (0.8: 5 frames, 0.95: 20 frames, 0.8 s at 25 fps);
* ``none``: the exact truth (what a smoother does to a perfect input: its lag).

and reports the MPJPE and root-depth error (mm) of the input, of the online One Euro smoother
and of the offline zero-lag smoother. A smoother removes the part of the error that is faster
than its cutoff; errors that stay for many frames look like motion to it and pass.
"""
from typing import Dict, List, Optional, Tuple

import numpy as np

from mmmar.datasets.synthetic.generator import project
from mmmar.geometry import back_project_np
from mmmar.structures.skeleton import NUM_JOINTS, ROOT
from .metrics import pose_errors
from .synthetic import SyntheticVideo

__all__ = ['ar1_noise', 'noisy_track', 'true_runs', 'compare_smoothers', 'NOISES']

#: Noise models of :func:`compare_smoothers`: name -> AR(1) coefficient (None: no noise).
NOISES = {'none (exact truth)': None, 'white': 0.0, 'AR(1) rho=0.8': 0.8,
          'AR(1) rho=0.95': 0.95}


def ar1_noise(rng: np.random.Generator, num: int, shape: Tuple[int, ...],
              rho: float) -> np.ndarray:
    """(num, *shape) standard-normal errors, AR(1) over the first axis (stationary)."""
    if not 0 <= rho < 1:
        raise ValueError(f'rho must be in [0, 1), got {rho}')
    w = rng.standard_normal((num, ) + tuple(shape))
    e = np.empty_like(w)
    e[0] = w[0]
    k = np.sqrt(1 - rho**2)
    for t in range(1, num):
        e[t] = rho * e[t - 1] + k * w[t]
    return e


def noisy_track(poses: np.ndarray, K: np.ndarray, rng: np.random.Generator,
                rho: Optional[float], px_noise: float = 2.0,
                depth_noise_rel: float = 0.04,
                rel_depth_noise: float = 40.0) -> np.ndarray:
    """MAR-like estimates (T, 17, 3) of a true track ``poses`` (T, 17, 3) with AR(1) errors
    of coefficient ``rho`` (0: white; None: no error, the truth itself)."""
    poses = np.asarray(poses, np.float64)
    if rho is None:
        return poses.copy()
    T = len(poses)
    uv = project(poses, K) + px_noise * ar1_noise(rng, T, (NUM_JOINTS, 2), rho)
    z_root = poses[:, ROOT, 2] * (1 + depth_noise_rel * ar1_noise(rng, T, (), rho))
    rel = poses[:, :, 2] - poses[:, ROOT:ROOT + 1, 2] + \
        rel_depth_noise * ar1_noise(rng, T, (NUM_JOINTS, ), rho)
    rel[:, ROOT] = 0.0
    return back_project_np(uv, z_root[:, None] + rel, K)


def true_runs(video: SyntheticVideo, min_visible: int = 5,
              min_len: int = 13) -> List[Tuple[int, int, int]]:
    """``(identity, first frame, end frame)`` of every run of consecutive frames in which
    the identity has at least ``min_visible`` visible joints, at least ``min_len`` long."""
    runs = []
    ok = video.vis.sum(-1) >= min_visible  # (T, P)
    for p in range(ok.shape[1]):
        t = 0
        while t < len(ok):
            if not ok[t, p]:
                t += 1
                continue
            end = t
            while end < len(ok) and ok[end, p]:
                end += 1
            if end - t >= min_len:
                runs.append((p, t, end))
            t = end
    return runs


def compare_smoothers(video: SyntheticVideo, online_factory, offline,
                      seed: int = 0) -> Dict[str, Dict[str, float]]:
    """Errors of the raw input and both smoothers on every true run, per noise model.

    Args:
        video: The generated video.
        online_factory (callable): ``() -> OneEuroPoseSmoother`` (a fresh one per run).
        offline: A :class:`~mar_video.ZeroLagPoseSmoother`.
        seed (int): Seed of the errors.

    Returns:
        dict: noise name -> ``{'<input|one_euro|zero_lag>_<mpjpe|depth>': mm, 'n'}`` (the
        MPJPE and the root-depth error).
    """
    rng = np.random.default_rng([seed, 23, 3])
    out = {}
    for name, rho in NOISES.items():
        est: Dict[str, list] = dict(input=[], one_euro=[], zero_lag=[])
        truth = []
        for p, t0, t1 in true_runs(video):
            gt = video.poses[t0:t1, p]
            noisy = noisy_track(gt, video.K, rng, rho)
            online = online_factory()
            est['input'].append(noisy)
            est['one_euro'].append(np.stack(
                [online.smooth(0, k, t) for t, k in zip(range(t0, t1), noisy)]))
            est['zero_lag'].append(offline.smooth_track(noisy))
            truth.append(gt)
        gt_all = np.concatenate(truth)
        row = dict(n=len(gt_all))
        for k, v in est.items():
            err = pose_errors(list(np.concatenate(v)), list(gt_all))
            row[f'{k}_mpjpe'] = err['mpjpe']
            row[f'{k}_depth'] = err['root_depth']
        out[name] = row
    return out
