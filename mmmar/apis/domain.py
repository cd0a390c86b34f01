"""What a checkpoint was trained on, and whether an input is of that kind.

A release checkpoint records its training data in ``meta['training_data'] = dict(kind,
description)`` (``tools/misc/publish_model.py``). The small model shipped in
``demo/checkpoints/`` saw only the synthetic benchmark's rendered capsule figures: on real
photos its output means nothing, and :class:`~mmmar.apis.MARInferencer` says so once.
"""
import glob
import os.path as osp
from typing import Any, Optional

__all__ = ['training_data_of', 'is_synthetic_benchmark_image', 'synthetic_only_warning']


def training_data_of(checkpoint: Optional[dict]) -> Optional[dict]:
    """``meta['training_data']`` of a loaded checkpoint dict (None when it records none)."""
    meta = (checkpoint or {}).get('meta') or {}
    data = meta.get('training_data')
    return dict(data) if isinstance(data, dict) else None


def is_synthetic_benchmark_image(path: Any, levels: int = 3) -> bool:
    """Whether ``path`` is an image file of a dataset written by mmmar's synthetic generator:
    one of its first ``levels`` parent folders holds ``annotations/synthetic_*.json``
    (the generator's layout ``<root>/images/TS*/img_*.jpg``). Arrays (video frames) are not."""
    if not isinstance(path, str) or not osp.isfile(path):
        return False
    folder = osp.dirname(osp.abspath(path))
    for _ in range(levels):
        if glob.glob(osp.join(folder, 'annotations', 'synthetic_*.json')):
            return True
        folder = osp.dirname(folder)
    return False


def synthetic_only_warning(training_data: Optional[dict], input: Any) -> Optional[str]:
    """The warning to give when a checkpoint trained on synthetic data only is run on
    ``input`` that is not from the synthetic benchmark, else None."""
    if not training_data or training_data.get('kind') != 'synthetic':
        return None
    if is_synthetic_benchmark_image(input):
        return None
    what = training_data.get('description') or 'synthetic data'
    return (f'this checkpoint was trained only on synthetic images ({what}); on other '
            'images (real photos, videos) its people, poses and depths are not meaningful. '
            'Train or fine-tune on real data (README, "From clone to your own data").')
