"""Online temporal smoothing of tracked 3D skeletons with the One Euro filter.

The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) is a first-order low-pass filter
whose cutoff frequency grows with the (low-passed) speed of the signal:

.. math::

    \\hat{\\dot x}_t = \\alpha(d_c)\\,\\frac{x_t - \\hat x_{t-1}}{T_e}
        + (1 - \\alpha(d_c))\\,\\hat{\\dot x}_{t-1}, \\qquad
    f_c = f_{c,\\min} + \\beta\\,|\\hat{\\dot x}_t|, \\qquad
    \\hat x_t = \\alpha(f_c)\\,x_t + (1 - \\alpha(f_c))\\,\\hat x_{t-1},

with :math:`\\alpha(f) = 1 / (1 + \\tau / T_e)`, :math:`\\tau = 1 / (2\\pi f)` and
:math:`T_e` the time since the previous sample. Slow motion is smoothed strongly (little
jitter), fast motion lightly (little lag).

**Latency: zero frames.** The output for frame ``t`` is computed from the samples up to and
including ``t`` only (no look-ahead); it is returned in the same call that receives the
sample. The filter has, like every causal low-pass filter, a *phase lag* during motion, which
``beta`` keeps small (measured in the project README: the error against the truth goes down,
not only the jitter).

mmpose 1.x has no temporal filter (0.x's ``OneEuroFilter`` / ``Smoother`` were not carried
over), hence this small implementation.
"""
import math
from typing import Dict, Optional

import numpy as np

from mmmar.structures.skeleton import NUM_JOINTS, ROOT
from .registry import TASK_UTILS

__all__ = ['OneEuroFilter', 'OneEuroPoseSmoother']


def _alpha(dt: float, cutoff: np.ndarray) -> np.ndarray:
    tau = 1.0 / (2.0 * math.pi * np.maximum(cutoff, 1e-6))
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """One Euro filter over an array of points, one filter state per point.

    The speed that raises the cutoff is the norm over the last axis (e.g. the 3D speed of a
    joint, mm/s) when ``norm_last_axis`` is True, else per element.

    Args:
        min_cutoff (float): Cutoff frequency at zero speed, Hz.
        beta (float): Cutoff increase per unit of speed (Hz per unit/s).
        d_cutoff (float): Cutoff of the speed estimate, Hz. Defaults to 1.
        norm_last_axis (bool): Use the per-point speed norm. Defaults to True.
    """

    def __init__(self,
                 min_cutoff: float = 1.0,
                 beta: float = 0.0,
                 d_cutoff: float = 1.0,
                 norm_last_axis: bool = True):
        if min_cutoff <= 0 or d_cutoff <= 0 or beta < 0:
            raise ValueError('OneEuroFilter needs min_cutoff > 0, d_cutoff > 0 '
                             f'and beta >= 0, got {min_cutoff}, {d_cutoff}, {beta}')
        self.min_cutoff = float(min_cutoff)
        self.beta = float(beta)
        self.d_cutoff = float(d_cutoff)
        self.norm_last_axis = norm_last_axis
        self.reset()

    def reset(self) -> None:
        """Forget the history."""
        self.x_prev: Optional[np.ndarray] = None
        self.dx_prev: Optional[np.ndarray] = None
        self.t_prev: Optional[float] = None

    def __call__(self, x: np.ndarray, t: float) -> np.ndarray:
        """Filter the sample ``x`` taken at time ``t`` (seconds); returns the estimate."""
        x = np.asarray(x, dtype=np.float64)
        if self.x_prev is None:
            self.x_prev, self.dx_prev, self.t_prev = x.copy(), np.zeros_like(x), t
            return x.copy()
        dt = float(t - self.t_prev)
        if not dt > 0:
            raise ValueError(f'OneEuroFilter: time must increase, got {t} after '
                             f'{self.t_prev}')
        if x.shape != self.x_prev.shape:
            raise ValueError(f'OneEuroFilter: shape {x.shape} differs from '
                             f'{self.x_prev.shape}')
        ok = np.isfinite(x)
        x = np.where(ok, x, self.x_prev)  # a missing value keeps the estimate
        dx = (x - self.x_prev) / dt
        dx_hat = self.dx_prev + _alpha(dt, np.asarray(self.d_cutoff)) * (
            dx - self.dx_prev)
        speed = np.linalg.norm(dx_hat, axis=-1, keepdims=True) \
            if self.norm_last_axis else np.abs(dx_hat)
        a = _alpha(dt, self.min_cutoff + self.beta * speed)
        x_hat = self.x_prev + a * (x - self.x_prev)
        self.x_prev, self.dx_prev, self.t_prev = x_hat, dx_hat, t
        return x_hat.copy()


@TASK_UTILS.register_module()
class OneEuroPoseSmoother:
    """One Euro smoothing of each track's root depth, root direction and root-relative joints.

    MAR's 3D root is ``Z * ray(u, v)``: its error lies mostly along the viewing ray (the
    depth), while the ray itself comes from precise 2D joints. So three filters run per
    track: on the root depth ``Z`` (strong smoothing), on the root's normalised ray
    ``(X / Z, Y / Z)`` (light smoothing, little lateral lag) and on the 17 root-relative
    joints. The smoothed skeleton is ``Z' * (x', y', 1) + relative'``; its root depth is the
    smoothed ``Z``. Times come from the frame index and ``fps``, so a track missing for some
    frames is filtered with the real gap.

    Args:
        fps (float): Frame rate used to turn frame indices into seconds.
        depth_min_cutoff, depth_beta (float): One Euro parameters of the root depth (Hz,
            Hz per mm/s).
        ray_min_cutoff, ray_beta (float): Same for the root ray (Hz, Hz per 1/s).
        pose_min_cutoff, pose_beta (float): Same for the root-relative joints (Hz, Hz per
            mm/s).
        d_cutoff (float): Speed cutoff of all three, Hz.
    """

    def __init__(self,
                 fps: float = 25.0,
                 depth_min_cutoff: float = 0.4,
                 depth_beta: float = 0.0002,
                 ray_min_cutoff: float = 3.0,
                 ray_beta: float = 10.0,
                 pose_min_cutoff: float = 1.0,
                 pose_beta: float = 0.002,
                 d_cutoff: float = 1.0):
        if not fps > 0:
            raise ValueError(f'fps must be positive, got {fps}')
        self.fps = float(fps)
        self.args = dict(
            depth=dict(min_cutoff=depth_min_cutoff, beta=depth_beta,
                       d_cutoff=d_cutoff),
            ray=dict(min_cutoff=ray_min_cutoff, beta=ray_beta, d_cutoff=d_cutoff),
            pose=dict(min_cutoff=pose_min_cutoff, beta=pose_beta,
                      d_cutoff=d_cutoff))
        self._filters: Dict[int, Dict[str, OneEuroFilter]] = {}

    def smooth(self, key: int, keypoints_3d: np.ndarray,
               frame_idx: int) -> np.ndarray:
        """Smoothed (17, 3) camera-space joints (mm) of track ``key`` at ``frame_idx``."""
        kpts = np.asarray(keypoints_3d, dtype=np.float64)
        if kpts.shape != (NUM_JOINTS, 3):
            raise ValueError(f'keypoints_3d must be ({NUM_JOINTS}, 3), got '
                             f'{kpts.shape}')
        root = kpts[ROOT]
        if not (np.isfinite(root).all() and root[2] > 0):
            raise ValueError(f'track {key}: the root must be finite and in front of '
                             f'the camera, got {root.tolist()}')
        if key not in self._filters:
            self._filters[key] = {k: OneEuroFilter(**v)
                                  for k, v in self.args.items()}
        f = self._filters[key]
        t = frame_idx / self.fps
        z = f['depth'](root[2:3], t)[0]
        ray = f['ray'](root[:2] / root[2], t)
        rel = f['pose'](kpts - root[None], t)
        return np.array([ray[0] * z, ray[1] * z, z])[None] + rel

    def rescale(self, s: float) -> None:
        """The camera zoomed (:attr:`PoseTracker3D.last_depth_scale`): every track's depth
        state times ``s``, its root ray (``X / Z``, ``Y / Z``; X and Y stay) times ``1 / s``,
        so that the filters do not drift from the old depths to the new ones."""
        for f in self._filters.values():
            for name, k in (('depth', s), ('ray', 1.0 / s)):
                if f[name].x_prev is not None:
                    f[name].x_prev = f[name].x_prev * k
                    f[name].dx_prev = f[name].dx_prev * k

    def drop(self, key: int) -> None:
        """Forget track ``key`` (call when the tracker ends it)."""
        self._filters.pop(key, None)
