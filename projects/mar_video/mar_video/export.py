"""Outputs written while a video is processed, each flushed as soon as a frame is done.

* ``frames/frame_<index>.json``: one file per frame (written to a temporary name, then
  renamed, so a file is either complete or absent) with the frame index, time, intrinsics
  and every person: ``track_id`` (-1 while a track is not yet confirmed), raw and smoothed
  ``keypoints_3d`` (mm), ``keypoints`` (px), ``keypoint_scores``, root depths;
* ``tracks.csv``: one row per confirmed track and frame (flushed per frame): frame, time,
  track id, smoothed root depth, then ``<joint>_x, _y, _z`` (smoothed camera mm) and
  ``<joint>_u, _v`` (px) for the 17 joints;
* ``bvh/track_<id>.bvh``: one BVH per track (:mod:`mar_video.bvh`) written when the track
  ends and for every live track when the run stops, also when it stops on an error;
  ``bvh/index.json`` gives each file's first video frame and frame count.
"""
import csv
import json
import os
import os.path as osp
from typing import Dict, List, Optional

import numpy as np

from mmmar.structures.skeleton import JOINT_NAMES
from .bvh import write_bvh

__all__ = ['FrameJSONWriter', 'TrackCSVWriter', 'BVHTrackWriter']


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


class BVHTrackWriter:
    """Collects each confirmed track's smoothed skeletons; writes one BVH per track."""

    def __init__(self, out_dir: str, fps: float, min_frames: int = 2):
        self.dir = osp.join(out_dir, 'bvh')
        os.makedirs(self.dir, exist_ok=True)
        self.fps, self.min_frames = float(fps), int(min_frames)
        self.tracks: Dict[int, Dict[int, np.ndarray]] = {}
        self.index: Dict[str, dict] = {}

    def add(self, track_id: int, frame_idx: int, kpts3d: np.ndarray) -> None:
        self.tracks.setdefault(int(track_id), {})[int(frame_idx)] = \
            np.asarray(kpts3d, np.float64)

    def finish(self, track_id: int) -> Optional[str]:
        """Write (and forget) one track; returns the file, or None if too short."""
        frames = self.tracks.pop(int(track_id), None)
        if not frames or len(frames) < self.min_frames:
            return None
        first, last = min(frames), max(frames)
        pos = np.full((last - first + 1, ) + next(iter(frames.values())).shape,
                      np.nan)
        for f, k in frames.items():
            pos[f - first] = k
        name = f'track_{track_id:03d}.bvh'
        path = osp.join(self.dir, name)
        out = write_bvh(path, pos, self.fps, name_prefix='')
        observed = np.array([f - first for f in sorted(frames)])
        dev = np.linalg.norm(out['positions'][observed] - pos[observed], axis=-1)
        self.index[name] = dict(
            track_id=int(track_id), first_frame=int(first),
            num_frames=int(last - first + 1), observed_frames=len(frames),
            fps=self.fps, rigidify_mean_mm=float(dev.mean()),
            rigidify_max_mm=float(dev.max()))
        _dump_atomic(self.index, osp.join(self.dir, 'index.json'))
        return path

    def finish_all(self) -> List[str]:
        return [p for p in (self.finish(t) for t in list(self.tracks)) if p]
