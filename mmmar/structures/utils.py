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
