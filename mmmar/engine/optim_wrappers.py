"""Mixed precision on any device: :class:`AutocastOptimWrapper`.

mmengine's ``AmpOptimWrapper`` asserts a CUDA / NPU / MLU device (it builds a CUDA
``GradScaler``), so it cannot train in bfloat16 on a CPU. bfloat16 has float32's exponent
range: it needs no loss scaling, only ``torch.autocast`` around the forward pass. On CPUs with
AVX-512 BF16 a training step of the small MAR model takes about 0.4x the float32 time
(``docs/ablation.md``, "Training speed").
"""
from contextlib import contextmanager
from typing import Union

import torch
from mmengine.optim import OptimWrapper
from mmpose.registry import OPTIM_WRAPPERS
from torch import nn

__all__ = ['AutocastOptimWrapper']


@OPTIM_WRAPPERS.register_module()
class AutocastOptimWrapper(OptimWrapper):
    """An ``OptimWrapper`` whose forward pass runs under ``torch.autocast`` on the model's
    device (CPU or GPU), without loss scaling. Config::

        optim_wrapper = dict(type='AutocastOptimWrapper', dtype='bfloat16',
                             optimizer=dict(type='Adam', lr=2e-3))

    Args:
        dtype (str | torch.dtype): ``'bfloat16'`` (default; no scaling needed) or
            ``'float16'`` (CUDA only here: float16 needs loss scaling, use mmengine's
            ``AmpOptimWrapper`` for it).
        **kwargs: ``OptimWrapper``'s arguments (``optimizer``, ``clip_grad``,
            ``accumulative_counts``).
    """

    def __init__(self, dtype: Union[str, torch.dtype] = 'bfloat16', **kwargs):
        super().__init__(**kwargs)
        if isinstance(dtype, str):
            if dtype not in ('bfloat16', 'float16'):
                raise ValueError(f'AutocastOptimWrapper: dtype must be "bfloat16" or '
                                 f'"float16", got {dtype!r}')
            dtype = getattr(torch, dtype)
        self.cast_dtype = dtype

    @contextmanager
    def optim_context(self, model: nn.Module):
        """The parent's context (gradient accumulation) plus autocast on the device of the
        model's parameters."""
        param = next(model.parameters(), None)
        device_type = param.device.type if param is not None else 'cpu'
        if device_type == 'cpu' and self.cast_dtype == torch.float16:
            raise ValueError('AutocastOptimWrapper: float16 on the CPU is not supported '
                             '(use dtype="bfloat16")')
        with super().optim_context(model), torch.autocast(device_type=device_type,
                                                          dtype=self.cast_dtype):
            yield
