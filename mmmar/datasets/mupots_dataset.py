"""MuCo-3DHP and MuPoTS-3D in the community COCO-style JSON of the 3DMPPE release.

JSON layout (one file per split)::

    images: [dict(id, file_name, width, height,
                  f=[fx, fy], c=[cx, cy]   or   intrinsic=[fx, fy, cx, cy],
                  frame_idx (optional), seq_name (optional)), ...]
    annotations: [dict(id, image_id, keypoints_cam (J x 3, mm), keypoints_img (J x 2, px),
                       keypoints_vis (J, optional, default 1), bbox [x, y, w, h],
                       is_valid (optional, default 1),
                       keypoints_univ / univ_annot3 (J x 3, mm, optional)), ...]

MuCo has J = 21 (the 17 MuPoTS joints, then r_hand, l_hand, r_toe, l_toe; the last four are
dropped), MuPoTS J = 17. Annotations with ``is_valid == 0`` are left out of the instance
arrays (their people are unlabelled in that frame) but stay in ``raw_ann_info`` (MuPoTS).

``keypoints_visible`` = ``keypoints_vis`` and inside the image; ``keypoints_valid`` = 1 (the
2D position of every joint is known); ``has_depth`` = 1. Per-image intrinsics become
``cam_param = dict(K, f, c)``. MuPoTS adds ``seq_name`` (the ``TS<k>`` component of
``file_name``, else the image's ``seq_name``), ``frame_idx`` (the image's ``frame_idx``, else the
digits of the file name), ``raw_ann_info`` (the image's annotation dicts, exactly as in the
file, for the metric) and ``keypoints_univ`` (N, 17, 3) when every annotation of the image has
``keypoints_univ``/``univ_annot3``.
"""
import os.path as osp
import re
from typing import List

import numpy as np
from mmpose.registry import DATASETS

from mmmar.structures.annotations import univ_key
from mmmar.structures.cam_param import make_cam_param
from mmmar.structures.skeleton import NUM_JOINTS
from .base_mar_dataset import MARBaseDataset, empty_instances, inside_image, pack_instances

_SEQ_RE = re.compile(r'(TS\d+)')


@DATASETS.register_module()
class MuCo3DHPDataset(MARBaseDataset):
    """MuCo-3DHP (3DMPPE JSON), bottom-up. See the module docstring for the format."""

    DATA_SOURCE = 'muco3dhp'
    #: joint counts accepted in the file (the first 17 are kept)
    ALLOWED_NUM_JOINTS = (21, 17)
    KEEP_RAW_ANN = False

    def _load_bottomup(self) -> List[dict]:
        images, anns_by_img = self._load_coco_style()
        data_list = []
        for i, img in enumerate(images):
            info = self._parse_image(img, i, anns_by_img.get(img.get('id'), []))
            if info is not None:
                data_list.append(info)
        return data_list

    # ------------------------------------------------------------------------------------
    def _parse_image(self, img: dict, index: int, anns: List[dict]) -> dict:
        what = self._check_image(img, index)
        if 'f' in img and 'c' in img:
            fx, fy = [float(v) for v in np.asarray(img['f'], np.float64).reshape(-1)[:2]]
            cx, cy = [float(v) for v in np.asarray(img['c'], np.float64).reshape(-1)[:2]]
        elif 'intrinsic' in img:
            intr = np.asarray(img['intrinsic'], np.float64).reshape(-1)
            if intr.size != 4:
                raise self._field_error(what, 'intrinsic', f'has {intr.size} values, '
                                        'expected 4 ([fx, fy, cx, cy])')
            fx, fy, cx, cy = [float(v) for v in intr]
        else:
            raise self._field_error(what, 'f/c', 'is missing (nor "intrinsic" given)')
        w, h = int(img['width']), int(img['height'])
        info = self._image_info(img, w, h, make_cam_param(fx, fy, cx, cy))
        info.update(self._parse_anns(anns, w, h))
        self._add_extra(info, img, anns)
        return info

    def _joints(self, ann, field, dim):
        what = f'annotation id={ann.get("id")} (image_id={ann.get("image_id")})'
        if field not in ann:
            raise self._field_error(what, field)
        arr = np.asarray(ann[field], dtype=np.float32)
        if arr.size % dim:
            raise ValueError(f'{self.__class__.__name__}: {self.ann_file}: {what}: field '
                             f'"{field}" has {arr.size} values, not a multiple of {dim}')
        arr = arr.reshape(-1, dim)
        if arr.shape[0] not in self.ALLOWED_NUM_JOINTS:
            raise ValueError(f'{self.__class__.__name__}: {self.ann_file}: {what}: field '
                             f'"{field}" has {arr.shape[0]} joints, expected one of '
                             f'{self.ALLOWED_NUM_JOINTS}')
        return arr

    def _parse_anns(self, anns: List[dict], w: int, h: int) -> dict:
        anns = [a for a in anns if int(a.get('is_valid', 1)) != 0]
        if not anns:
            return empty_instances()
        cams, imgs, viss, bboxes = [], [], [], []
        for ann in anns:
            cam = self._joints(ann, 'keypoints_cam', 3)
            kp = self._joints(ann, 'keypoints_img', 2)
            if cam.shape[0] != kp.shape[0]:
                raise ValueError(
                    f'{self.__class__.__name__}: {self.ann_file}: annotation id='
                    f'{ann.get("id")}: "keypoints_cam" has {cam.shape[0]} joints but '
                    f'"keypoints_img" has {kp.shape[0]}')
            if 'keypoints_vis' in ann:
                vis = np.asarray(ann['keypoints_vis'], np.float32).reshape(-1)
                if vis.shape[0] != cam.shape[0]:
                    raise ValueError(
                        f'{self.__class__.__name__}: {self.ann_file}: annotation id='
                        f'{ann.get("id")}: "keypoints_vis" has {vis.shape[0]} joints, '
                        f'expected {cam.shape[0]}')
            else:
                vis = np.ones(cam.shape[0], np.float32)
            if 'bbox' not in ann:
                raise self._field_error(f'annotation id={ann.get("id")}', 'bbox')
            x, y, bw, bh = [float(v) for v in ann['bbox']]
            cams.append(cam[:NUM_JOINTS])
            imgs.append(kp[:NUM_JOINTS])
            viss.append(vis[:NUM_JOINTS])
            bboxes.append([x, y, x + bw, y + bh])
        n = len(anns)
        keypoints = np.stack(imgs).astype(np.float32)
        visible = (np.stack(viss) > 0).astype(np.float32) * inside_image(keypoints, w, h)
        bbox = np.asarray(bboxes, np.float32).reshape(n, 4)
        instances = pack_instances(bbox, keypoints, visible, np.ones((n, NUM_JOINTS), np.float32),
                                   np.stack(cams).astype(np.float32), True,
                                   [a.get('id') for a in anns])
        instances['_valid_anns'] = anns
        return instances

    def _add_extra(self, info: dict, img: dict, anns: List[dict]):
        info.pop('_valid_anns', None)
        if 'frame_idx' in img:
            info['frame_idx'] = int(img['frame_idx'])


@DATASETS.register_module()
class MuPoTS3DDataset(MuCo3DHPDataset):
    """MuPoTS-3D (3DMPPE JSON, or the output of ``tools/dataset_converters/
    mupots_mat_to_json.py``), bottom-up, with ``raw_ann_info``, ``seq_name``, ``frame_idx``
    and optional ``keypoints_univ`` for the MuPoTS metric."""

    DATA_SOURCE = 'mupots3d'
    ALLOWED_NUM_JOINTS = (17, )

    def _add_extra(self, info: dict, img: dict, anns: List[dict]):
        valid = info.pop('_valid_anns', [])
        m = _SEQ_RE.search(str(img['file_name']))
        if m:
            info['seq_name'] = m.group(1)
        elif 'seq_name' in img:
            info['seq_name'] = str(img['seq_name'])
        else:
            info['seq_name'] = osp.dirname(str(img['file_name'])) or 'unknown'
        if 'frame_idx' in img:
            info['frame_idx'] = int(img['frame_idx'])
        else:
            digits = re.findall(r'\d+', osp.basename(str(img['file_name'])))
            info['frame_idx'] = int(digits[-1]) if digits else int(img['id'])
        info['raw_ann_info'] = [dict(a) for a in anns]
        if valid and all(univ_key(a) for a in valid):
            info['keypoints_univ'] = np.stack(
                [self._joints(a, univ_key(a), 3)[:NUM_JOINTS] for a in valid]).astype(
                    np.float32)
        elif not valid and anns and all(univ_key(a) for a in anns):
            info['keypoints_univ'] = np.zeros((0, NUM_JOINTS, 3), np.float32)


@DATASETS.register_module()
class MARSyntheticDataset(MuPoTS3DDataset):
    """The synthetic data of :mod:`mmmar.datasets.synthetic` (MuPoTS JSON format)."""

    DATA_SOURCE = 'synthetic'
