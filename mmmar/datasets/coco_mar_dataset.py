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
from typing import List

import numpy as np
from mmpose.registry import DATASETS

from mmmar.structures.cam_param import make_cam_param
from .base_mar_dataset import MARBaseDataset, empty_instances, inside_image, pack_instances
from .joint_mappings import COCO_TO_MAR, map_joints


@DATASETS.register_module()
class CocoMARDataset(MARBaseDataset):
    """COCO person keypoints as MAR 2D-only samples (bottom-up)."""

    DATA_SOURCE = 'coco'

    def _load_bottomup(self) -> List[dict]:
        images, anns_by_img = self._load_coco_style(
            keep=lambda ann: ann.get('category_id', 1) == 1)
        data_list = []
        for i, img in enumerate(images):
            self._check_image(img, i)
            w, h = int(img['width']), int(img['height'])
            f = float(max(w, h))
            info = self._image_info(img, w, h,
                                    make_cam_param(f, f, (w - 1) / 2.0, (h - 1) / 2.0))
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
        keypoints, valid = map_joints(np.stack(kps), np.stack(vs), COCO_TO_MAR)
        visible = valid * inside_image(keypoints, w, h)
        bbox = np.asarray(boxes, np.float32).reshape(len(kps), 4)
        return pack_instances(bbox, keypoints, visible, valid, None, False, ids), invalid_segs
