"""Half-precision inference: one rule for the inferencer, ``tools/test.py`` and the
benchmark.

The network runs under ``torch.autocast`` in float16 on CUDA and in bfloat16 on CPU
(float16 autocast is not the fast path of CPUs, and older CPU builds lack it);
everything after the network (the decode, the depth fusion, the back-projection) reads the
maps as float32.
"""
from contextlib import nullcontext

import torch


def half_dtype(device_type: str) -> torch.dtype:
    """The half-precision dtype used on ``device_type`` (``'cuda'``, ``'cpu'``, ...)."""
    return torch.float16 if device_type == 'cuda' else torch.bfloat16


def autocast_context(device_type: str, enabled: bool = True):
    """``torch.autocast`` in :func:`half_dtype` on ``device_type`` when ``enabled``, else
    a no-op context."""
    if not enabled:
        return nullcontext()
    if device_type not in ('cuda', 'cpu'):
        raise ValueError(f'half precision: unsupported device type {device_type!r} '
                         "(expected 'cuda' or 'cpu')")
    return torch.autocast(device_type=device_type, dtype=half_dtype(device_type))
