"""Inputs of :class:`mmmar.apis.MARInferencer`: what a path is, which images a folder / list /
video gives, and reading one image with an error that names it.

Every unusable input raises :class:`MARInputError` (``path`` names it, ``reason`` says why);
the inferencer raises it for a single input and records it in ``failed`` inside a folder or
a list.
"""
import logging
import mimetypes
import os
import os.path as osp
from typing import Dict, Iterable, List, Optional, Tuple, Union

import cv2
import mmcv
import mmengine
import numpy as np
from mmengine.fileio import join_path
from mmengine.logging import print_log

from mmmar.datasets.transforms.image_io import ImageDecodeError, decode_image_bytes

__all__ = [
    'MARInputError', 'media_kind', 'inputs_to_list', 'open_video', 'read_input',
    'read_image_file', 'as_bgr_uint8', 'report_failed_inputs'
]

InputType = Union[str, np.ndarray]

IMAGE_EXTS = {
    '.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.ppm', '.pgm', '.jp2'
}
VIDEO_EXTS = {'.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg', '.m4v', '.wmv', '.flv'}


class MARInputError(ValueError):
    """An input image / video cannot be used; ``path`` names it."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f'{path}: {reason}')


def media_kind(path: str) -> str:
    """``'image'``, ``'video'`` (by extension), else the MIME type's kind or ``'unknown'``."""
    ext = osp.splitext(path)[1].lower()
    if ext in IMAGE_EXTS:
        return 'image'
    if ext in VIDEO_EXTS:
        return 'video'
    mime = mimetypes.guess_type(path)[0]
    return mime.split('/')[0] if mime else 'unknown'


def folder_images(folder: str) -> List[str]:
    """The image files of ``folder`` (sorted by name); other files are logged as skipped."""
    files, skipped = [], []
    for name in sorted(os.listdir(folder)):
        path = join_path(folder, name)
        if not osp.isfile(path):
            continue
        (files if media_kind(path) == 'image' else skipped).append(path)
    if skipped:
        print_log(
            f'{folder}: skipped {len(skipped)} non-image file(s): ' +
            ', '.join(osp.basename(p) for p in skipped[:10]),
            logger='current',
            level=logging.INFO)
    if not files:
        print_log(f'{folder}: no image files in this folder', logger='current',
                  level=logging.WARNING)
    return files


def open_video(path: str) -> Tuple[mmcv.VideoReader, dict]:
    """``(reader, video_info)`` of a video file (``video_info`` as mmpose's inferencers keep
    it: ``fps``, ``name``, ``path``, ``writer=None``, ``width``, ``height``,
    ``predictions=[]``); raises :class:`MARInputError` when no frame can be read."""
    cap = cv2.VideoCapture(path)
    ok = cap.isOpened()
    ok = ok and cap.read()[0]
    cap.release()
    if not ok:
        raise MARInputError(path, 'cannot open this video (no readable frames)')
    try:
        video = mmcv.VideoReader(path)
    except Exception as e:  # noqa: BLE001
        raise MARInputError(path, f'cannot open this video: {e}') from e
    info = dict(fps=video.fps, name=osp.basename(path), path=path, writer=None,
                width=video.width, height=video.height, predictions=[])
    return video, info


def inputs_to_list(inputs) -> Tuple[Iterable, bool, Optional[dict]]:
    """The images / video frames to process.

    Args:
        inputs: An image path, a folder (its images), a video path, an array, or a list /
            tuple of image paths and arrays.

    Returns:
        tuple: ``(items, is_collection, video_info)``: ``items`` a list or a video reader;
        ``is_collection`` True for a folder or a list (a bad item is then skipped);
        ``video_info`` (see :func:`open_video`) for a video, else None.

    Raises:
        MARInputError: A missing path or a video that cannot be opened.
        TypeError: Another type of input.
    """
    if isinstance(inputs, str):
        if osp.isdir(inputs):
            return folder_images(inputs), True, None
        if not osp.exists(inputs):
            raise MARInputError(inputs, 'no such file or folder')
        if media_kind(inputs) == 'video':
            video, info = open_video(inputs)
            return video, False, info
        return [inputs], False, None
    if isinstance(inputs, np.ndarray):
        return [inputs], False, None
    if isinstance(inputs, (list, tuple)):
        return list(inputs), True, None
    raise TypeError('inputs must be an image path, a folder, a video path, an array '
                    f'or a list of those, got {type(inputs)}')


def _decode_reason(e: ImageDecodeError) -> str:
    """The inferencer's wording of a decoding failure."""
    if e.kind == 'decoder':
        cause = e.__cause__
        return f'cannot decode this file as an image ({type(cause).__name__}: {cause})'
    if e.kind == 'undecodable':
        return 'cannot decode this file as an image (not an image, or corrupt)'
    return str(e)


def read_image_file(path: str) -> np.ndarray:
    """Decode the image file ``path`` (BGR uint8; checks of
    :func:`mmmar.datasets.transforms.image_io.decode_image_bytes`); raises
    :class:`MARInputError` for a missing, empty, video, unreadable or corrupt file."""
    if not osp.isfile(path):
        raise MARInputError(path, 'no such file')
    if osp.getsize(path) == 0:
        raise MARInputError(path, 'empty file (0 bytes)')
    if media_kind(path) == 'video':
        raise MARInputError(path, 'is a video; give it on its own, not in a list')
    try:
        with open(path, 'rb') as f:
            buf = f.read()
    except OSError as e:
        raise MARInputError(path, f'cannot read this file: {e}') from e
    try:
        return decode_image_bytes(buf)
    except ImageDecodeError as e:
        raise MARInputError(path, _decode_reason(e)) from e


def as_bgr_uint8(img: np.ndarray, path: str) -> np.ndarray:
    """An (H, W), (H, W, 1|3|4) image as contiguous (H, W, 3) uint8 (grey repeated, alpha
    dropped, other dtypes clipped to [0, 255]); raises :class:`MARInputError` otherwise."""
    if img.ndim == 2:
        img = img[..., None]
    if img.ndim != 3 or img.shape[2] not in (1, 3, 4):
        raise MARInputError(path, f'not an H x W x 3 image: shape {img.shape}')
    if img.shape[0] == 0 or img.shape[1] == 0:
        raise MARInputError(path, f'zero-size image ({img.shape[1]}x{img.shape[0]})')
    if img.shape[2] == 1:
        img = np.repeat(img, 3, axis=2)
    elif img.shape[2] == 4:
        img = img[..., :3]
    if img.dtype != np.uint8:
        img = np.clip(img, 0, 255).astype(np.uint8)
    return np.ascontiguousarray(img)


def read_input(input: InputType, index: int) -> Tuple[np.ndarray, str]:
    """``(BGR uint8 image, image path or frame name)`` of one input: an image path or an
    array (named ``'<index>.jpg'`` left-padded with zeros to 10 characters); raises
    :class:`MARInputError`."""
    if isinstance(input, str):
        path = input
        img = read_image_file(path)
    elif isinstance(input, np.ndarray):
        path = f'{index}.jpg'.rjust(10, '0')
        img = input
    else:
        raise MARInputError(str(input), f'unsupported input type {type(input).__name__}')
    return as_bgr_uint8(img, path), path


def report_failed_inputs(failed: List[Dict[str, str]], pred_out_dir: str = '') -> None:
    """Log the inputs that could not be read (``dict(img_path, error)`` each) and, with a
    ``pred_out_dir``, write them to ``<pred_out_dir>/failed_inputs.json``."""
    if not failed:
        return
    print_log(f'{len(failed)} input(s) could not be read: ' +
              ', '.join(r['img_path'] for r in failed),
              logger='current', level=logging.WARNING)
    if pred_out_dir:
        mmengine.dump(failed, join_path(pred_out_dir, 'failed_inputs.json'), indent='  ')
