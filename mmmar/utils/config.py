"""Re-resolve derived config fields after inheritance or ``--cfg-options``.

mmengine evaluates a base config once: a child that overrides ``codec`` (say, a smaller
``input_size``) still inherits pipelines, dataloaders and the head's decoder that were built
from the *base* codec. :func:`sync_config` propagates the top-level keys that MAR configs treat
as the single source of truth:

* ``codec`` -> ``model.head.decoder``, every ``GenerateTarget.encoder`` and the ``input_size`` of
  every transform that has one (``MARRandomAffine``, ``MARResizePad``, ...);
* ``train_pipeline`` / ``val_pipeline`` / ``test_pipeline`` -> ``pipeline`` of the matching
  dataloader's dataset (``test_pipeline`` falls back to ``val_pipeline``).

Explicit settings win over propagation: keys of ``model.head.decoder`` that ``codec`` does not
have (e.g. ``decode_root_thr`` set by a child config) are kept, and the ``overrides`` given to
:func:`sync_config` (the ``--cfg-options`` of ``tools/train.py`` / ``tools/test.py``, e.g.
``model.head.decoder.decode_root_thr=0.3`` or ``test_dataloader.dataset.pipeline.2.input_size``)
are applied again after the propagation, so nothing propagated overwrites them.

``tools/train.py``, ``tools/test.py`` and :mod:`mmmar.apis` call it; call it yourself when you
build a Runner from a MAR config in your own code.
"""
import copy
from typing import Any, Optional

from mmengine.config import Config, ConfigDict

__all__ = ['sync_config']

#: Which top-level pipeline feeds which dataloader.
PIPELINE_OF_DATALOADER = dict(
    train_dataloader='train_pipeline',
    val_dataloader='val_pipeline',
    test_dataloader=('test_pipeline', 'val_pipeline'))


def _sync_transforms(pipeline: Any, codec: dict) -> None:
    if not isinstance(pipeline, (list, tuple)):
        return
    for t in pipeline:
        if not isinstance(t, dict):
            continue
        if t.get('type') == 'GenerateTarget':
            t['encoder'] = copy.deepcopy(codec)
        if 'input_size' in t and 'input_size' in codec:
            t['input_size'] = tuple(codec['input_size'])


def _dataset_pipelines(dataset: Any):
    """Yield the pipelines of a dataset config, its wrapped datasets included."""
    if not isinstance(dataset, dict):
        return
    if 'pipeline' in dataset:
        yield dataset['pipeline']
    for key in ('dataset', 'datasets'):
        inner = dataset.get(key)
        for d in (inner if isinstance(inner, (list, tuple)) else [inner]):
            yield from _dataset_pipelines(d)


def sync_config(cfg: Config, overrides: Optional[dict] = None) -> Config:
    """Propagate ``codec`` and the top-level pipelines into the places built from them.

    Args:
        cfg (Config): A loaded MAR config (``overrides`` already merged or not); modified in
            place and returned.
        overrides (dict, optional): Explicit ``--cfg-options`` (dotted keys, as for
            ``Config.merge_from_dict``). They are merged again after the propagation so that
            they win; an override of a top-level pipeline also reaches its dataloader.
    """
    _propagate(cfg)
    if overrides:
        cfg.merge_from_dict(overrides)
        pipeline_keys = ('train_pipeline', 'val_pipeline', 'test_pipeline', 'codec')
        if any(str(k).split('.')[0] in pipeline_keys for k in overrides):
            # an overridden top-level pipeline / codec: propagate it, then let the explicit
            # dataloader / decoder overrides win again
            _propagate(cfg)
            cfg.merge_from_dict(overrides)
    return cfg


def _propagate(cfg: Config) -> None:
    """``codec`` and the top-level pipelines -> decoder, dataloaders (see module doc)."""
    for loader_key, pipe_keys in PIPELINE_OF_DATALOADER.items():
        loader = cfg.get(loader_key)
        if not isinstance(loader, dict) or 'dataset' not in loader:
            continue
        pipe_keys = pipe_keys if isinstance(pipe_keys, tuple) else (pipe_keys, )
        pipe_key = next((k for k in pipe_keys if k in cfg), None)
        if pipe_key is not None and 'pipeline' in loader['dataset']:
            loader['dataset']['pipeline'] = copy.deepcopy(cfg[pipe_key])

    codec = cfg.get('codec')
    if isinstance(codec, dict):
        codec = ConfigDict(codec)
        head = cfg.get('model', {}).get('head')
        if isinstance(head, dict) and 'decoder' in head:
            decoder = head['decoder'] if isinstance(head['decoder'], dict) else {}
            # the codec's keys win; decoder-only options (set explicitly) are kept
            extra = {k: v for k, v in decoder.items() if k not in codec}
            head['decoder'] = copy.deepcopy(codec)
            head['decoder'].update(copy.deepcopy(extra))
        for key in ('train_pipeline', 'val_pipeline', 'test_pipeline'):
            _sync_transforms(cfg.get(key), codec)
        for loader_key in PIPELINE_OF_DATALOADER:
            loader = cfg.get(loader_key)
            if isinstance(loader, dict):
                for pipeline in _dataset_pipelines(loader.get('dataset')):
                    _sync_transforms(pipeline, codec)
