"""Re-resolve derived config fields after inheritance or ``--cfg-options``.

mmengine evaluates a base config once: a child that overrides ``codec`` (say, a smaller
``input_size``) still inherits pipelines, dataloaders and the head's decoder that were built
from the *base* codec. :func:`sync_config` propagates the top-level keys that MAR configs treat
as the single source of truth:

* ``codec`` -> ``model.head.decoder``, every ``GenerateTarget.encoder`` and the ``input_size`` of
  every transform that has one (``MARRandomAffine``, ``MARResizePad``, ...);
* ``train_pipeline`` / ``val_pipeline`` / ``test_pipeline`` -> ``pipeline`` of the matching
  dataloader's dataset (``test_pipeline`` falls back to ``val_pipeline``).

``tools/train.py``, ``tools/test.py`` and :mod:`mmmar.apis` call it; call it yourself when you
build a Runner from a MAR config in your own code.
"""
import copy
from typing import Any

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


def sync_config(cfg: Config) -> Config:
    """Propagate ``codec`` and the top-level pipelines into the places built from them.

    Args:
        cfg (Config): A loaded MAR config; modified in place and returned.
    """
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
            head['decoder'] = copy.deepcopy(codec)
        for key in ('train_pipeline', 'val_pipeline', 'test_pipeline'):
            _sync_transforms(cfg.get(key), codec)
        for loader_key in PIPELINE_OF_DATALOADER:
            loader = cfg.get(loader_key)
            if isinstance(loader, dict):
                for pipeline in _dataset_pipelines(loader.get('dataset')):
                    _sync_transforms(pipeline, codec)
    return cfg
