"""Human3.6M (protocol 2) as MAR bottom-up samples, from mmpose's preprocessing output.

Input (``tools/dataset_converters/preprocess_h36m.py`` of mmpose): an ``.npz`` with
``imgname`` (e.g. ``'S1/S1_Directions_1.54138969/S1_Directions_1.54138969_000001.jpg'``),
``center`` (N, 2), ``scale`` (N,), ``part`` (N, 17, 3: px + visibility), ``S`` (N, 17, 4:
camera-space **metres** + visibility), H36M-17 joint order; and ``cameras.pkl``
(``camera_param_file``) keyed ``(subject, camera_id)`` with ``f`` (2, 1), ``c`` (2, 1), ``w``,
``h``.

Protocol 2: train subjects S1, S5, S6, S7, S8 every 5th frame; test subjects S9, S11 every 64th
frame (``subjects`` / ``frame_stride`` override; a frame is kept when
``(frame_number - 1) % frame_stride == 0``, frame numbers from the file name, 1-based).

Joints: :data:`mmmar.datasets.joint_mappings.H36M_TO_MAR` (head_top = head(10), neck =
thorax(8), head = neck/nose(9), spine = spine(7), pelvis = root(0)). ``keypoints_cam`` = S in mm.
``keypoints`` = the projection of S with the camera's f, c (``keypoints_2d='projected'``, the
default, so that 3D, 2D and K agree exactly; the distortion-free projection differs from the
annotated ``part`` by ~1-2 px) or ``part`` (``keypoints_2d='part'``). One person per image.
"""
import os.path as osp
import pickle
import re
from typing import List, Optional, Sequence

import numpy as np
from mmpose.registry import DATASETS

from mmmar.structures.cam_param import make_cam_param
from mmmar.structures.skeleton import NUM_JOINTS
from .base_mar_dataset import MARBaseDataset, inside_image, pack_instances
from .joint_mappings import H36M_TO_MAR

_NAME_RE = re.compile(r'(S\d+)_(.+)\.(\d+)_(\d+)\.\w+$')


@DATASETS.register_module()
class H36MMARDataset(MARBaseDataset):
    """Human3.6M protocol 2, bottom-up (one person per image).

    Args:
        ann_file (str): the npz file.
        camera_param_file (str): ``cameras.pkl`` (relative paths are joined with
            ``data_root``).
        subjects (list[str], optional): default S1, S5, S6, S7, S8 (train) or S9, S11
            (``test_mode=True``).
        frame_stride (int, optional): default 5 (train) / 64 (test).
        keypoints_2d (str): 'projected' (default) or 'part'.
        Other args: see :class:`MARBaseDataset`.
    """

    DATA_SOURCE = 'h36m'
    TRAIN_SUBJECTS = ('S1', 'S5', 'S6', 'S7', 'S8')
    TEST_SUBJECTS = ('S9', 'S11')

    def __init__(self,
                 ann_file: str = '',
                 camera_param_file: str = '',
                 subjects: Optional[Sequence[str]] = None,
                 frame_stride: Optional[int] = None,
                 keypoints_2d: str = 'projected',
                 test_mode: bool = False,
                 data_root: Optional[str] = None,
                 **kwargs):
        if keypoints_2d not in ('projected', 'part'):
            raise ValueError(f'keypoints_2d must be "projected" or "part", got {keypoints_2d}')
        if camera_param_file and data_root and not osp.isabs(camera_param_file):
            camera_param_file = osp.join(data_root, camera_param_file)
        self.camera_param_file = camera_param_file
        self.subjects = tuple(subjects) if subjects is not None else (
            self.TEST_SUBJECTS if test_mode else self.TRAIN_SUBJECTS)
        self.frame_stride = int(frame_stride) if frame_stride else (64 if test_mode else 5)
        self.keypoints_2d = keypoints_2d
        super().__init__(ann_file=ann_file, test_mode=test_mode, data_root=data_root, **kwargs)

    def _load_bottomup(self) -> List[dict]:
        if not self.camera_param_file or not osp.isfile(self.camera_param_file):
            raise FileNotFoundError(f'{self.__class__.__name__}: camera_param_file not found: '
                                    f'{self.camera_param_file!r}')
        with open(self.camera_param_file, 'rb') as f:
            cameras = pickle.load(f)
        arrays = self._load_npz()
        data_list = []
        for i, name in enumerate(arrays['imgname']):
            name = str(name)
            m = _NAME_RE.search(osp.basename(name))
            if not m:
                raise ValueError(f'{self.__class__.__name__}: {self.ann_file}: imgname[{i}] '
                                 f'{name!r} is not of the form S<k>_<action>.<camera>_<frame>.jpg')
            subj, action, cam_id, frame = m.group(1), m.group(2), m.group(3), int(m.group(4))
            if subj not in self.subjects or (frame - 1) % self.frame_stride:
                continue
            if (subj, cam_id) not in cameras:
                raise KeyError(f'{self.__class__.__name__}: {self.camera_param_file}: no camera '
                               f'({subj!r}, {cam_id!r}) for imgname[{i}] {name!r}')
            info = self._frame_info(arrays, i, name, cameras[(subj, cam_id)])
            info.update(seq_name=f'{subj}_{action}.{cam_id}', frame_idx=frame, subject=subj,
                        camera_id=cam_id)
            data_list.append(info)
        return data_list

    def _load_npz(self) -> dict:
        """The checked arrays of the npz: ``imgname``, ``S`` (float64), ``part`` (float64 or
        ``None``), ``center`` and ``scale`` (or ``None``)."""
        data = np.load(self.ann_file)
        for key in ('imgname', 'S') + (('part', ) if self.keypoints_2d == 'part' else ()):
            if key not in data.files:
                raise self._field_error('npz', key)
        S = np.asarray(data['S'], np.float64)
        if S.ndim != 3 or S.shape[1] != 17 or S.shape[2] not in (3, 4):
            raise ValueError(f'{self.__class__.__name__}: {self.ann_file}: field "S" has '
                             f'shape {S.shape}, expected (N, 17, 4) (H36M-17 joints)')
        part = np.asarray(data['part'], np.float64) if 'part' in data.files else None
        if part is not None and (part.ndim != 3 or part.shape[1] != 17):
            raise ValueError(f'{self.__class__.__name__}: {self.ann_file}: field "part" has '
                             f'shape {part.shape}, expected (N, 17, 3)')
        return dict(
            imgname=data['imgname'],
            S=S,
            part=part,
            center=data['center'] if 'center' in data.files else None,
            scale=data['scale'] if 'scale' in data.files else None)

    def _frame_info(self, arrays: dict, i: int, name: str, cam: dict) -> dict:
        """The data info of the ``i``-th npz frame (image ``name``, camera ``cam``) without
        its sequence keys."""
        idx = np.asarray(H36M_TO_MAR)
        fx, fy = [float(v) for v in np.asarray(cam['f']).reshape(-1)[:2]]
        cx, cy = [float(v) for v in np.asarray(cam['c']).reshape(-1)[:2]]
        w, h = int(cam.get('w', 1000)), int(cam.get('h', 1002))
        cam_param = make_cam_param(fx, fy, cx, cy)
        S = arrays['S']
        xyz = (S[i, idx, :3] * 1000.0).astype(np.float32)[None]  # mm
        s_vis = S[i, idx, 3] if S.shape[2] == 4 else np.ones(NUM_JOINTS)
        if self.keypoints_2d == 'projected':
            p = xyz[0].astype(np.float64) @ cam_param['K'].astype(np.float64).T
            kp = (p[:, :2] / p[:, 2:3]).astype(np.float32)[None]
            vis2d = s_vis
        else:
            kp = arrays['part'][i, idx, :2].astype(np.float32)[None]
            vis2d = arrays['part'][i, idx, 2]
        valid = (np.asarray(vis2d)[None] > 0).astype(np.float32)
        visible = valid * inside_image(kp, w, h)
        if arrays['center'] is not None and arrays['scale'] is not None:
            c, s = np.asarray(arrays['center'][i], np.float32), float(arrays['scale'][i]) * 100.0
            bbox = np.array([[c[0] - s, c[1] - s, c[0] + s, c[1] + s]], np.float32)
        else:
            bbox = np.concatenate([kp[0].min(0), kp[0].max(0)])[None].astype(np.float32)
        return dict(
            img_id=i,
            img_path=osp.join(self.data_prefix['img'], name),
            # no ann_img_shape: cameras.pkl's w/h are nominal (the mmpose fixture has a
            # 1000 x 1002 frame from a 1000 x 1000 camera), so the loader does not check it
            cam_param=cam_param,
            **pack_instances(bbox, kp, visible, valid, xyz, True, [i]))
