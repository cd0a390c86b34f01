"""Robust image loading for the MAR datasets.

Policy for unreadable images (documented, tested):

* a **missing** file always raises ``FileNotFoundError`` naming the path (a wrong
  ``data_prefix`` must not silently turn into re-sampling);
* a **corrupt** file -- undecodable bytes, a JPEG without its end-of-image marker (cv2 would
  return a partly grey image with only a warning, i.e. a silently wrong sample; the checks of
  :func:`~mmmar.datasets.transforms.image_io.decode_image_bytes`), or a decoded
  size that differs from the annotated ``width``/``height`` -- is, with ``on_corrupt='skip'``
  (default), logged with its path and counted in ``MARLoadImage.num_skipped`` (per process) and
  the transform returns ``None``: mmengine's ``BaseDataset`` then re-samples another index
  (training; up to ``max_refetch`` times). In ``test_mode`` mmengine refuses ``None``, so test
  pipelines should use ``on_corrupt='raise'``, which raises ``ValueError`` naming the path and
  the reason.
"""
import os.path as osp
from typing import Optional

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmengine import fileio
from mmengine.logging import print_log
from mmpose.registry import TRANSFORMS

from .image_io import ImageDecodeError, decode_image_bytes


def segs_to_mask(segs, h: int, w: int) -> np.ndarray:
    """Rasterise COCO segmentations (polygon lists or RLE dicts) into an (h, w) bool mask."""
    mask = np.zeros((h, w), np.uint8)
    for seg in segs or []:
        if isinstance(seg, (list, tuple)):
            for poly in seg:
                pts = np.asarray(poly, np.float64).reshape(-1, 2)
                if len(pts) >= 3:
                    cv2.fillPoly(mask, [np.round(pts).astype(np.int32)], 1)
        elif isinstance(seg, dict) and 'counts' in seg:
            try:
                from xtcocotools import mask as cocomask
            except ImportError:  # pragma: no cover
                from pycocotools import mask as cocomask
            rle = seg
            if isinstance(seg['counts'], list):
                rle = cocomask.frPyObjects(seg, *seg.get('size', (h, w)))
            m = cocomask.decode(rle)
            if m.shape[:2] == (h, w):
                mask |= (m.reshape(h, w) > 0).astype(np.uint8)
    return mask.astype(bool)


@TRANSFORMS.register_module()
class MARLoadImage(BaseTransform):
    """Load ``img`` from ``img_path`` (or use a given ``img`` array) robustly.

    Required Keys:

        - img_path (unless ``img`` is given)
        - ann_img_shape (optional, (h, w) from the annotation, checked)
        - invalid_segs (optional, for ``with_ignore_mask``)

    Modified Keys:

        - img (H x W x 3 uint8 BGR, float32 with ``to_float32``)

    Added Keys:

        - img_shape, ori_shape
        - ignore_mask (H, W) bool (with ``with_ignore_mask=True``)

    Args:
        on_corrupt (str): 'skip' (log, count, return None) or 'raise'. See module docstring.
        check_jpeg_eoi (bool): treat a JPEG without end-of-image marker as corrupt.
        check_shape (bool): treat a decoded size different from ``ann_img_shape`` as corrupt.
        with_ignore_mask (bool): rasterise ``invalid_segs`` into ``ignore_mask``.
        to_float32 (bool): convert the image to float32.
        imdecode_backend (str): backend of ``mmcv.imfrombytes``.
        backend_args (dict, optional): mmengine file backend args.
    """

    #: number of images skipped as corrupt in this process
    num_skipped = 0

    def __init__(self,
                 on_corrupt: str = 'skip',
                 check_jpeg_eoi: bool = True,
                 check_shape: bool = True,
                 with_ignore_mask: bool = False,
                 to_float32: bool = False,
                 imdecode_backend: str = 'cv2',
                 backend_args: Optional[dict] = None):
        if on_corrupt not in ('skip', 'raise'):
            raise ValueError(f'on_corrupt must be "skip" or "raise", got {on_corrupt!r}')
        self.on_corrupt = on_corrupt
        self.check_jpeg_eoi = check_jpeg_eoi
        self.check_shape = check_shape
        self.with_ignore_mask = with_ignore_mask
        self.to_float32 = to_float32
        self.imdecode_backend = imdecode_backend
        self.backend_args = backend_args

    def _read(self, path: str):
        """Return (img or None, reason)."""
        if self.backend_args is None and not osp.isfile(path):
            raise FileNotFoundError(f'MARLoadImage: image file not found: {path}')
        try:
            buf = fileio.get(path, backend_args=self.backend_args)
        except FileNotFoundError:
            raise FileNotFoundError(f'MARLoadImage: image file not found: {path}')
        try:
            return decode_image_bytes(buf, self.check_jpeg_eoi, self.imdecode_backend), ''
        except ImageDecodeError as e:
            return None, str(e)

    def transform(self, results: dict) -> Optional[dict]:
        if isinstance(results.get('img'), np.ndarray):
            img = results['img']
        else:
            path = results['img_path']
            img, reason = self._read(path)
            if img is None or reason:
                return self._corrupt(path, reason, results)
            ann_shape = results.get('ann_img_shape')
            if self.check_shape and ann_shape is not None and \
                    tuple(img.shape[:2]) != tuple(int(v) for v in ann_shape):
                return self._corrupt(
                    path, f'decoded size (h, w)={tuple(img.shape[:2])} differs from the '
                    f'annotated {tuple(ann_shape)}', results)
        if self.to_float32:
            img = img.astype(np.float32)
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        if self.with_ignore_mask:
            h, w = img.shape[:2]
            results['ignore_mask'] = segs_to_mask(results.get('invalid_segs'), h, w)
        return results

    def _corrupt(self, path, reason, results):
        msg = f'MARLoadImage: cannot use image {path} (img_id={results.get("img_id")}): {reason}'
        if self.on_corrupt == 'raise':
            raise ValueError(msg)
        MARLoadImage.num_skipped += 1
        print_log(f'{msg}; skipped ({MARLoadImage.num_skipped} skipped so far in this '
                  'process), the dataset re-samples another index', logger='current',
                  level=30)
        return None

    def __repr__(self):
        return (f'{self.__class__.__name__}(on_corrupt={self.on_corrupt!r}, '
                f'with_ignore_mask={self.with_ignore_mask})')
