"""Outputs written while a video is processed, each flushed as soon as a frame is done.

* ``frames/frame_<index>.json``: one file per frame (written to a temporary name, then
  renamed, so a file is either complete or absent) with the frame index, time, intrinsics
  and every person: ``track_id`` (-1 for a detection whose track is never confirmed), raw and
  smoothed ``keypoints_3d`` (mm), ``keypoints`` (px), ``keypoint_scores``, root depths;
* ``tracks.csv``: one row per confirmed track and frame (flushed per frame): frame, time,
  track id, smoothed root depth, then ``<joint>_x, _y, _z`` (smoothed camera mm) and
  ``<joint>_u, _v`` (px) for the 17 joints;
* ``bvh/track_<id>.bvh``: one BVH per track (:mod:`mar_video.bvh`) observed in at least
  ``min_frames`` frames, written when the track ends and for every live track when the run
  stops, also when it stops on an error; ``bvh/index.json`` gives each file's first video
  frame, frame count, smoothing, units and floor, and lists the tracks ``skipped`` as too
  short. Options: metres instead of millimetres, and the feet on ``y = 0``.

A track is written from its first frame: the rows / frames it had before it was confirmed
are added (and the frames' JSON rewritten with its id) in the frame it is confirmed.
"""
import csv
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

from mmmar.structures.skeleton import JOINT_NAMES, NUM_JOINTS
from .bvh import write_bvh

__all__ = ['FrameJSONWriter', 'TrackCSVWriter', 'BVHTrackWriter', 'floor_height']


def _dump_atomic(obj, path: str) -> None:
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(obj, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class FrameJSONWriter:
    """``<out_dir>/frames/frame_<index:06d>.json`` per frame."""

    def __init__(self, out_dir: str):
        self.dir = osp.join(out_dir, 'frames')
        os.makedirs(self.dir, exist_ok=True)

    def write(self, frame_idx: int, record: dict) -> str:
        path = osp.join(self.dir, f'frame_{frame_idx:06d}.json')
        _dump_atomic(record, path)
        return path


class TrackCSVWriter:
    """``<out_dir>/tracks.csv``, one row per confirmed track and frame."""

    def __init__(self, out_dir: str):
        self.path = osp.join(out_dir, 'tracks.csv')
        self.file = open(self.path, 'w', newline='')
        self.writer = csv.writer(self.file)
        head = ['frame', 'time_s', 'track_id', 'root_depth_mm']
        for name in JOINT_NAMES:
            head += [f'{name}_x', f'{name}_y', f'{name}_z']
        for name in JOINT_NAMES:
            head += [f'{name}_u', f'{name}_v']
        self.writer.writerow(head)
        self.file.flush()

    def write(self, frame_idx: int, time_s: float, people: List[dict]) -> None:
        for p in people:
            if p['track_id'] < 0:
                continue
            k3d = np.asarray(p['keypoints_3d_smoothed'])
            k2d = np.asarray(p['keypoints_smoothed'])
            row = [frame_idx, f'{time_s:.4f}', p['track_id'],
                   f'{p["root_depth_smoothed"]:.2f}']
            row += [f'{v:.2f}' for v in k3d.reshape(-1)]
            row += [f'{v:.2f}' for v in k2d.reshape(-1)]
            self.writer.writerow(row)
        self.file.flush()

    def close(self) -> None:
        if not self.file.closed:
            self.file.close()


#: Ankle joints (the lowest joints of the MuPoTS skeleton).
ANKLES = (JOINT_NAMES.index('r_ankle'), JOINT_NAMES.index('l_ankle'))


def floor_height(positions: np.ndarray) -> float:
    """Camera-space Y (mm, Y down) of the floor under a level camera, from one track: the
    median over its frames of the lower ankle's Y (the ankle joint, a few cm above the
    sole)."""
    lower = np.nanmax(np.asarray(positions)[:, ANKLES, 1], axis=1)
    return float(np.nanmedian(lower))


class BVHTrackWriter:
    """Collects each confirmed track's skeletons; writes one BVH per track when it ends.

    Args:
        out_dir (str): Output folder (files in ``<out_dir>/bvh``).
        fps (float): Frame rate.
        min_frames (int): Tracks observed in fewer frames are not written (listed under
            ``skipped`` in ``index.json``): false positives live 1-3 frames. Defaults to 13
            (0.5 s at 25 fps).
        offline_smoother: A :class:`~mar_video.ZeroLagPoseSmoother` to smooth the raw joints
            of the whole track (no lag), or None to write the joints given as ``smoothed``
            (the online smoother's).
        units (str): ``'mm'`` (default) or ``'m'`` for the file's offsets and translations.
        floor (bool): Shift each track vertically so that its feet stand on ``y = 0``
            (:func:`floor_height`; right for a level camera, the tilt is not estimated).
    """

    def __init__(self, out_dir: str, fps: float, min_frames: int = 13,
                 offline_smoother=None, units: str = 'mm', floor: bool = False):
        if min_frames < 1:
            raise ValueError(f'min_frames must be >= 1, got {min_frames}')
        if units not in ('mm', 'm'):
            raise ValueError(f"units must be 'mm' or 'm', got {units!r}")
        self.units, self.floor = units, bool(floor)
        self.dir = osp.join(out_dir, 'bvh')
        os.makedirs(self.dir, exist_ok=True)
        self.fps, self.min_frames = float(fps), int(min_frames)
        self.offline_smoother = offline_smoother
        self.tracks: Dict[int, Dict[int, tuple]] = {}
        self.index: Dict[str, dict] = {}
        self.skipped: List[dict] = []

    def add(self, track_id: int, frame_idx: int, smoothed: np.ndarray,
            raw: Optional[np.ndarray] = None) -> None:
        """One frame of a track: the online-smoothed joints and the raw ones (mm)."""
        raw = smoothed if raw is None else raw
        self.tracks.setdefault(int(track_id), {})[int(frame_idx)] = (
            np.asarray(smoothed, np.float64), np.asarray(raw, np.float64))

    def _positions(self, frames: Dict[int, tuple], col: int) -> np.ndarray:
        first, last = min(frames), max(frames)
        pos = np.full((last - first + 1, NUM_JOINTS, 3), np.nan)
        for f, k in frames.items():
            pos[f - first] = k[col]
        return pos

    def finish(self, track_id: int) -> Optional[str]:
        """Write (and forget) one track; returns the file, or None if too short."""
        frames = self.tracks.pop(int(track_id), None)
        if not frames:
            return None
        first = min(frames)
        if len(frames) < self.min_frames:
            self.skipped.append(dict(track_id=int(track_id), first_frame=int(first),
                                     observed_frames=len(frames)))
            self._write_index()
            return None
        if self.offline_smoother is not None:
            pos = self.offline_smoother.smooth_track(self._positions(frames, 1))
            smoothing = 'offline-zero-lag'
        else:
            pos = self._positions(frames, 0)
            smoothing = 'online'
        name = f'track_{track_id:03d}.bvh'
        path = osp.join(self.dir, name)
        floor_y = floor_height(pos) if self.floor else 0.0
        pos = pos - np.array([0.0, floor_y, 0.0])
        scale = 0.001 if self.units == 'm' else 1.0
        out = write_bvh(path, pos * scale, self.fps, name_prefix='')
        observed = np.array([f - first for f in sorted(frames)])
        dev = np.linalg.norm(out['positions'][observed] / scale - pos[observed], axis=-1)
        self.index[name] = dict(
            track_id=int(track_id), first_frame=int(first), num_frames=len(pos),
            observed_frames=len(frames), fps=self.fps, smoothing=smoothing,
            units=self.units, floor_camera_y_mm=floor_y if self.floor else None,
            rigidify_mean_mm=float(dev.mean()), rigidify_max_mm=float(dev.max()))
        self._write_index()
        return path

    def _write_index(self) -> None:
        _dump_atomic(dict(self.index, skipped=self.skipped),
                     osp.join(self.dir, 'index.json'))

    def finish_all(self) -> List[str]:
        return [p for p in (self.finish(t) for t in list(self.tracks)) if p]
