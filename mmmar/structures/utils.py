"""Small conversions shared by every layer (no torch import needed)."""
from typing import Optional

import numpy as np


def to_numpy(x, float32: bool = False) -> Optional[np.ndarray]:
    """A tensor (any device, grad or not) or array-like as a numpy array; ``None`` stays.

    Args:
        x: ``torch.Tensor``, ``np.ndarray``, list or scalar, or ``None``.
        float32 (bool): cast floating tensors to float32 first (half and bfloat16 tensors,
            which numpy cannot hold or decode code should not see). bfloat16 is always cast.
    """
    if x is None:
        return None
    if hasattr(x, 'detach'):
        t = x.detach()
        if t.is_floating_point() and (float32 or str(t.dtype) == 'torch.bfloat16'):
            t = t.float()
        return t.cpu().numpy()
    return np.asarray(x)


def instance_data(**fields):
    """An mmengine ``InstanceData`` of per-instance ``fields`` that all have the same length.

    Same result as ``InstanceData(**fields)``, whose per-field length check re-reads every
    field already set (quadratic in the number of fields, about 120 us for 15 fields against
    6 us here); the lengths are checked once instead.

    Raises:
        ValueError: naming the fields whose length differs from the first one's.
    """
    from mmengine.structures import InstanceData
    out = InstanceData()
    if not fields:
        return out
    lengths = {k: len(v) for k, v in fields.items()}
    n = next(iter(lengths.values()))
    wrong = {k: m for k, m in lengths.items() if m != n}
    if wrong:
        raise ValueError(f'instance_data: every field needs length {n} (that of '
                         f'{next(iter(lengths))!r}), got {wrong}')
    for k, v in fields.items():
        out.set_field(v, k)
    return out
