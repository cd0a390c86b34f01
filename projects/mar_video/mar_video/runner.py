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

__all__ = ['VideoRunner', 'inferencer_estimator', 'build_from_config', 'build_offline_smoother']

#: ``estimator(frame BGR, frame_idx) -> (people, intrinsics record dict(K, source))``.
Estimator = Callable[[np.ndarray, int], Tuple[List[dict], dict]]


def inferencer_estimator(inferencer, intrinsics=None) -> Estimator:
    """Wrap a :class:`mmmar.apis.MARInferencer` as an estimator of one frame."""

    def estimate(frame: np.ndarray, frame_idx: int):
        result = next(inferencer(frame, intrinsics=intrinsics))
        return result['predictions'][0], result['intrinsics'][0]

    return estimate


def build_from_config(cfg, fps: float):
    """Tracker, smoother and visualiser of a mar_video config (its ``tracker``,
    ``smoother`` and ``video_visualizer``) at the video's ``fps``, from mmpose's
    registries."""
    from mmpose.registry import TASK_UTILS, VISUALIZERS
    tracker = TASK_UTILS.build(dict(cfg.tracker, fps=fps))
    smoother = TASK_UTILS.build(dict(cfg.smoother, fps=fps)) \
        if cfg.get('smoother') else None
    vis_cfg = dict(cfg.get('video_visualizer', dict(type='MARVideoVisualizer')))
    vis_cfg['name'] = f'{vis_cfg.get("name", "mar_video")}-{id(tracker)}'
    return tracker, smoother, VISUALIZERS.build(vis_cfg)


def build_offline_smoother(cfg, fps: float):
    """The config's ``offline_smoother`` (a :class:`~mar_video.ZeroLagPoseSmoother`) at
    ``fps``, or None when the config has none."""
    from mmpose.registry import TASK_UTILS
    if not cfg.get('offline_smoother'):
        return None
    return TASK_UTILS.build(dict(cfg.offline_smoother, fps=fps))


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
        offline_smoother: A :class:`~mar_video.ZeroLagPoseSmoother` for the BVH files
            (whole tracks, no lag), or None: the BVH holds the online-smoothed joints.
        bvh_min_frames (int, optional): Tracks observed in fewer frames get no BVH file;
            None: half a second of frames (13 at 25 fps).
        bvh_options (dict, optional): ``units`` / ``floor`` of
            :class:`~mar_video.export.BVHTrackWriter`.
    """

    def __init__(self, estimator: Estimator, tracker, smoother, out_dir: str,
                 export: Sequence[str] = ('json', 'csv', 'bvh'),
                 visualizer=None, show: bool = False, view_bounds=None,
                 on_frame: Optional[Callable] = None, offline_smoother=None,
                 bvh_min_frames: Optional[int] = None, bvh_options: Optional[dict] = None):
        bad = set(export) - {'json', 'csv', 'bvh'}
        if bad:
            raise ValueError(f'unknown export format(s) {sorted(bad)}; choose from '
                             'json, csv, bvh')
        self.estimator, self.tracker, self.smoother = estimator, tracker, smoother
        self.out_dir, self.export = out_dir, tuple(export)
        self.visualizer, self.show, self.view_bounds = visualizer, show, view_bounds
        self.on_frame = on_frame
        self.offline_smoother, self.bvh_min_frames = offline_smoother, bvh_min_frames
        self.bvh_options = dict(bvh_options or {})

    def _process(self, frame: np.ndarray, idx: int, fps: float):
        people, intr = self.estimator(frame, idx)
        K = np.asarray(intr['K'], np.float64)
        assoc = self.tracker.update(people, idx)
        scale = getattr(self.tracker, 'last_depth_scale', 1.0)
        if scale != 1.0 and self.smoother is not None:
            self.smoother.rescale(scale)
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
        return record, K, assoc

    def _write_rows(self, out: dict, idx: int, record: dict, people: List[dict]) -> None:
        if out['csv']:
            out['csv'].write(idx, record['time_s'], people)
        if out['bvh']:
            for p in people:
                out['bvh'].add(p['track_id'], idx, p['keypoints_3d_smoothed'],
                               p['keypoints_3d'])

    def _write_frame(self, out: dict, idx: int, record: dict, assoc: List[dict]) -> None:
        """Per-frame JSON, CSV rows, BVH data; a track confirmed in this frame gets its
        earlier (tentative) frames first; ends the BVH of tracks that ended."""
        pending = out['pending']
        for p, a in zip(record['people'], assoc):
            if a['track_id'] < 0:
                pending.setdefault(a['uid'], []).append((idx, record, p))
            elif a.get('confirmed_now') and a['uid'] in pending:
                for f, rec, q in pending.pop(a['uid']):
                    q['track_id'] = int(a['track_id'])
                    if out['json']:
                        out['json'].write(f, rec)
                    self._write_rows(out, f, rec, [q])
        if out['json']:
            out['json'].write(idx, record)
        self._write_rows(out, idx, record,
                         [p for p in record['people'] if p['track_id'] >= 0])
        for uid in self.tracker.ended_uids():
            pending.pop(uid, None)
            if self.smoother is not None:
                self.smoother.drop(uid)
        if out['bvh']:
            live = {t.track_id for t in self.tracker.tracks}
            for tid in [t for t in out['bvh'].tracks if t not in live]:
                out['bvh'].finish(tid)

    def _draw(self, out: dict, frame: np.ndarray, tracked: List[dict],
              K: np.ndarray, fps: float, text: Optional[str]) -> bool:
        """Append the frame's picture to ``vis.mp4`` (and show it); False to stop."""
        img = self.visualizer.draw_frame(frame, tracked, K, self.view_bounds,
                                         text=text)[..., ::-1]
        if out['video'] is None:
            out['video'] = cv2.VideoWriter(
                osp.join(self.out_dir, 'vis.mp4'), cv2.VideoWriter_fourcc(*'mp4v'),
                fps, (img.shape[1], img.shape[0]))
        out['video'].write(np.ascontiguousarray(img))
        if self.show:
            cv2.imshow('mar_video', img)
            return cv2.waitKey(1) & 0xFF not in (27, ord('q'))
        return True

    def _close(self, out: dict, source: FrameSource, frames_done: int,
               seconds: float, error: Optional[BaseException]) -> Dict:
        """Release the writers, write the remaining BVH files and ``summary.json``."""
        if out['video'] is not None:
            out['video'].release()
        if out['csv']:
            out['csv'].close()
        written = out['bvh'].finish_all() if out['bvh'] else []
        summary = dict(
            source=source.spec, frames=frames_done, fps=source.fps, seconds=seconds,
            bad_frames=source.bad_frames,
            bvh_index=out['bvh'].index if out['bvh'] else {},
            bvh_skipped=out['bvh'].skipped if out['bvh'] else [],
            error=None if error is None else f'{type(error).__name__}: {error}')
        with open(osp.join(self.out_dir, 'summary.json'), 'w') as f:
            json.dump(summary, f, indent=1)
        source.close()
        if error is not None:
            print_log(f'stopped on an error after {frames_done} frames; the outputs '
                      f'so far are in {self.out_dir} ({len(written)} BVH files '
                      'written)', logger='current', level=logging.ERROR)
        return summary

    def run(self, source: FrameSource, max_frames: Optional[int] = None,
            progress: bool = True) -> Dict:
        """Process every frame; returns a summary (also ``summary.json``).

        Everything written for a frame is on disk before the next frame is read; if the
        run stops on an error, the BVH files of the tracks so far and the summary are still
        written, then the error is raised again. A progress bar is shown for files, the
        frame rate (printed and drawn on the overlay) for a webcam.
        """
        os.makedirs(self.out_dir, exist_ok=True)
        fps = source.fps
        out = dict(
            json=FrameJSONWriter(self.out_dir) if 'json' in self.export else None,
            csv=TrackCSVWriter(self.out_dir) if 'csv' in self.export else None,
            bvh=BVHTrackWriter(self.out_dir, fps, self.bvh_min_frames or
                               max(int(np.ceil(0.5 * fps)), 1), self.offline_smoother,
                               **self.bvh_options)
            if 'bvh' in self.export else None,
            video=None, pending={})
        bar = None
        if progress and source.kind != 'webcam':
            from mmengine.utils import ProgressBar
            bar = ProgressBar(max_frames or source.num_frames or 0)
        t_start = t_last = time.time()
        frames_done, n_last, live_fps, error = 0, 0, None, None
        try:
            for idx, frame in source:
                if max_frames is not None and frames_done >= max_frames:
                    break
                record, K, assoc = self._process(frame, idx, fps)
                self._write_frame(out, idx, record, assoc)
                tracked = [p for p in record['people'] if p['track_id'] >= 0]
                frames_done += 1
                if self.on_frame is not None:
                    self.on_frame(idx, frame, record)
                if source.kind == 'webcam' and time.time() - t_last >= 1.0:
                    live_fps = (frames_done - n_last) / (time.time() - t_last)
                    t_last, n_last = time.time(), frames_done
                    print(f'\rwebcam: {live_fps:.1f} FPS, frame {idx}', end='',
                          flush=True)
                if self.visualizer is not None and not self._draw(
                        out, frame, tracked, K, fps,
                        f'{live_fps:.1f} FPS' if live_fps else None):
                    break
                if bar is not None:
                    bar.update()
        except BaseException as e:  # noqa: B902  (write what we have, then re-raise)
            error = e
            raise
        finally:
            if bar is not None:
                print()
            summary = self._close(out, source, frames_done, time.time() - t_start,
                                  error)
        return summary
