"""Inference with MAR models on images, folders, videos and webcams.

:class:`MARInferencer` has the API of mmpose's ``Pose2DInferencer`` / ``MMPoseInferencer``
(``inferencer(inputs, **kwargs)`` is a generator yielding one result dict per image / frame),
and differs in what it keeps and what it feeds the model:

* every MAR output is kept: per person ``keypoints_3d`` (17, 3) camera-space mm,
  ``keypoints`` (17, 2) original-image px, ``keypoint_scores`` (17,), ``root_depth``,
  ``depth_reg``, ``depth_geo``, ``sigma_reg``, ``sigma_geo`` (mm), ``bbox`` (4,) xyxy px,
  ``bbox_score`` (see :func:`pred_instances_to_dicts`);
* the camera intrinsics enter the test pipeline as ``cam_param=dict(K=...)`` (user-given or
  :func:`mmmar.apis.intrinsics.default_intrinsics`) and every result records which ``K`` was
  used and its source (``'user'`` / ``'default-fov60'``);
* the config goes through :func:`mmmar.utils.sync_config` before anything is built;
* bad inputs raise :class:`MARInputError` naming the path; inside a folder / list, a bad file
  is logged, listed in ``result['failed']`` (and ``<pred_out_dir>/failed_inputs.json``) and
  the other files are still processed.

Plain ``MMPoseInferencer(pose2d=<MAR config>)`` cannot be routed here: mmpose hard-codes
``Pose2DInferencer`` there (no registry lookup, no config field). It feeds no intrinsics, so it
only runs when the config's test pipeline contains
:class:`mmmar.apis.transforms.MARDefaultIntrinsics` (default 60-degree ``K``; otherwise the MAR
head raises a ``ValueError`` about ``cam_param``), and it returns mmpose's reduced dicts
(``keypoints`` = the 3D camera-space joints, mm, ``keypoint_scores``, ``bbox``,
``bbox_score``). Use ``MARInferencer`` (same arguments; ``pose2d=`` / ``pose2d_weights=`` are
accepted as aliases of ``model=`` / ``weights=``).
"""
import copy
import logging
import mimetypes
import os
import os.path as osp
from collections import defaultdict
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import mmengine
import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.fileio import join_path
from mmengine.logging import print_log
from mmengine.structures import InstanceData

from mmpose.apis.inferencers import Pose2DInferencer
from mmpose.registry import INFERENCERS
from mmpose.structures import PoseDataSample

from .intrinsics import (DEFAULT_FOV_DEG, is_per_image_intrinsics,
                         parse_intrinsics, resolve_intrinsics)

__all__ = ['MARInferencer', 'MARInputError', 'pred_instances_to_dicts']

InputType = Union[str, np.ndarray]
ConfigType = Union[Config, ConfigDict]

#: Per-person scalar fields copied from ``pred_instances`` when present.
SCALAR_FIELDS = ('root_depth', 'depth_reg', 'depth_geo', 'sigma_reg',
                 'sigma_geo')

_IMAGE_EXTS = {
    '.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp', '.ppm',
    '.pgm', '.jp2'
}
_VIDEO_EXTS = {'.mp4', '.avi', '.mov', '.mkv', '.webm', '.mpg', '.mpeg',
               '.m4v', '.wmv', '.flv'}


class MARInputError(ValueError):
    """An input image / video cannot be used; ``path`` names it."""

    def __init__(self, path: str, reason: str):
        self.path = path
        self.reason = reason
        super().__init__(f'{path}: {reason}')


def _np(x) -> Optional[np.ndarray]:
    if x is None:
        return None
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def _media_kind(path: str) -> str:
    ext = osp.splitext(path)[1].lower()
    if ext in _IMAGE_EXTS:
        return 'image'
    if ext in _VIDEO_EXTS:
        return 'video'
    mime = mimetypes.guess_type(path)[0]
    return mime.split('/')[0] if mime else 'unknown'


def pred_instances_to_dicts(instances: Optional[InstanceData]
                            ) -> List[Dict[str, Any]]:
    """MAR ``pred_instances`` -> one JSON-serialisable dict per person.

    Keys (present when the model gives them):

    - ``keypoints_3d``: (17, 3) camera space of the original image, mm;
    - ``keypoints``: (17, 2) original-image pixels;
    - ``keypoint_scores``: (17,);
    - ``root_depth``, ``depth_reg``, ``depth_geo``, ``sigma_reg``, ``sigma_geo``: float, mm;
    - ``bbox``: [x0, y0, x1, y1] original pixels; ``bbox_score``: float.
    """
    if instances is None:
        return []
    get = instances.get
    kpts = _np(get('keypoints'))
    k2d = _np(get('transformed_keypoints'))
    if k2d is None:
        k2d = _np(get('keypoints_2d'))
    k3d = _np(get('keypoints_3d'))
    if kpts is not None and kpts.ndim == 3:
        if kpts.shape[-1] == 3 and k3d is None:
            k3d = kpts
        elif kpts.shape[-1] == 2 and k2d is None:
            k2d = kpts
    scores = _np(get('keypoint_scores'))
    bboxes = _np(get('bboxes'))
    bbox_scores = _np(get('bbox_scores'))
    if bbox_scores is None:
        bbox_scores = _np(get('scores'))
    scalars = {k: _np(get(k)) for k in SCALAR_FIELDS}
    n = max([len(a) for a in (k3d, k2d, scores, bboxes) if a is not None] or
            [0])
    out = []
    for i in range(n):
        person: Dict[str, Any] = {}
        if k3d is not None:
            person['keypoints_3d'] = k3d[i].astype(float).tolist()
        if k2d is not None:
            person['keypoints'] = k2d[i].astype(float).tolist()
        if scores is not None:
            person['keypoint_scores'] = scores[i].astype(float).tolist()
        for key, value in scalars.items():
            if value is not None:
                person[key] = float(value.reshape(-1)[i])
        if bboxes is not None:
            person['bbox'] = bboxes[i].reshape(4).astype(float).tolist()
        if bbox_scores is not None:
            person['bbox_score'] = float(bbox_scores.reshape(-1)[i])
        out.append(person)
    return out


def _mupots_dataset_meta() -> dict:
    from mmpose.datasets.datasets.utils import parse_pose_metainfo
    import mmmar.datasets.metainfo as metainfo_pkg
    path = osp.join(osp.dirname(metainfo_pkg.__file__), 'mupots3d.py')
    return parse_pose_metainfo(dict(from_file=path))


@INFERENCERS.register_module(name='mar-pose3d')
@INFERENCERS.register_module()
class MARInferencer(Pose2DInferencer):
    """Inferencer for MAR models: 3D camera-space skeletons of everyone in an image.

    Args:
        model (str | Config | dict, optional): MAR config (path or object). ``None``: read
            the config stored in ``weights``.
        weights (str, optional): Checkpoint path.
        device (str, optional): ``'cpu'``, ``'cuda:0'``, ... (default: best available).
        scope (str): Registry scope. Defaults to ``'mmpose'``.
        det_model, det_weights, det_cat_ids: Unused (MAR is bottom-up); accepted for
            compatibility with ``Pose2DInferencer``.
        show_progress (bool): Progress bar over the inputs. Defaults to False.
        pose2d (str, optional): Alias of ``model`` (``MMPoseInferencer`` spelling).
        pose2d_weights (str, optional): Alias of ``weights``.
        intrinsics: Default intrinsics of every call (see
            :func:`mmmar.apis.intrinsics.parse_intrinsics`; a 3x3 matrix,
            ``[fx, fy, cx, cy]``, a ``cam_param``-style dict, or a dict image name -> K).
            ``None``: :func:`~mmmar.apis.intrinsics.default_intrinsics` per image.
        fov_deg (float): Horizontal field of view of the default intrinsics. Defaults to 60.
        cfg_options (dict, optional): Overrides merged into the config before
            :func:`mmmar.utils.sync_config`.
        batch_size (int): Images per forward pass (default of every call). The
            results are those of batch size 1 (each image's maps are decoded on
            their own); results are still yielded one per image, in order.
            Defaults to 1.
        fp16 (bool): Run the network under autocast in half precision: float16
            on CUDA, bfloat16 on CPU (see :mod:`mmmar.utils.precision`);
            the decode runs in float32. Defaults to False.

    Call arguments (besides mmpose's ``return_datasamples``, ``out_dir``, ``vis_out_dir``,
    ``pred_out_dir``, ``show``, ``return_vis``, ``kpt_thr``, ``draw_bbox``, ``radius``,
    ``thickness``, ``bbox_thr``):

    - ``intrinsics`` (alias ``cam_param``): intrinsics of this call (as above);
    - ``draw_3d`` (bool): add the 3D and top-view panels to the visualisation (default
      True with :class:`mmmar.visualization.MARPose3DVisualizer`).

    Each yielded result is a dict with

    - ``predictions``: list (one per image, always 1) of lists of person dicts
      (:func:`pred_instances_to_dicts`), or of ``PoseDataSample`` with
      ``return_datasamples=True``;
    - ``intrinsics``: list (one per image) of ``dict(K=3x3 list, source='user' |
      'default-fov60')``;
    - ``img_paths``: list (one per image) of the image path (frame name for videos and
      arrays);
    - ``visualization``: list of RGB images when ``return_vis=True``;
    - ``failed``: list of ``dict(img_path=..., error=...)`` for inputs that could not be
      read (only inside a folder / list; a single bad input raises :class:`MARInputError`).

    ``pred_out_dir`` receives ``<image stem>.json`` = ``dict(img_path, image_size=[W, H],
    intrinsics, instances=[person dicts])`` per image; for a video one ``<video stem>.json``
    = list of ``dict(frame_id, image_size, intrinsics, instances)``; and
    ``failed_inputs.json`` when some inputs failed.
    """

    preprocess_kwargs: set = {
        'bbox_thr', 'nms_thr', 'bboxes', 'intrinsics', 'cam_param'
    }
    forward_kwargs: set = {'merge_results', 'pose_based_nms'}
    visualize_kwargs: set = Pose2DInferencer.visualize_kwargs | {'draw_3d'}
    postprocess_kwargs: set = {'pred_out_dir', 'return_datasample'}

    def __init__(self,
                 model: Union[str, Config, ConfigDict, dict, None] = None,
                 weights: Optional[str] = None,
                 device: Optional[str] = None,
                 scope: Optional[str] = 'mmpose',
                 det_model=None,
                 det_weights=None,
                 det_cat_ids=None,
                 show_progress: bool = False,
                 *,
                 pose2d: Union[str, Config, ConfigDict, dict, None] = None,
                 pose2d_weights: Optional[str] = None,
                 intrinsics: Any = None,
                 fov_deg: float = DEFAULT_FOV_DEG,
                 cfg_options: Optional[dict] = None,
                 batch_size: int = 1,
                 fp16: bool = False) -> None:
        from mmmar.utils import register_all_modules
        register_all_modules(init_default_scope=False)

        if model is None:
            model = pose2d
        elif pose2d is not None:
            raise ValueError('give either model= or pose2d=, not both')
        if weights is None:
            weights = pose2d_weights
        elif pose2d_weights is not None:
            raise ValueError('give either weights= or pose2d_weights=, not both')
        if isinstance(model, str):
            if not osp.isfile(model):
                raise FileNotFoundError(f'MAR config {model} not found')
            model = Config.fromfile(model)
        if weights is not None and not osp.isfile(weights) and \
                '://' not in weights:
            raise FileNotFoundError(f'checkpoint {weights} not found')
        self._cfg_options = cfg_options
        self._cfg_prepared = False
        if int(batch_size) < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size!r}')
        self.batch_size = int(batch_size)
        self.fp16 = bool(fp16)
        if intrinsics is not None and not is_per_image_intrinsics(intrinsics):
            intrinsics = parse_intrinsics(intrinsics, 'intrinsics=')
        self.intrinsics = intrinsics
        self.fov_deg = float(fov_deg)
        self.failed_inputs: List[Dict[str, str]] = []
        self._input_is_collection = False
        super().__init__(
            model=model,
            weights=weights,
            device=device,
            scope=scope,
            det_model=None,
            det_weights=None,
            det_cat_ids=None,
            show_progress=show_progress)

    # ------------------------------------------------------------------
    # building
    def _prepare_cfg(self, cfg: ConfigType) -> None:
        """sync_config + MAR defaults, once, in place."""
        if self._cfg_prepared or not cfg:
            return
        from mmmar.utils import sync_config
        if self._cfg_options:
            if isinstance(cfg, Config):
                cfg.merge_from_dict(self._cfg_options)
            else:
                tmp = Config(copy.deepcopy(dict(cfg)))
                tmp.merge_from_dict(self._cfg_options)
                cfg.update(tmp._cfg_dict)
        sync_config(cfg)
        if 'data_mode' not in cfg:
            cfg['data_mode'] = 'bottomup'
        vis = cfg.get('visualizer')
        from mmmar.visualization import MARPose3DVisualizer
        from mmpose.registry import VISUALIZERS
        if not isinstance(vis, dict):
            cfg['visualizer'] = dict(type='MARPose3DVisualizer')
        else:
            vtype = vis.get('type')
            cls = vtype if isinstance(vtype, type) else VISUALIZERS.get(vtype)
            if cls is None or not issubclass(cls, MARPose3DVisualizer):
                new = dict(type='MARPose3DVisualizer')
                for key in ('vis_backends', 'save_dir', 'name'):
                    if key in vis:
                        new[key] = vis[key]
                cfg['visualizer'] = new
        self._cfg_prepared = True

    def _init_model(self, cfg, weights, device='cpu'):
        self._prepare_cfg(cfg)
        model = super()._init_model(cfg, weights, device)
        self._prepare_cfg(cfg)  # config read from the checkpoint
        return model

    def _init_pipeline(self, cfg):
        self._prepare_cfg(cfg)
        return super()._init_pipeline(cfg)

    def _init_visualizer(self, cfg):
        self._prepare_cfg(cfg)
        return super()._init_visualizer(cfg)

    def _load_weights_to_model(self, model, checkpoint, cfg) -> None:
        """Load the weights; ``dataset_meta`` from the checkpoint, else the config, else
        the MuPoTS-3D joint set."""
        from mmengine.runner.checkpoint import _load_checkpoint_to_model
        meta = None
        if checkpoint is not None:
            _load_checkpoint_to_model(model, checkpoint)
            meta = checkpoint.get('meta', {}).get('dataset_meta')
        else:
            print_log(
                'MARInferencer: no checkpoint given, the model is randomly '
                'initialised', logger='current', level=logging.WARNING)
        if not isinstance(meta, dict):
            try:
                from mmpose.apis.inference import dataset_meta_from_config
                meta = dataset_meta_from_config(cfg, dataset_mode='train')
            except Exception:  # noqa: BLE001  (e.g. a relative from_file)
                meta = None
        if not isinstance(meta, dict):
            meta = _mupots_dataset_meta()
        model.dataset_meta = meta

    # ------------------------------------------------------------------
    # inputs
    def _inputs_to_list(self, inputs) -> Iterable:
        """Images / video frames to process; raises :class:`MARInputError` for a missing
        path or a video that cannot be opened."""
        self._video_input = False
        self._input_is_collection = False
        if isinstance(inputs, str):
            if osp.isdir(inputs):
                self._input_is_collection = True
                files, skipped = [], []
                for name in sorted(os.listdir(inputs)):
                    path = join_path(inputs, name)
                    if not osp.isfile(path):
                        continue
                    (files if _media_kind(path) == 'image' else
                     skipped).append(path)
                if skipped:
                    print_log(
                        f'{inputs}: skipped {len(skipped)} non-image file(s): '
                        + ', '.join(osp.basename(p) for p in skipped[:10]),
                        logger='current',
                        level=logging.INFO)
                if not files:
                    print_log(
                        f'{inputs}: no image files in this folder',
                        logger='current',
                        level=logging.WARNING)
                return files
            if not osp.exists(inputs):
                raise MARInputError(inputs, 'no such file or folder')
            if _media_kind(inputs) == 'video':
                return self._open_video(inputs)
            return [inputs]
        if isinstance(inputs, np.ndarray):
            return [inputs]
        if isinstance(inputs, (list, tuple)):
            self._input_is_collection = True
            return list(inputs)
        raise TypeError(
            'inputs must be an image path, a folder, a video path, an array '
            f'or a list of those, got {type(inputs)}')

    def _open_video(self, path: str):
        cap = cv2.VideoCapture(path)
        ok = cap.isOpened()
        ok = ok and cap.read()[0]
        cap.release()
        if not ok:
            raise MARInputError(
                path, 'cannot open this video (no readable frames)')
        try:
            video = mmcv.VideoReader(path)
        except Exception as e:  # noqa: BLE001
            raise MARInputError(path, f'cannot open this video: {e}') from e
        self._video_input = True
        self.video_info = dict(
            fps=video.fps,
            name=osp.basename(path),
            path=path,
            writer=None,
            width=video.width,
            height=video.height,
            predictions=[])
        return video

    def _read_input(self, input: InputType,
                    index: int) -> Tuple[np.ndarray, str]:
        """(BGR uint8 image, image path or frame name); raises MARInputError."""
        if isinstance(input, str):
            path = input
            if not osp.isfile(path):
                raise MARInputError(path, 'no such file')
            if osp.getsize(path) == 0:
                raise MARInputError(path, 'empty file (0 bytes)')
            if _media_kind(path) == 'video':
                raise MARInputError(
                    path, 'is a video; give it on its own, not in a list')
            try:
                with open(path, 'rb') as f:
                    buf = f.read()
            except OSError as e:
                raise MARInputError(path, f'cannot read this file: {e}') from e
            if buf[:2] == b'\xff\xd8' and not buf[-4096:].rstrip(
                    b'\x00\r\n ').endswith(b'\xff\xd9'):
                raise MARInputError(
                    path, 'truncated JPEG (no end-of-image marker)')
            try:
                img = mmcv.imfrombytes(buf, flag='color', channel_order='bgr')
            except Exception as e:  # noqa: BLE001
                raise MARInputError(
                    path, f'cannot decode this file as an image '
                    f'({type(e).__name__}: {e})') from e
            if img is None:
                raise MARInputError(
                    path, 'cannot decode this file as an image (not an '
                    'image, or corrupt)')
        elif isinstance(input, np.ndarray):
            path = f'{index}.jpg'.rjust(10, '0')
            img = input
        else:
            raise MARInputError(
                str(input), f'unsupported input type {type(input).__name__}')
        if img.ndim == 2:
            img = img[..., None]
        if img.ndim != 3 or img.shape[2] not in (1, 3, 4):
            raise MARInputError(path,
                                f'not an H x W x 3 image: shape {img.shape}')
        if img.shape[0] == 0 or img.shape[1] == 0:
            raise MARInputError(
                path, f'zero-size image ({img.shape[1]}x{img.shape[0]})')
        if img.shape[2] == 1:
            img = np.repeat(img, 3, axis=2)
        elif img.shape[2] == 4:
            img = img[..., :3]
        if img.dtype != np.uint8:
            img = np.clip(img, 0, 255).astype(np.uint8)
        return np.ascontiguousarray(img), path

    def intrinsics_for(self, img_path: str, width: int, height: int,
                       intrinsics: Any = None) -> Tuple[np.ndarray, str]:
        """``(K, source)`` for one image: the call's ``intrinsics``, else the
        constructor's, else the default (``fov_deg``)."""
        value = intrinsics if intrinsics is not None else self.intrinsics
        name = img_path
        if self._video_input and isinstance(value, dict):
            name = self.video_info.get('path', self.video_info['name'])
        return resolve_intrinsics(value, name, width, height, self.fov_deg)

    def preprocess_single(self,
                          input: InputType,
                          index: int,
                          bbox_thr: float = 0.3,
                          nms_thr: float = 0.3,
                          bboxes=[],
                          intrinsics: Any = None,
                          cam_param: Any = None):
        """Read one image, attach its intrinsics and run the test pipeline.

        Returns:
            list: One packed data dict (``inputs``, ``data_samples``); the data sample's
            metainfo has ``intrinsics = dict(K, source)`` (original image).
        """
        img, path = self._read_input(input, index)
        return [self._pipeline_one(img, path,
                                   intrinsics if intrinsics is not None else
                                   cam_param)]

    def _pipeline_one(self, img: np.ndarray, path: str,
                      intrinsics: Any) -> dict:
        h, w = img.shape[:2]
        K, source = self.intrinsics_for(path, w, h, intrinsics)
        cam_param = dict(
            K=K.copy(),
            f=(float(K[0, 0]), float(K[1, 1])),
            c=(float(K[0, 2]), float(K[1, 2])))
        data_info = dict(img=img, img_path=path, cam_param=cam_param)
        data_info.update(self.model.dataset_meta)
        data = self.pipeline(data_info)
        record = dict(K=K.astype(float).tolist(), source=source)
        if source.startswith('default'):
            record['fov_deg'] = self.fov_deg
        data['data_samples'].set_metainfo(
            dict(intrinsics=record, img_path=path, ori_shape=(h, w)))
        return data

    def preprocess(self, inputs, batch_size: int = 1, bboxes=None,
                   bbox_thr: float = 0.3, nms_thr: float = 0.3, **kwargs):
        """Yield ``(collated data, [inputs])`` per ``batch_size`` inputs."""
        chunk_data, chunk_inputs = [], []
        for i, input in enumerate(inputs):
            chunk_data += self.preprocess_single(input, index=i, **kwargs)
            chunk_inputs.append(input)
            if len(chunk_inputs) == batch_size:
                yield self.collate_fn(chunk_data), chunk_inputs
                chunk_data, chunk_inputs = [], []
        if chunk_inputs:
            yield self.collate_fn(chunk_data), chunk_inputs

    # ------------------------------------------------------------------
    @torch.no_grad()
    def forward(self,
                inputs: Union[dict, tuple],
                merge_results: bool = True,
                bbox_thr: float = -1,
                pose_based_nms: bool = False) -> List[PoseDataSample]:
        """Run the model; optionally keep people with ``bbox_score > bbox_thr`` and apply
        pose NMS on the 2D joints."""
        from mmmar.utils.precision import autocast_context
        with autocast_context(self.device_type, self.fp16):
            data_samples = self.model.test_step(inputs)
        for ds in data_samples:
            inst = ds.pred_instances
            n = len(_np(inst.keypoints)) if 'keypoints' in inst else 0
            if n == 0:
                continue
            if bbox_thr is not None and bbox_thr > 0 and 'bbox_scores' in inst:
                keep = _np(inst.bbox_scores).reshape(-1) > bbox_thr
                ds.pred_instances = inst[keep]
                inst = ds.pred_instances
            if pose_based_nms and len(_np(inst.keypoints)) > 1:
                from mmpose.evaluation.functional import nearby_joints_nms
                k2d = _np(inst.get('transformed_keypoints', inst.keypoints))
                scores = _np(inst.get('bbox_scores', inst.get('scores')))
                keep = nearby_joints_nms(
                    [
                        dict(keypoints=k2d[i][..., :2], score=scores[i])
                        for i in range(len(k2d))
                    ],
                    num_nearby_joints_thr=k2d.shape[-2] // 3)
                ds.pred_instances = inst[list(keep)]
        return data_samples

    @property
    def device_type(self) -> str:
        """``'cuda'``, ``'cpu'``, ... of the model's parameters."""
        return next(self.model.parameters()).device.type

    def __call__(self,
                 inputs,
                 return_datasamples: bool = False,
                 batch_size: Optional[int] = None,
                 out_dir: Optional[str] = None,
                 **kwargs):
        """Run inference; a generator yielding one result dict per image / frame (see the
        class docstring). ``batch_size`` (default: the constructor's) images go through
        the network at once; results are yielded one per image, in input order."""
        batch_size = self.batch_size if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size!r}')
        if out_dir is not None:
            kwargs.setdefault('vis_out_dir', f'{out_dir}/visualizations')
            kwargs.setdefault('pred_out_dir', f'{out_dir}/predictions')
        if kwargs.get('cam_param') is not None:
            if kwargs.get('intrinsics') is not None:
                raise ValueError('give either intrinsics= or cam_param=')
            kwargs['intrinsics'] = kwargs.pop('cam_param')
        kwargs.pop('cam_param', None)
        (preprocess_kwargs, forward_kwargs, visualize_kwargs,
         postprocess_kwargs) = self._dispatch_kwargs(**kwargs)
        self.update_model_visualizer_settings(**kwargs)
        intrinsics = preprocess_kwargs.get('intrinsics')
        forward_kwargs['bbox_thr'] = preprocess_kwargs.get('bbox_thr', -1)
        pred_out_dir = postprocess_kwargs.get('pred_out_dir', '')

        self._video_input = False
        if isinstance(inputs, str) and inputs.startswith('webcam'):
            stream = self._get_webcam_inputs(inputs)
            if not self._video_input:
                raise MARInputError(inputs, 'cannot open this camera')
            self._input_is_collection = False
            self.video_info['path'] = inputs
        else:
            stream = self._inputs_to_list(inputs)

        self.failed_inputs = []
        window_name = self.video_info['name'] if self._video_input else ''
        iterator = enumerate(stream)
        if self.show_progress:
            from rich.progress import track
            total = len(stream) if hasattr(stream, '__len__') else None
            iterator = track(iterator, total=total, description='Inference')

        pending: List[Tuple[np.ndarray, dict]] = []

        def flush():
            """Forward the pending images as one batch; one result per image."""
            if not pending:
                return
            preds = self.forward(
                self.collate_fn([d for _, d in pending]), **forward_kwargs)
            batch = list(zip([img for img, _ in pending], preds))
            pending.clear()
            for img, pred in batch:
                visualization = self.visualize([img], [pred],
                                               window_name=window_name,
                                               **visualize_kwargs)
                results = self.postprocess(
                    [pred],
                    visualization,
                    return_datasamples=return_datasamples,
                    **postprocess_kwargs)
                results['failed'] = []
                yield results

        try:
            for index, item in iterator:
                try:
                    img, path = self._read_input(item, index)
                except MARInputError as e:
                    if not self._input_is_collection:
                        raise
                    yield from flush()  # keep the input order
                    rec = dict(img_path=e.path, error=e.reason)
                    self.failed_inputs.append(rec)
                    print_log(
                        f'skipping {e}', logger='current', level=logging.WARNING)
                    yield dict(
                        predictions=[],
                        intrinsics=[],
                        img_paths=[],
                        visualization=[],
                        failed=[rec])
                    continue
                pending.append((img, self._pipeline_one(img, path, intrinsics)))
                if len(pending) >= batch_size:
                    yield from flush()
            yield from flush()
        finally:
            # also when the caller stops early (generator closed)
            if self._video_input:
                self._finalize_video_processing(pred_out_dir)
            if self.failed_inputs:
                print_log(
                    f'{len(self.failed_inputs)} input(s) could not be read: ' +
                    ', '.join(r['img_path'] for r in self.failed_inputs),
                    logger='current',
                    level=logging.WARNING)
                if pred_out_dir:
                    mmengine.dump(self.failed_inputs,
                                  join_path(pred_out_dir, 'failed_inputs.json'),
                                  indent='  ')

    # ------------------------------------------------------------------
    def postprocess(self,
                    preds: List[PoseDataSample],
                    visualization: List[np.ndarray],
                    return_datasample=None,
                    return_datasamples: bool = False,
                    pred_out_dir: str = '') -> dict:
        """Pack predictions (all MAR fields), intrinsics and image paths; dump JSON."""
        if return_datasample is not None:
            return_datasamples = return_datasample
        result = defaultdict(list)
        result['visualization'] = visualization or []
        for pred in preds:
            meta = pred.metainfo
            people = pred_instances_to_dicts(pred.get('pred_instances'))
            result['predictions'].append(
                pred if return_datasamples else people)
            result['intrinsics'].append(meta.get('intrinsics'))
            result['img_paths'].append(meta.get('img_path'))
            if not pred_out_dir:
                continue
            h, w = meta.get('ori_shape', (None, None))[:2]
            record = dict(
                image_size=[w, h],
                intrinsics=meta.get('intrinsics'),
                instances=people)
            if self._video_input:
                record = dict(
                    frame_id=len(self.video_info['predictions']), **record)
                self.video_info['predictions'].append(record)
            else:
                record = dict(img_path=meta.get('img_path'), **record)
                fname = osp.splitext(osp.basename(
                    meta['img_path']))[0] + '.json'
                mmengine.dump(
                    record, join_path(pred_out_dir, fname), indent='  ')
        return dict(result)

    def _finalize_video_processing(self, pred_out_dir: str = '') -> None:
        if self.video_info.get('writer') is not None:
            print_log(
                f'the output video has been saved at '
                f'{self.video_info["output_file"]}',
                logger='current',
                level=logging.INFO)
            self.video_info['writer'].release()
            self.video_info['writer'] = None
        if pred_out_dir:
            fname = osp.splitext(self.video_info['name'])[0] + '.json'
            mmengine.dump(self.video_info['predictions'],
                          join_path(pred_out_dir, fname), indent='  ')

