"""Check that a MAR config agrees with itself.

MAR configs are written as mmpose's: a child config that changes ``codec`` states again
everything built from it (``model.head.decoder``, the ``GenerateTarget`` encoder, the
``input_size`` of the transforms, the dataloaders' pipelines), because mmengine resolves a
base config once. Nothing rewrites a config at run time; :func:`check_config` only verifies
the agreement and names the two values that differ. ``tools/train.py``, ``tools/test.py`` and
:mod:`mmmar.apis` call it; a config read by plain mmengine / mmpose tools is used as it is
(and ``MARHead`` refuses a batch whose input size is not its decoder's).
"""
from typing import Any, Iterator, Tuple

__all__ = ['check_config']

#: the dataloaders whose datasets' pipelines are checked
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _dataset_pipelines(dataset: Any, where: str) -> Iterator[Tuple[str, Any]]:
    """``(name, pipeline)`` of a dataset config, its wrapped datasets included."""
    if not isinstance(dataset, dict):
        return
    if 'pipeline' in dataset:
        yield f'{where}.pipeline', dataset['pipeline']
    for key in ('dataset', 'datasets'):
        inner = dataset.get(key)
        if isinstance(inner, (list, tuple)):
            for i, d in enumerate(inner):
                yield from _dataset_pipelines(d, f'{where}.{key}[{i}]')
        else:
            yield from _dataset_pipelines(inner, f'{where}.{key}')


def _pipelines(cfg) -> Iterator[Tuple[str, Any]]:
    for key in ('train_pipeline', 'val_pipeline', 'test_pipeline'):
        if key in cfg:
            yield key, cfg[key]
    for key in DATALOADERS:
        loader = cfg.get(key)
        if isinstance(loader, dict):
            yield from _dataset_pipelines(loader.get('dataset'), f'{key}.dataset')


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _require_same(name_a: str, a: Any, name_b: str, b: Any) -> None:
    if not _same(a, b):
        raise ValueError(f'config: {name_a}={a!r} but {name_b}={b!r}; a config that changes '
                         'the codec must state it again in the decoder, the GenerateTarget '
                         "encoder and the transforms' input_size")


def _require_codec(name_ref: str, ref: dict, name: str, other: dict) -> None:
    """Every key of the codec ``other`` (and its type and sizes) equals the reference's; the
    reference may have more (decode-only options such as ``decode_root_thr``)."""
    first = ('type', 'input_size', 'heatmap_size')
    for key in first + tuple(sorted(set(other) - set(first))):
        _require_same(f'{name_ref}.{key}', ref.get(key), f'{name}.{key}', other.get(key))


def check_config(cfg) -> None:
    """Raise ``ValueError`` where the parts of a MAR config built from the codec disagree.

    The reference is ``model.head.decoder`` (the codec the model decodes with; the top-level
    ``codec`` when the head has none). Checked against it: the top-level ``codec``, every
    ``GenerateTarget`` encoder and every transform's ``input_size`` of the top-level
    pipelines and of the dataloaders' (wrapped) datasets. A config without either is left
    alone (not a MAR config).

    Args:
        cfg (Config | dict): The loaded config (``--cfg-options`` merged).

    Raises:
        ValueError: Names the two disagreeing fields and their values.
    """
    head = (cfg.get('model') or {}).get('head') or {}
    ref_name, ref = 'model.head.decoder', head.get('decoder')
    codec = cfg.get('codec')
    if not isinstance(ref, dict):
        ref_name, ref = 'codec', codec
    if not isinstance(ref, dict):
        return
    if isinstance(codec, dict) and ref is not codec:
        _require_codec(ref_name, ref, 'codec', codec)
    for name, pipeline in _pipelines(cfg):
        if not isinstance(pipeline, (list, tuple)):
            continue
        for i, t in enumerate(pipeline):
            if not isinstance(t, dict):
                continue
            where = f"{name}[{i}]({t.get('type')})"
            if t.get('type') == 'GenerateTarget' and isinstance(t.get('encoder'), dict):
                _require_codec(ref_name, ref, f'{where}.encoder', t['encoder'])
            if 'input_size' in t and 'input_size' in ref:
                _require_same(f'{ref_name}.input_size', ref['input_size'],
                              f'{where}.input_size', t['input_size'])
