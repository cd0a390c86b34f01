"""Frames from a video file, a folder of images or a webcam, with clear errors.

* a path that does not exist, or a file no frame of which can be decoded, raises
  :class:`VideoSourceError` naming the file;
* ``webcam:N`` (or ``webcam``, device 0) that cannot be opened raises
  :class:`VideoSourceError` naming the device;
* a bad frame in the middle of a file (it cannot be decoded, or the decoder skips it) is
  reported with a warning naming its index and recorded in :attr:`FrameSource.bad_frames`;
  reading goes on with the next frame. After ``max_bad_frames`` bad frames in a row the
  stream is taken as ended (with a warning).
"""
import logging
import os
import os.path as osp
from typing import Iterator, List, Optional, Tuple

import cv2
import numpy as np
from mmengine.logging import print_log

__all__ = ['VideoSourceError', 'FrameSource', 'IMAGE_EXTS']

IMAGE_EXTS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')


class VideoSourceError(RuntimeError):
    """A video source cannot be used; ``source`` names the file or device."""

    def __init__(self, source: str, reason: str):
        self.source, self.reason = source, reason
        super().__init__(f'{source}: {reason}')


def _warn(msg: str) -> None:
    print_log(msg, logger='current', level=logging.WARNING)


class FrameSource:
    """Iterate ``(frame_idx, BGR uint8 frame)`` over a video, a folder or a webcam.

    Args:
        spec (str): A video file, a folder of images (frames in name order) or
            ``webcam:N``.
        max_bad_frames (int): Consecutive bad frames after which the stream ends.
        fps (float, optional): Frame rate of a folder or of a source that reports none.
            Defaults to 25.

    Attributes:
        kind (str): ``'video'``, ``'folder'`` or ``'webcam'``.
        fps (float): Frames per second.
        num_frames (int | None): Frame count when known (files and folders).
        bad_frames (list[dict]): ``dict(frame=index, reason=...)`` of skipped frames.
    """

    def __init__(self, spec: str, max_bad_frames: int = 25,
                 fps: Optional[float] = None):
        self.spec = str(spec)
        self.max_bad_frames = int(max_bad_frames)
        self.bad_frames: List[dict] = []
        self.cap = None
        self.files: List[str] = []
        self.num_frames: Optional[int] = None
        self._first: Optional[np.ndarray] = None
        if self.spec.startswith('webcam'):
            self._open_webcam()
        elif osp.isdir(self.spec):
            self.kind = 'folder'
            self.files = sorted(
                osp.join(self.spec, n) for n in os.listdir(self.spec)
                if osp.splitext(n)[1].lower() in IMAGE_EXTS)
            if not self.files:
                raise VideoSourceError(self.spec, 'no image files in this folder')
            self.num_frames = len(self.files)
        else:
            self._open_file()
        reported = self.cap.get(cv2.CAP_PROP_FPS) if self.cap is not None else 0
        self.fps = float(fps or (reported if reported and reported > 0 and
                                 reported < 1000 else 25.0))

    # ------------------------------------------------------------------
    def _open_webcam(self) -> None:
        self.kind = 'webcam'
        rest = self.spec[len('webcam'):].lstrip(':')
        try:
            index = int(rest) if rest else 0
        except ValueError:
            raise VideoSourceError(
                self.spec, 'a webcam is given as webcam:N with N the device '
                'index (e.g. webcam:0)') from None
        self.device = index
        self.cap = cv2.VideoCapture(index)
        if not self.cap.isOpened():
            self.cap.release()
            raise VideoSourceError(
                self.spec, f'cannot open camera device {index} (is a camera '
                f'connected, e.g. /dev/video{index}, and not used by another '
                'program?)')

    def _open_file(self) -> None:
        self.kind = 'video'
        if not osp.exists(self.spec):
            raise VideoSourceError(self.spec, 'no such file or folder')
        if not osp.isfile(self.spec) or not os.access(self.spec, os.R_OK):
            raise VideoSourceError(self.spec, 'cannot read this file')
        self.cap = cv2.VideoCapture(self.spec)
        ok, frame = (False, None)
        if self.cap.isOpened():
            ok, frame = self.cap.read()
        if not ok or frame is None:
            self.cap.release()
            raise VideoSourceError(
                self.spec, 'cannot read this file as a video (no decodable '
                'frame; not a video, or corrupt)')
        self._first = frame
        count = int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.num_frames = count if count > 0 else None

    # ------------------------------------------------------------------
    def _bad(self, idx: int, reason: str) -> None:
        self.bad_frames.append(dict(frame=int(idx), reason=reason))
        _warn(f'{self.spec}: skipping frame {idx}: {reason}')

    def _iter_folder(self) -> Iterator[Tuple[int, np.ndarray]]:
        shape = None
        for idx, path in enumerate(self.files):
            frame = cv2.imread(path, cv2.IMREAD_COLOR)
            if frame is None:
                self._bad(idx, f'cannot decode {osp.basename(path)}')
                continue
            if shape is not None and frame.shape != shape:
                self._bad(idx, f'{osp.basename(path)} has size {frame.shape[1]}x'
                          f'{frame.shape[0]}, the others {shape[1]}x{shape[0]}')
                continue
            shape = frame.shape
            yield idx, frame

    def _iter_capture(self) -> Iterator[Tuple[int, np.ndarray]]:
        idx, failures, shape = 0, 0, None
        if self._first is not None:
            shape = self._first.shape
            yield 0, self._first
            self._first, idx = None, 1
        live = self.kind == 'webcam'
        while True:
            ok, frame = self.cap.read()
            if not ok or frame is None:
                if not live and (self.num_frames is None or idx >= self.num_frames):
                    return  # the end of the file
                failures += 1
                self._bad(idx, 'cannot be read or decoded')
                if failures >= self.max_bad_frames:
                    _warn(f'{self.spec}: {failures} bad frames in a row, '
                          'stopping here')
                    return
                idx += 1
                continue
            if not live:  # frames the decoder dropped silently
                pos = int(self.cap.get(cv2.CAP_PROP_POS_FRAMES)) - 1
                while idx < pos:
                    self._bad(idx, 'dropped by the decoder (corrupt data)')
                    idx += 1
            if shape is not None and frame.shape != shape:
                self._bad(idx, f'size {frame.shape[1]}x{frame.shape[0]} differs '
                          f'from {shape[1]}x{shape[0]}')
                idx += 1
                continue
            failures, shape = 0, frame.shape
            yield idx, frame
            idx += 1

    def __iter__(self) -> Iterator[Tuple[int, np.ndarray]]:
        if self.kind == 'folder':
            return self._iter_folder()
        return self._iter_capture()

    def close(self) -> None:
        if self.cap is not None:
            self.cap.release()
            self.cap = None
