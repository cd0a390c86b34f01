"""Building :class:`mmmar.apis.MARInferencer`: its arguments, the config it builds from and
the dataset meta of a model whose checkpoint has none."""
import copy
import os.path as osp
from typing import Optional, Tuple, Union

from mmengine.config import Config, ConfigDict

__all__ = ['resolve_model_args', 'prepare_inference_cfg', 'fallback_dataset_meta']

ModelType = Union[str, Config, ConfigDict, dict, None]


def resolve_model_args(model: ModelType, weights: Optional[str], pose2d: ModelType,
                       pose2d_weights: Optional[str]) -> Tuple[ModelType, Optional[str]]:
    """``(model, weights)`` with the ``MMPoseInferencer`` aliases ``pose2d`` /
    ``pose2d_weights`` resolved and a config path read.

    Raises:
        ValueError: Both a name and its alias given.
        FileNotFoundError: A missing config or a missing local checkpoint.
    """
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
    return model, weights


def _mar_visualizer_cfg(vis) -> dict:
    """``vis`` when it builds a :class:`~mmmar.visualization.MARPose3DVisualizer`, else a
    ``MARPose3DVisualizer`` keeping its ``vis_backends``, ``save_dir`` and ``name``."""
    from mmpose.registry import VISUALIZERS

    from mmmar.visualization import MARPose3DVisualizer
    if not isinstance(vis, dict):
        return dict(type='MARPose3DVisualizer')
    vtype = vis.get('type')
    cls = vtype if isinstance(vtype, type) else VISUALIZERS.get(vtype)
    if cls is not None and issubclass(cls, MARPose3DVisualizer):
        return vis
    new = dict(type='MARPose3DVisualizer')
    for key in ('vis_backends', 'save_dir', 'name'):
        if key in vis:
            new[key] = vis[key]
    return new


def prepare_inference_cfg(cfg: Union[Config, ConfigDict],
                          cfg_options: Optional[dict] = None) -> None:
    """In place: merge ``cfg_options``, :func:`mmmar.utils.check_config`, default
    ``data_mode='bottomup'`` and a :class:`~mmmar.visualization.MARPose3DVisualizer`."""
    from mmmar.utils import check_config
    if cfg_options:
        if isinstance(cfg, Config):
            cfg.merge_from_dict(cfg_options)
        else:
            tmp = Config(copy.deepcopy(dict(cfg)))
            tmp.merge_from_dict(cfg_options)
            cfg.update(tmp._cfg_dict)
    check_config(cfg)
    if 'data_mode' not in cfg:
        cfg['data_mode'] = 'bottomup'
    vis = cfg.get('visualizer')
    new_vis = _mar_visualizer_cfg(vis)
    if new_vis is not vis:
        cfg['visualizer'] = new_vis


def fallback_dataset_meta(cfg) -> dict:
    """The dataset meta of the config's training set, else that of MuPoTS-3D (the MAR joint
    set)."""
    meta = None
    try:
        from mmpose.apis.inference import dataset_meta_from_config
        meta = dataset_meta_from_config(cfg, dataset_mode='train')
    except Exception:  # noqa: BLE001  (e.g. a relative from_file)
        meta = None
    if isinstance(meta, dict):
        return meta
    from mmpose.datasets.datasets.utils import parse_pose_metainfo

    import mmmar.datasets.metainfo as metainfo_pkg
    path = osp.join(osp.dirname(metainfo_pkg.__file__), 'mupots3d.py')
    return parse_pose_metainfo(dict(from_file=path))
