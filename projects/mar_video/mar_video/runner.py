"""The video loop: estimate -> track -> smooth -> write (JSON, CSV, BVH, video) per frame."""
import json
import logging
import os
import os.path as osp
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

from mmmar.geometry import project_np
from mmmar.structures.skeleton import ROOT

from .export import BVHTrackWriter, FrameJSONWriter, TrackCSVWriter
from .video_io import FrameSource

__all__ = ['VideoRunner', 'inferencer_estimator']

#: ``estimator(frame BGR, frame_idx) -> (people, intrinsics record dict(K, source))``.
Estimator = Callable[[np.ndarray, int], Tuple[List[dict], dict]]


def inferencer_estimator(inferencer, intrinsics=None) -> Estimator:
    """Wrap a :class:`mmmar.apis.MARInferencer` as an estimator of one frame."""

    def estimate(frame: np.ndarray, frame_idx: int):
        result = next(inferencer(frame, intrinsics=intrinsics))
        return result['predictions'][0], result['intrinsics'][0]

    return estimate


def _jsonable(p: dict) -> dict:
    return {k: (np.asarray(v).tolist() if isinstance(v, np.ndarray) else v)
            for k, v in p.items() if k != 'label'}


class VideoRunner:
    """Run an estimator over a :class:`FrameSource` with tracking and smoothing.

    Args:
        estimator (callable): See :data:`Estimator`.
        tracker: A :class:`~mar_video.PoseTracker3D` (or anything with ``update``,
            ``ended_uids``, ``track_of_uid``).
        smoother: A :class:`~mar_video.OneEuroPoseSmoother`, or None (no smoothing).
        out_dir (str): Output folder.
        export (sequence[str]): Any of ``'json'``, ``'csv'``, ``'bvh'``.
        visualizer: A :class:`~mar_video.MARVideoVisualizer` to write ``vis.mp4`` (and show
            with ``show=True``), or None.
        show (bool): Show the visualisation in a window.
        view_bounds (tuple, optional): Fixed 3D view volume for the visualiser.
        on_frame (callable, optional): Called as ``on_frame(frame_idx, frame, record)``
            after each frame is written (``record`` as in the frame's JSON).
    """

    def __init__(self, estimator: Estimator, tracker, smoother, out_dir: str,
                 export: Sequence[str] = ('json', 'csv', 'bvh'),
                 visualizer=None, show: bool = False, view_bounds=None,
                 on_frame: Optional[Callable] = None):
        bad = set(export) - {'json', 'csv', 'bvh'}
        if bad:
            raise ValueError(f'unknown export format(s) {sorted(bad)}; choose from '
                             'json, csv, bvh')
        self.estimator, self.tracker, self.smoother = estimator, tracker, smoother
        self.out_dir, self.export = out_dir, tuple(export)
        self.visualizer, self.show, self.view_bounds = visualizer, show, view_bounds
        self.on_frame = on_frame

    def _process(self, frame: np.ndarray, idx: int, fps: float):
        people, intr = self.estimator(frame, idx)
        K = np.asarray(intr['K'], np.float64)
        assoc = self.tracker.update(people, idx)
        out = []
        for p, a in zip(people, assoc):
            k3d = np.asarray(p['keypoints_3d'], np.float64)
            sm = k3d if self.smoother is None else self.smoother.smooth(
                a['uid'], k3d, idx)
            q = dict(_jsonable(p), track_id=int(a['track_id']),
                     keypoints_3d_smoothed=sm.tolist(),
                     keypoints_smoothed=project_np(sm, K).tolist(),
                     root_depth_smoothed=float(sm[ROOT, 2]))
            q.setdefault('keypoint_scores', [1.0] * len(k3d))
            out.append(q)
        record = dict(frame=idx, time_s=idx / fps, intrinsics=intr, people=out)
        return record, K

    def run(self, source: FrameSource, max_frames: Optional[int] = None,
            progress: bool = True) -> Dict:
        """Process every frame; returns a summary (also ``summary.json``).

        Everything written for a frame is on disk before the next frame is read; if the
        run stops on an error, the BVH files of the tracks so far and the summary are still
        written, then the error is raised again.
        """
        os.makedirs(self.out_dir, exist_ok=True)
        fps = source.fps
        json_w = FrameJSONWriter(self.out_dir) if 'json' in self.export else None
        csv_w = TrackCSVWriter(self.out_dir) if 'csv' in self.export else None
        bvh_w = BVHTrackWriter(self.out_dir, fps) if 'bvh' in self.export else None
        writer, frames_done, error = None, 0, None
        bar = None
        if progress and source.kind != 'webcam':
            from mmengine.utils import ProgressBar
            bar = ProgressBar(max_frames or source.num_frames or 0)
        t_start, t_last, n_last = time.time(), time.time(), 0
        live_fps = None
        try:
            for idx, frame in source:
                if max_frames is not None and frames_done >= max_frames:
                    break
                record, K = self._process(frame, idx, fps)
                tracked = [p for p in record['people'] if p['track_id'] >= 0]
                if json_w:
                    json_w.write(idx, record)
                if csv_w:
                    csv_w.write(idx, record['time_s'], tracked)
                for p in tracked:
                    if bvh_w:
                        bvh_w.add(p['track_id'], idx, p['keypoints_3d_smoothed'])
                for uid in self.tracker.ended_uids():
                    if self.smoother is not None:
                        self.smoother.drop(uid)
                if bvh_w:
                    live = {t.track_id for t in self.tracker.tracks}
                    for tid in [t for t in bvh_w.tracks if t not in live]:
                        bvh_w.finish(tid)
                frames_done += 1
                if self.on_frame is not None:
                    self.on_frame(idx, frame, record)
                if source.kind == 'webcam' and time.time() - t_last >= 1.0:
                    live_fps = (frames_done - n_last) / (time.time() - t_last)
                    t_last, n_last = time.time(), frames_done
                    print(f'\rwebcam: {live_fps:.1f} FPS, frame {idx}',
                          end='', flush=True)
                if self.visualizer is not None:
                    text = f'{live_fps:.1f} FPS' if live_fps else None
                    img = self.visualizer.draw_frame(
                        frame, tracked, K, self.view_bounds, text=text)[..., ::-1]
                    if writer is None:
                        writer = cv2.VideoWriter(
                            osp.join(self.out_dir, 'vis.mp4'),
                            cv2.VideoWriter_fourcc(*'mp4v'), fps,
                            (img.shape[1], img.shape[0]))
                    writer.write(np.ascontiguousarray(img))
                    if self.show:
                        cv2.imshow('mar_video', img)
                        if cv2.waitKey(1) & 0xFF in (27, ord('q')):
                            break
                if bar is not None:
                    bar.update()
        except BaseException as e:  # noqa: B902  (write what we have, then re-raise)
            error = e
            raise
        finally:
            if bar is not None:
                print()
            if writer is not None:
                writer.release()
            if csv_w:
                csv_w.close()
            written = bvh_w.finish_all() if bvh_w else []
            summary = dict(
                source=source.spec, frames=frames_done, fps=fps,
                seconds=time.time() - t_start, bad_frames=source.bad_frames,
                bvh_index=bvh_w.index if bvh_w else {},
                error=None if error is None else f'{type(error).__name__}: {error}')
            with open(osp.join(self.out_dir, 'summary.json'), 'w') as f:
                json.dump(summary, f, indent=1)
            source.close()
            if error is not None:
                print_log(f'stopped on an error after {frames_done} frames; the '
                          f'outputs so far are in {self.out_dir} ({len(written)} '
                          'BVH files written)', logger='current',
                          level=logging.ERROR)
        return summary
