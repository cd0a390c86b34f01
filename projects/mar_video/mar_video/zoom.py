"""The zoom test of :class:`~mar_video.tracker.PoseTracker3D`: a global depth rescale.

When the camera's focal length changes by a factor ``k`` while the intrinsics given to the
estimator stay, the estimator reads every depth from the apparent size with the old focal
length: every depth is multiplied by the same ``s = 1 / k`` in one frame, X and Y stay (since
``X = (u - c) Z / f`` and ``u - c`` scales by ``k``), and the 2D poses scale by ``k`` about the
principal point. A global rescale is cheap to test:

1. **trigger**: the median depth of the detections differs from the median predicted depth of
   the confirmed tracks seen in the last 3 frames (the *recent* tracks; a zoom frame where
   most people are missed is then caught in the next one) by more than ``rescale_min`` (smaller
   changes are within the depth noise of a few people and the gates cover them);
2. **candidates**: that ratio of medians and every ratio ``Z_detection / Z_track`` on the same
   side (a person missed, or one walking in, in the zoom frame biases the medians);
3. each candidate's assignment (tracks rescaled, 2D poses about the principal point fitted to
   the detections' 3D-2D pairs by :func:`principal_point`) is ranked by the number of recent
   tracks it keeps, then of pairs, then the total cost; the best one's scale is refined to the
   median ratio of its recent pairs (:func:`refine_scale`), which must still differ from 1 by
   more than ``rescale_min``;
4. the rescale is **kept** (:func:`is_zoom`) if it keeps a recent track for every detection
   (up to the number of recent tracks) and matches more pairs than no rescale, or as many at a
   lower total cost.
"""
from typing import List, Optional, Sequence

import numpy as np

__all__ = ['principal_point', 'zoom_candidates', 'refine_scale', 'is_zoom']


def principal_point(dets: Sequence[tuple]) -> Optional[np.ndarray]:
    """The principal point ``(cx, cy)`` of the camera the detections were back-projected
    with, fitted by least squares to ``u = fx * X / Z + cx`` (and v) over all their joints;
    None when there are too few finite joints or no spread.

    Args:
        dets: The tracker's parsed detections ``(root, kpts2d, scores, kpts3d)``.
    """
    rays, uv = [], []
    for det in dets:
        k3d, k2d = det[3], det[1]
        ok = np.isfinite(k3d).all(-1) & np.isfinite(k2d).all(-1) & (k3d[:, 2] > 0)
        rays.append(k3d[ok, :2] / k3d[ok, 2:3])
        uv.append(k2d[ok])
    if not rays:
        return None
    rays, uv = np.concatenate(rays), np.concatenate(uv)
    if len(rays) < 3:
        return None
    center = np.zeros(2)
    for a in range(2):
        if np.ptp(rays[:, a]) < 1e-6:
            return None
        A = np.stack([rays[:, a], np.ones(len(rays))], 1)
        center[a] = np.linalg.lstsq(A, uv[:, a], rcond=None)[0][1]
    return center


def zoom_candidates(det_depths: Sequence[float], track_depths: Sequence[float],
                    rescale_min: float) -> List[float]:
    """Scales to test (steps 1-2 of the module docstring); empty: no zoom suspected."""
    det = np.asarray(det_depths, np.float64)
    trk = np.asarray(track_depths, np.float64)
    if len(det) < 2 or len(trk) < 2:
        return []
    s = float(np.median(det) / np.median(trk))
    limit = np.log1p(rescale_min)
    if not np.isfinite(s) or s <= 0 or abs(np.log(s)) < limit:
        return []
    ratios = (det[None] / trk[:, None]).ravel()
    ratios = ratios[np.isfinite(ratios) & (ratios > 0)]
    same_side = ratios[np.sign(np.log(ratios)) == np.sign(np.log(s))]
    return [s] + sorted(set(np.round(same_side, 6).tolist()) - {round(s, 6)})


def refine_scale(s: float, pairs: Sequence[tuple], frame_idx: int,
                 predict_frames: Optional[int]) -> float:
    """The median ratio ``Z_detection / Z_track`` over ``pairs`` ``(Z_detection, track)``
    matched under the candidate ``s`` (``s`` itself when there are none)."""
    if not pairs:
        return s
    return float(np.median([z / t.predict_root(frame_idx, predict_frames)[2]
                            for z, t in pairs]))


def is_zoom(n_recent_kept: int, n_recent: int, n_dets: int, n_matched: int,
            total: float, n_matched_before: int, total_before: float) -> bool:
    """Step 4 of the module docstring."""
    if n_recent_kept < min(n_recent, n_dets):
        return False
    return n_matched > n_matched_before or (n_matched == n_matched_before and
                                            total < total_before)
