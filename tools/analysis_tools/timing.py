# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""Timing helpers shared by the analysis tools (``benchmark.py``, ``batch_bench.py``,
``decode_bench.py``): a CUDA-synchronised wall clock, the half-precision context, median /
min-max summaries and their formatting, and the machine's description."""
import os
import platform
import statistics
import time
from contextlib import nullcontext

import torch

__all__ = ['Clock', 'autocast', 'summary', 'fmt', 'machine_description']


class Clock:
    """Wall-clock of one call, synchronised on CUDA."""

    def __init__(self, device: str):
        self.cuda = str(device).startswith('cuda')

    def sync(self):
        if self.cuda:
            torch.cuda.synchronize()

    def __call__(self, fn, *args, **kwargs):
        """``(fn(*args, **kwargs), seconds)``."""
        self.sync()
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        self.sync()
        return out, time.perf_counter() - t0


def autocast(device: str, precision: str):
    """fp16 = autocast in float16 on CUDA, bfloat16 on CPU (:mod:`mmmar.utils.precision`)."""
    if precision == 'fp16':
        from mmmar.utils.precision import autocast_context
        return autocast_context(torch.device(device).type)
    return nullcontext()


def summary(seconds):
    """Median, min, max (ms) and count of a list of durations in seconds."""
    ms = [s * 1e3 for s in seconds]
    return dict(median=statistics.median(ms), min=min(ms), max=max(ms), n=len(ms))


def fmt(s, digits=1):
    """``'median (min-max)'`` of a :func:`summary`; ``'-'`` for None."""
    if s is None:
        return '-'
    return f'{s["median"]:.{digits}f} ({s["min"]:.{digits}f}-{s["max"]:.{digits}f})'


def machine_description(device):
    """The GPU and CUDA version, or the CPU model, cores and torch threads."""
    if str(device).startswith('cuda'):
        return f'{torch.cuda.get_device_name(0)}, CUDA {torch.version.cuda}'
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    return (f'{os.cpu_count()}-core {platform.machine()} CPU ({cpu}), '
            f'{torch.get_num_threads()} torch threads')
