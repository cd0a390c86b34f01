"""COCO 2017 person keypoints mapped onto the 17 MAR joints (2D only).

Mapping: :data:`mmmar.datasets.joint_mappings.COCO_TO_MAR` (neck = mid-shoulders and
pelvis = mid-hips when both are labelled; head_top, spine and head unknown).

* ``keypoints_valid`` = COCO v > 0 (labelled, also when occluded), ``keypoints_visible`` =
  v > 0 and inside the image (COCO v=1 "labelled but occluded" counts as visible, as in mmpose).
* ``keypoints_cam`` zeros, ``has_depth`` = 0.
* ``cam_param``: COCO has no intrinsics; a nominal pinhole with ``f = max(w, h)`` and the
  principal point at the image centre is recorded so that every sample carries a ``K`` that the
  geometric transforms keep consistent. It must not be used for depth (``has_depth`` = 0).
* Crowd annotations (``iscrowd=1``) and persons with ``num_keypoints == 0`` are not instances;
  their segmentations go to ``invalid_segs`` (rasterised into ``ignore_mask`` by
  :class:`~mmmar.datasets.transforms.MARLoadImage` with ``with_ignore_mask=True``).
* Only ``category_id == 1`` (person) annotations are read. Images without a person instance
  are kept with N = 0 (see ``filter_cfg=dict(filter_empty_gt=True)`` for training).
"""
import os.path as osp
from collections import defaultdict
from typing import List

import numpy as np
from mmengine.fileio import load

from mmpose.registry import DATASETS
from mmmar.structures.skeleton import NUM_JOINTS

from .base_mar_dataset import MARBaseDataset, empty_instances, inside_image, make_cam_param
from .joint_mappings import COCO_TO_MAR, map_joints


@DATASETS.register_module()
class CocoMARDataset(MARBaseDataset):
    """COCO person keypoints as MAR 2D-only samples (bottom-up)."""

    DATA_SOURCE = 'coco'

    def _load_bottomup(self) -> List[dict]:
        data = load(self.ann_file)
        for key in ('images', 'annotations'):
            if not isinstance(data, dict) or key not in data:
                raise self._field_error('top level', key)
        anns_by_img = defaultdict(list)
        for i, ann in enumerate(data['annotations']):
            if ann.get('category_id', 1) != 1:
                continue
            if 'image_id' not in ann:
                raise self._field_error(f'annotation #{i} (id={ann.get("id")})', 'image_id')
            anns_by_img[ann['image_id']].append(ann)
        data_list = []
        for i, img in enumerate(data['images']):
            what = f'image #{i} (id={img.get("id")})'
            for key in ('id', 'file_name', 'width', 'height'):
                if key not in img:
                    raise self._field_error(what, key)
            w, h = int(img['width']), int(img['height'])
            f = float(max(w, h))
            info = dict(
                img_id=img['id'],
                img_path=osp.join(self.data_prefix['img'], img['file_name']),
                ann_img_shape=(h, w),
                cam_param=make_cam_param(f, f, (w - 1) / 2.0, (h - 1) / 2.0),
            )
            instances, invalid_segs = self._parse_anns(anns_by_img.get(img['id'], []), w, h)
            info.update(instances)
            info['invalid_segs'] = invalid_segs
            data_list.append(info)
        return data_list

    def _parse_anns(self, anns, w, h):
        kps, vs, boxes, ids, invalid_segs = [], [], [], [], []
        for ann in anns:
            what = f'annotation id={ann.get("id")} (image_id={ann.get("image_id")})'
            if ann.get('iscrowd', 0):
                if ann.get('segmentation') is not None:
                    invalid_segs.append(ann['segmentation'])
                continue
            if 'keypoints' not in ann:
                raise self._field_error(what, 'keypoints')
            k = np.asarray(ann['keypoints'], np.float32)
            if k.size != 17 * 3:
                raise ValueError(f'{self.__class__.__name__}: {self.ann_file}: {what}: field '
                                 f'"keypoints" has {k.size} values, expected 51 (17 COCO '
                                 'joints x 3)')
            k = k.reshape(17, 3)
            if int(ann.get('num_keypoints', int((k[:, 2] > 0).sum()))) == 0:
                if ann.get('segmentation') is not None:
                    invalid_segs.append(ann['segmentation'])
                continue
            if 'bbox' not in ann:
                raise self._field_error(what, 'bbox')
            x, y, bw, bh = [float(v) for v in ann['bbox']]
            kps.append(k[:, :2])
            vs.append((k[:, 2] > 0).astype(np.float32))
            boxes.append([x, y, x + bw, y + bh])
            ids.append(ann.get('id'))
        if not kps:
            return empty_instances(), invalid_segs
        n = len(kps)
        keypoints, valid = map_joints(np.stack(kps), np.stack(vs), COCO_TO_MAR)
        visible = valid * inside_image(keypoints, w, h)
        bbox = np.asarray(boxes, np.float32).reshape(n, 4)
        return dict(
            bbox=bbox,
            bbox_score=np.ones(n, np.float32),
            keypoints=keypoints,
            keypoints_visible=visible,
            keypoints_valid=valid,
            keypoints_cam=np.zeros((n, NUM_JOINTS, 3), np.float32),
            has_depth=np.zeros(n, np.float32),
            id=ids,
            category_id=np.ones(n, np.int64),
            iscrowd=np.zeros(n, np.int64),
            num_keypoints=visible.sum(1).astype(np.int64),
            area=((bbox[:, 2] - bbox[:, 0]) * (bbox[:, 3] - bbox[:, 1])).astype(np.float32),
        ), invalid_segs
