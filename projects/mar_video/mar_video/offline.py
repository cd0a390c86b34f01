"""Offline, zero-lag smoothing of whole tracks for the exports (BVH).

The One Euro filter (:mod:`mar_video.one_euro`) is causal: the output for frame ``t`` uses
frames ``<= t`` only, so it lags during motion. An export is written when the track has ended,
so it can use the frames after ``t`` too: :class:`ZeroLagPoseSmoother` runs a Butterworth
low-pass filter forwards and backwards over the whole track
(:func:`scipy.signal.filtfilt`: zero phase, i.e. no lag, and the squared magnitude response
of the filter). Like the online smoother it filters the root depth ``Z``, the root's viewing
ray ``(X / Z, Y / Z)`` and the root-relative joints separately (MAR's error lies along the
viewing ray), each with its own cutoff. Frames missing inside a track are filled by linear
interpolation first (the BVH needs every frame). The least-squares line of each signal over the
track is taken out before filtering and added back after, so that a uniform motion passes
unchanged (no lag, no edge effect); the rest is padded by reflection at the ends.
"""

import numpy as np

from mmmar.structures.skeleton import NUM_JOINTS, ROOT
from .bvh import fill_gaps
from .registry import TASK_UTILS

__all__ = ['ZeroLagPoseSmoother']


@TASK_UTILS.register_module()
class ZeroLagPoseSmoother:
    """Forward-backward Butterworth smoothing of a whole track (see the module docstring).

    Args:
        fps (float): Frame rate.
        depth_cutoff, ray_cutoff, pose_cutoff (float): Cutoff frequencies (Hz) of the root
            depth, the root ray and the root-relative joints; each must be below ``fps / 2``.
        order (int): Butterworth order (of each pass). Defaults to 2.
    """

    def __init__(self,
                 fps: float = 25.0,
                 depth_cutoff: float = 0.5,
                 ray_cutoff: float = 3.0,
                 pose_cutoff: float = 2.0,
                 order: int = 2):
        if not fps > 0:
            raise ValueError(f'fps must be positive, got {fps}')
        cut = dict(depth=depth_cutoff, ray=ray_cutoff, pose=pose_cutoff)
        for k, c in cut.items():
            if not 0 < c < fps / 2:
                raise ValueError(f'{k}_cutoff must be in (0, fps / 2 = {fps / 2:g}) Hz, '
                                 f'got {c}')
        self.fps, self.cutoffs, self.order = float(fps), cut, int(order)

    def _filtfilt(self, x: np.ndarray, cutoff: float) -> np.ndarray:
        """Zero-phase low-pass of ``x`` along axis 0: the least-squares line is taken out
        (a uniform motion passes unchanged, also at the ends), the rest is filtered forwards
        and backwards, padded by reflection over about one cutoff period."""
        from scipy.signal import butter, filtfilt
        t = np.arange(len(x), dtype=np.float64)
        flat = x.reshape(len(x), -1)
        A = np.stack([t, np.ones_like(t)], 1)
        coef = np.linalg.lstsq(A, flat, rcond=None)[0]
        trend = A @ coef
        b, a = butter(self.order, cutoff / (self.fps / 2))
        padlen = min(int(np.ceil(self.fps / cutoff)), len(x) - 1)
        rest = filtfilt(b, a, flat - trend, axis=0, padtype='even', padlen=padlen)
        return (trend + rest).reshape(x.shape)

    def smooth_track(self, positions: np.ndarray) -> np.ndarray:
        """Smooth one track.

        Args:
            positions (np.ndarray): (T, 17, 3) camera-space joints (mm) of consecutive
                frames; frames where the track was missed are NaN (filled by linear
                interpolation first).

        Returns:
            np.ndarray: (T, 17, 3) smoothed joints. A track of fewer than 3 frames is
            returned interpolated but unfiltered.
        """
        pos = np.asarray(positions, np.float64)
        if pos.ndim != 3 or pos.shape[1:] != (NUM_JOINTS, 3):
            raise ValueError(f'positions must be (T, {NUM_JOINTS}, 3), got {pos.shape}')
        pos = fill_gaps(pos)
        if not (pos[:, ROOT, 2] > 0).all():
            raise ValueError('the root must be in front of the camera (Z > 0) in every '
                             'frame')
        if len(pos) < 3:
            return pos
        root = pos[:, ROOT]
        z = self._filtfilt(root[:, 2], self.cutoffs['depth'])
        ray = self._filtfilt(root[:, :2] / root[:, 2:3], self.cutoffs['ray'])
        rel = self._filtfilt(pos - root[:, None], self.cutoffs['pose'])
        z = np.maximum(z, 1.0)
        smoothed_root = np.concatenate([ray * z[:, None], z[:, None]], 1)
        return smoothed_root[:, None] + rel
