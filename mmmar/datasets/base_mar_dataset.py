"""Common base of the MAR datasets: bottom-up samples (one per image, all its people).

Every data info produced by a subclass has (N people, 17 joints):

========================  ====================  ===========================================
key                       shape / type          meaning
========================  ====================  ===========================================
``img_id``                int
``img_path``              str
``ann_img_shape``         (h, w)                image size from the annotation file
``bbox``                  (N, 4) float32        xyxy pixels
``bbox_score``            (N,) float32          ones
``keypoints``             (N, 17, 2) float32    pixels, all joints incl. occluded
``keypoints_visible``     (N, 17) float32       annotated, inside the image, not occluded
``keypoints_valid``       (N, 17) float32       2D position known
``keypoints_cam``         (N, 17, 3) float32    camera space, mm (zeros if unknown)
``has_depth``             (N,) float32          1 = 3D known
``cam_param``             dict                  ``K`` (3, 3) float32, ``f`` (fx, fy), ``c``
``id``                    list[int]             annotation ids
``category_id``           (N,) int64            ones
``iscrowd``               (N,) int64            zeros
``num_keypoints``         (N,) int64            visible joints per person
``area``                  (N,) float32          bbox area
``invalid_segs``          list                  ignored regions (COCO crowd) for the mask
``data_source``           str                   'muco3dhp', 'mupots3d', 'coco', 'h36m', ...
``seq_name``/``frame_idx``                      (MuPoTS / H36M / synthetic)
========================  ====================  ===========================================

An image with nobody in it has N = 0 arrays with the same trailing shapes. It is kept for
``test_mode`` and for training unless ``filter_cfg=dict(filter_empty_gt=True)`` (optionally
``min_visible_keypoints``, default 1: a person needs that many visible joints to count); the
number of filtered images is logged and kept in ``self.num_filtered_empty``.
"""
import os.path as osp
from collections import defaultdict
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
from mmengine.fileio import load
from mmengine.logging import print_log
from mmpose.datasets.datasets.base import BaseCocoStyleDataset

from mmmar.structures.skeleton import NUM_JOINTS
from .metainfo import MUPOTS3D_METAINFO_FILE


def pack_instances(bbox: np.ndarray,
                   keypoints: np.ndarray,
                   keypoints_visible: np.ndarray,
                   keypoints_valid: np.ndarray,
                   keypoints_cam: Optional[np.ndarray],
                   has_depth: bool,
                   ids: list) -> dict:
    """The instance arrays of an image's N people (see the module docstring).

    Args:
        bbox (np.ndarray): (N, 4) float32 xyxy pixels.
        keypoints (np.ndarray): (N, 17, 2) float32 pixels.
        keypoints_visible (np.ndarray): (N, 17) float32.
        keypoints_valid (np.ndarray): (N, 17) float32.
        keypoints_cam (np.ndarray, optional): (N, 17, 3) float32 mm; ``None``: unknown (zeros).
        has_depth (bool): whether the people's 3D is known.
        ids (list): annotation ids.

    Returns:
        dict: ``bbox``, ``bbox_score`` (ones), ``keypoints``, ``keypoints_visible``,
        ``keypoints_valid``, ``keypoints_cam``, ``has_depth``, ``id``, ``category_id`` (ones),
        ``iscrowd`` (zeros), ``num_keypoints`` (visible joints), ``area`` (of the bbox).
    """
    n = len(bbox)
    if keypoints_cam is None:
        keypoints_cam = np.zeros((n, NUM_JOINTS, 3), np.float32)
    return dict(
        bbox=bbox,
        bbox_score=np.ones(n, np.float32),
        keypoints=keypoints,
        keypoints_visible=keypoints_visible,
        keypoints_valid=keypoints_valid,
        keypoints_cam=keypoints_cam,
        has_depth=np.full(n, float(has_depth), np.float32),
        id=ids,
        category_id=np.ones(n, np.int64),
        iscrowd=np.zeros(n, np.int64),
        num_keypoints=keypoints_visible.sum(1).astype(np.int64),
        area=((bbox[:, 2] - bbox[:, 0]) * (bbox[:, 3] - bbox[:, 1])).astype(np.float32),
    )


def empty_instances() -> dict:
    """Instance arrays for an image with nobody (N = 0, right trailing shapes)."""
    no_joints = np.zeros((0, NUM_JOINTS), np.float32)
    return pack_instances(np.zeros((0, 4), np.float32), np.zeros((0, NUM_JOINTS, 2), np.float32),
                          no_joints, no_joints.copy(), None, False, [])


def inside_image(kpts: np.ndarray, w: int, h: int) -> np.ndarray:
    """(N, K) float32 1 where a (N, K, 2) pixel position lies inside a w x h image."""
    x, y = kpts[..., 0], kpts[..., 1]
    return ((x >= 0) & (x <= w - 1) & (y >= 0) & (y <= h - 1)).astype(np.float32)


class MARBaseDataset(BaseCocoStyleDataset):
    """Base class (bottom-up only) of the MAR datasets; see the module docstring.

    Args are those of mmpose's ``BaseCocoStyleDataset`` (``data_mode`` must be
    ``'bottomup'``; ``bbox_file`` is not supported) plus:

        check_image_exists (bool): check at load time that every image file exists and raise
            ``FileNotFoundError`` naming it (one stat per image; off by default, the loading
            transform :class:`MARLoadImage` raises the same error when it meets the file).
    """

    METAINFO: dict = dict(from_file=MUPOTS3D_METAINFO_FILE)
    #: tag written into every data info as ``data_source``
    DATA_SOURCE = 'mar'

    def __init__(self,
                 ann_file: str = '',
                 data_mode: str = 'bottomup',
                 metainfo: Optional[dict] = None,
                 data_root: Optional[str] = None,
                 data_prefix: dict = dict(img=''),
                 filter_cfg: Optional[dict] = None,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 serialize_data: bool = True,
                 pipeline: List[Union[dict, Callable]] = [],
                 test_mode: bool = False,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 check_image_exists: bool = False):
        if data_mode != 'bottomup':
            raise ValueError(f'{self.__class__.__name__} only supports data_mode="bottomup", '
                             f'got {data_mode!r}')
        self.check_image_exists = check_image_exists
        self.num_filtered_empty = 0
        super().__init__(
            ann_file=ann_file,
            data_mode='bottomup',
            metainfo=metainfo,
            data_root=data_root,
            data_prefix=data_prefix,
            filter_cfg=filter_cfg,
            indices=indices,
            serialize_data=serialize_data,
            pipeline=pipeline,
            test_mode=test_mode,
            lazy_init=lazy_init,
            max_refetch=max_refetch)
        # the metrics read it from ``dataset_meta`` (e.g. published MuPoTS-3D rows are
        # printed beside MuPoTS-3D results only)
        self._metainfo.setdefault('data_source', self.DATA_SOURCE)

    # subclasses implement this: list of bottom-up data infos (see module docstring)
    def _load_bottomup(self) -> List[dict]:
        raise NotImplementedError

    def load_data_list(self) -> List[dict]:
        if not self.ann_file or not osp.isfile(self.ann_file):
            raise FileNotFoundError(
                f'{self.__class__.__name__}: annotation file not found: {self.ann_file!r}')
        data_list = self._load_bottomup()
        for d in data_list:
            d.setdefault('data_source', self.DATA_SOURCE)
            d.setdefault('invalid_segs', [])
            if self.check_image_exists and not osp.isfile(d['img_path']):
                raise FileNotFoundError(
                    f'{self.__class__.__name__}: image file not found: {d["img_path"]} '
                    f'(img_id={d["img_id"]}, annotation file {self.ann_file})')
        return data_list

    def _serialize_data(self):
        # mmengine cannot serialise an empty list (np.concatenate of nothing)
        if len(self.data_list) == 0:
            print_log(f'{self.__class__.__name__}: no sample left in {self.ann_file}',
                      logger='current', level=30)
            return np.zeros(0, np.uint8), np.zeros(0, np.int64)
        return super()._serialize_data()

    def filter_data(self) -> List[dict]:
        cfg = self.filter_cfg or {}
        if not cfg.get('filter_empty_gt', False):
            return self.data_list
        min_vis = int(cfg.get('min_visible_keypoints', 1))
        kept = []
        for d in self.data_list:
            vis = d['keypoints_visible']
            if len(vis) and (vis.sum(axis=1) >= min_vis).any():
                kept.append(d)
        self.num_filtered_empty = len(self.data_list) - len(kept)
        if self.num_filtered_empty:
            print_log(
                f'{self.__class__.__name__}: filtered {self.num_filtered_empty} of '
                f'{len(self.data_list)} images without a person having >= {min_vis} '
                f'visible joints ({self.ann_file})',
                logger='current')
        return kept

    def _load_coco_style(self, keep: Optional[Callable[[dict], bool]] = None
                         ) -> Tuple[List[dict], Dict[object, List[dict]]]:
        """Read a COCO-style JSON annotation file (``images`` and ``annotations``).

        Args:
            keep (callable, optional): only the annotations it accepts are grouped.

        Returns:
            tuple: the ``images`` list and the annotations grouped by ``image_id``
            (a ``defaultdict(list)``).
        """
        data = load(self.ann_file)
        for key in ('images', 'annotations'):
            if not isinstance(data, dict) or key not in data:
                raise self._field_error('top level', key)
        anns_by_img = defaultdict(list)
        for i, ann in enumerate(data['annotations']):
            if keep is not None and not keep(ann):
                continue
            if 'image_id' not in ann:
                raise self._field_error(f'annotation #{i} (id={ann.get("id")})', 'image_id')
            anns_by_img[ann['image_id']].append(ann)
        return data['images'], anns_by_img

    def _check_image(self, img: dict, index: int) -> str:
        """Raise if the ``index``-th image entry lacks a field every image needs; returns
        the entry's name for further error messages."""
        what = f'image #{index} (id={img.get("id")})'
        for key in ('id', 'file_name', 'width', 'height'):
            if key not in img:
                raise self._field_error(what, key)
        return what

    def _image_info(self, img: dict, w: int, h: int, cam_param: dict) -> dict:
        """The per-image keys of a data info from a checked image entry."""
        return dict(
            img_id=img['id'],
            img_path=osp.join(self.data_prefix['img'], img['file_name']),
            ann_img_shape=(h, w),
            cam_param=cam_param,
        )

    def _field_error(self, what: str, field: str, msg: str = 'is missing'):
        return KeyError(f'{self.__class__.__name__}: {self.ann_file}: {what}: field '
                        f'"{field}" {msg}')
