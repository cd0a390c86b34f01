"""Inference with MAR models on images, folders, videos and webcams.

:class:`MARInferencer` has the API of mmpose's ``Pose2DInferencer`` / ``MMPoseInferencer``
(``inferencer(inputs, **kwargs)`` is a generator yielding one result dict per image / frame),
and differs in what it keeps and what it feeds the model:

* every MAR output is kept: per person ``keypoints_3d`` (17, 3) camera-space mm,
  ``keypoints`` (17, 2) original-image px, ``keypoint_scores`` (17,), ``root_depth``,
  ``root_depth_reg``, ``root_depth_geo``, ``sigma_reg``, ``sigma_geo`` (mm), ``bbox`` (4,) xyxy px,
  ``bbox_score`` (see :func:`pred_instances_to_dicts`);
* the camera intrinsics enter the test pipeline as ``cam_param=dict(K=...)`` (user-given or
  :func:`mmmar.apis.intrinsics.default_intrinsics`) and every result records which ``K`` was
  used and its source (``'user'`` / ``'default-fov60'``);
* the config is checked (:func:`mmmar.utils.check_config`) before anything is built;
* bad inputs raise :class:`MARInputError` naming the path; inside a folder / list, a bad file
  is logged, listed in ``result['failed']`` (and ``<pred_out_dir>/failed_inputs.json``) and
  the other files are still processed.

Plain ``MMPoseInferencer(pose2d=<MAR config>)`` cannot be routed here: mmpose hard-codes
``Pose2DInferencer`` there (no registry lookup, no config field). It feeds no intrinsics, so it
only runs when the config's test pipeline contains
:class:`mmmar.datasets.transforms.MARDefaultIntrinsics` (default 60-degree ``K``; otherwise the
MAR head raises a ``ValueError`` about ``cam_param``), and it returns mmpose's reduced dicts
(``keypoints`` = the 2D joints in original-image px, as for mmpose's own models,
``keypoint_scores``, ``bbox``, ``bbox_score``; the 3D ``keypoints_3d`` are left out). Use
``MARInferencer`` (same arguments; ``pose2d=`` / ``pose2d_weights=`` are accepted as aliases
of ``model=`` / ``weights=``).
"""
import logging
import os.path as osp
from collections import defaultdict
from functools import partial
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

import mmengine
import numpy as np
import torch
from mmengine.config import Config, ConfigDict
from mmengine.fileio import join_path
from mmengine.logging import print_log
from mmpose.apis.inferencers import Pose2DInferencer
from mmpose.registry import INFERENCERS
from mmpose.structures import PoseDataSample

from mmmar.structures.cam_param import cam_param_from_K
from .domain import synthetic_only_warning, training_data_of
from .inputs import InputType, MARInputError, inputs_to_list, read_input, report_failed_inputs
from .intrinsics import (DEFAULT_FOV_DEG, is_per_image_intrinsics, parse_intrinsics,
                         resolve_intrinsics)
from .model_setup import fallback_dataset_meta, prepare_inference_cfg, resolve_model_args
from .outputs import filter_instances, pred_instances_to_dicts, prediction_record

__all__ = ['MARInferencer', 'MARInputError', 'pred_instances_to_dicts']

ConfigType = Union[Config, ConfigDict]


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
            :func:`mmmar.utils.check_config`.
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

    preprocess_kwargs: set = {'bbox_thr', 'nms_thr', 'bboxes', 'intrinsics', 'cam_param'}
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

        model, weights = resolve_model_args(model, weights, pose2d, pose2d_weights)
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
        super().__init__(model=model, weights=weights, device=device, scope=scope,
                         det_model=None, det_weights=None, det_cat_ids=None,
                         show_progress=show_progress)

    # ------------------------------------------------------------------
    # building
    def _prepare_cfg(self, cfg: ConfigType) -> None:
        """check_config + MAR defaults, once, in place."""
        if self._cfg_prepared or not cfg:
            return
        prepare_inference_cfg(cfg, self._cfg_options)
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
        self.training_data = training_data_of(checkpoint)
        self._domain_warned = False
        if checkpoint is not None:
            _load_checkpoint_to_model(model, checkpoint)
            meta = checkpoint.get('meta', {}).get('dataset_meta')
        else:
            print_log('MARInferencer: no checkpoint given, the model is randomly initialised',
                      logger='current', level=logging.WARNING)
        model.dataset_meta = meta if isinstance(meta, dict) else fallback_dataset_meta(cfg)

    # ------------------------------------------------------------------
    # inputs
    def _inputs_to_list(self, inputs) -> Iterable:
        """Images / video frames to process (:func:`mmmar.apis.inputs.inputs_to_list`);
        raises :class:`MARInputError` for a missing path or a video that cannot be opened."""
        self._video_input = False
        self._input_is_collection = False
        stream, self._input_is_collection, video_info = inputs_to_list(inputs)
        if video_info is not None:
            self._video_input = True
            self.video_info = video_info
        return stream

    def _open_stream(self, inputs) -> Iterable:
        """:meth:`_inputs_to_list`, or the frames of a ``'webcam[:id]'`` camera."""
        self._video_input = False
        if not (isinstance(inputs, str) and inputs.startswith('webcam')):
            return self._inputs_to_list(inputs)
        stream = self._get_webcam_inputs(inputs)
        if not self._video_input:
            raise MARInputError(inputs, 'cannot open this camera')
        self._input_is_collection = False
        self.video_info['path'] = inputs
        return stream

    def intrinsics_for(self, img_path: str, width: int, height: int,
                       intrinsics: Any = None,
                       from_file: bool = True) -> Tuple[np.ndarray, str]:
        """``(K, source)`` for one image: the call's ``intrinsics``, else the
        constructor's, else the EXIF of the image file (only when ``from_file``: an array,
        e.g. a video or webcam frame, has no EXIF, and its stand-in name is not a file to
        read), else the default (``fov_deg``)."""
        value = intrinsics if intrinsics is not None else self.intrinsics
        name = img_path
        if self._video_input and isinstance(value, dict):
            name = self.video_info.get('path', self.video_info['name'])
        return resolve_intrinsics(value, name, width, height, self.fov_deg,
                                  use_exif=from_file)

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
        img, path = read_input(input, index)
        return [self._pipeline_one(img, path,
                                   intrinsics if intrinsics is not None else cam_param,
                                   from_file=isinstance(input, str))]

    def _warn_domain_once(self, input) -> None:
        """Warn (once per inferencer) when a model trained on synthetic data only
        (:func:`~mmmar.apis.domain.synthetic_only_warning`) gets another kind of input."""
        if getattr(self, '_domain_warned', True):
            return
        message = synthetic_only_warning(getattr(self, 'training_data', None), input)
        if message:
            self._domain_warned = True
            print_log(f'MARInferencer: {message}', logger='current', level=logging.WARNING)

    def _pipeline_one(self, img: np.ndarray, path: str, intrinsics: Any,
                      from_file: bool = True) -> dict:
        """The test pipeline's packed data of one image with its ``cam_param`` (the ``K`` of
        :meth:`intrinsics_for`; ``from_file`` False for an array input, whose ``path`` is a
        stand-in name); the data sample's metainfo records ``intrinsics``."""
        h, w = img.shape[:2]
        K, source = self.intrinsics_for(path, w, h, intrinsics, from_file)
        data_info = dict(img=img, img_path=path,
                         cam_param=cam_param_from_K(K, dtype=K.dtype))
        data_info.update(self.model.dataset_meta)
        data = self.pipeline(data_info)
        record = dict(K=K.astype(float).tolist(), source=source)
        if source.startswith('default'):
            record['fov_deg'] = self.fov_deg
        data['data_samples'].set_metainfo(
            dict(intrinsics=record, img_path=path, ori_shape=(h, w)))
        return data

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
            ds.pred_instances = filter_instances(ds.pred_instances, bbox_thr, pose_based_nms)
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
        batch_size = self._check_batch_size(batch_size)
        kwargs = self._call_kwargs(out_dir, kwargs)
        (preprocess_kwargs, forward_kwargs, visualize_kwargs,
         postprocess_kwargs) = self._dispatch_kwargs(**kwargs)
        self.update_model_visualizer_settings(**kwargs)
        forward_kwargs['bbox_thr'] = preprocess_kwargs.get('bbox_thr', -1)
        pred_out_dir = postprocess_kwargs.get('pred_out_dir', '')

        stream = self._open_stream(inputs)
        self.failed_inputs = []
        window_name = self.video_info['name'] if self._video_input else ''
        predict = partial(
            self._predict_batch,
            forward_kwargs=forward_kwargs,
            visualize_kwargs=dict(window_name=window_name, **visualize_kwargs),
            postprocess_kwargs=dict(return_datasamples=return_datasamples,
                                    **postprocess_kwargs))
        try:
            yield from self._stream_results(
                self._progress(stream), batch_size,
                preprocess_kwargs.get('intrinsics'), predict)
        finally:
            # also when the caller stops early (generator closed)
            self._end_call(pred_out_dir)

    def _check_batch_size(self, batch_size: Optional[int]) -> int:
        """The call's ``batch_size`` (default: the constructor's), checked >= 1."""
        batch_size = self.batch_size if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f'batch_size must be >= 1, got {batch_size!r}')
        return batch_size

    @staticmethod
    def _call_kwargs(out_dir: Optional[str], kwargs: dict) -> dict:
        """``out_dir`` as ``vis_out_dir`` / ``pred_out_dir`` defaults; ``cam_param`` as
        ``intrinsics`` (not both)."""
        if out_dir is not None:
            kwargs.setdefault('vis_out_dir', f'{out_dir}/visualizations')
            kwargs.setdefault('pred_out_dir', f'{out_dir}/predictions')
        if kwargs.get('cam_param') is not None:
            if kwargs.get('intrinsics') is not None:
                raise ValueError('give either intrinsics= or cam_param=')
            kwargs['intrinsics'] = kwargs.pop('cam_param')
        kwargs.pop('cam_param', None)
        return kwargs

    def _progress(self, stream: Iterable) -> Iterable[Tuple[int, Any]]:
        """``enumerate(stream)``, with a progress bar when ``show_progress``."""
        iterator = enumerate(stream)
        if self.show_progress:
            from rich.progress import track
            total = len(stream) if hasattr(stream, '__len__') else None
            iterator = track(iterator, total=total, description='Inference')
        return iterator

    def _stream_results(self, iterator: Iterable[Tuple[int, Any]], batch_size: int,
                        intrinsics: Any, predict: Callable) -> Iterable[dict]:
        """Read each input and run :meth:`_pipeline_one`; ``predict`` every ``batch_size``
        images. A bad input of a folder / list yields a ``failed`` result (after the
        pending images, to keep the input order); a single bad input raises."""
        pending: List[Tuple[np.ndarray, dict]] = []
        for index, item in iterator:
            try:
                img, path = read_input(item, index)
            except MARInputError as e:
                if not self._input_is_collection:
                    raise
                yield from predict(pending)  # keep the input order
                yield self._skip_input(e)
                continue
            self._warn_domain_once(item)
            pending.append((img, self._pipeline_one(img, path, intrinsics,
                                                    from_file=isinstance(item, str))))
            if len(pending) >= batch_size:
                yield from predict(pending)
        yield from predict(pending)

    def _predict_batch(self, pending: List[Tuple[np.ndarray, dict]], forward_kwargs: dict,
                       visualize_kwargs: dict, postprocess_kwargs: dict) -> Iterable[dict]:
        """Forward the pending ``(image, data)`` as one batch (emptying ``pending``); yield
        one visualised, post-processed result per image."""
        if not pending:
            return
        preds = self.forward(self.collate_fn([d for _, d in pending]), **forward_kwargs)
        batch = list(zip([img for img, _ in pending], preds))
        pending.clear()
        for img, pred in batch:
            visualization = self.visualize([img], [pred], **visualize_kwargs)
            results = self.postprocess([pred], visualization, **postprocess_kwargs)
            results['failed'] = []
            yield results

    def _skip_input(self, e: MARInputError) -> dict:
        """Record and log a bad input of a folder / list; its (empty) result."""
        rec = dict(img_path=e.path, error=e.reason)
        self.failed_inputs.append(rec)
        print_log(f'skipping {e}', logger='current', level=logging.WARNING)
        return dict(predictions=[], intrinsics=[], img_paths=[], visualization=[],
                    failed=[rec])

    def _end_call(self, pred_out_dir: str) -> None:
        """Close the video (writer, predictions JSON); report the failed inputs (log and
        ``<pred_out_dir>/failed_inputs.json``)."""
        if self._video_input:
            self._finalize_video_processing(pred_out_dir)
        report_failed_inputs(self.failed_inputs, pred_out_dir)

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
            result['predictions'].append(pred if return_datasamples else people)
            result['intrinsics'].append(meta.get('intrinsics'))
            result['img_paths'].append(meta.get('img_path'))
            if not pred_out_dir:
                continue
            record = prediction_record(meta, people)
            if self._video_input:
                record = dict(frame_id=len(self.video_info['predictions']), **record)
                self.video_info['predictions'].append(record)
            else:
                record = dict(img_path=meta.get('img_path'), **record)
                fname = osp.splitext(osp.basename(meta['img_path']))[0] + '.json'
                mmengine.dump(record, join_path(pred_out_dir, fname), indent='  ')
        return dict(result)

    def _finalize_video_processing(self, pred_out_dir: str = '') -> None:
        if self.video_info.get('writer') is not None:
            print_log(f'the output video has been saved at {self.video_info["output_file"]}',
                      logger='current', level=logging.INFO)
            self.video_info['writer'].release()
            self.video_info['writer'] = None
        if pred_out_dir:
            fname = osp.splitext(self.video_info['name'])[0] + '.json'
            mmengine.dump(self.video_info['predictions'],
                          join_path(pred_out_dir, fname), indent='  ')
