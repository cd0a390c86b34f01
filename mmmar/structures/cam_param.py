"""The ``cam_param`` dict of the data contract: ``dict(K, f, c)``, ``K`` authoritative.

Every place that builds one (datasets, transforms, the inferencer, the default-intrinsics
transform) calls :func:`cam_param_from_K`, so that the three fields always agree.
"""
import numpy as np


def cam_param_from_K(K, dtype=np.float32) -> dict:
    """``dict(K=(3, 3) array of dtype, f=(fx, fy), c=(cx, cy))`` from a 3x3 ``K``.

    Args:
        K (array-like): (3, 3) pinhole intrinsics.
        dtype: dtype of the stored ``K`` (``np.float32``, as the datasets store it; the
            inferencer keeps the float64 it was given).
    """
    K = np.asarray(K, dtype=np.float64).reshape(3, 3)
    return dict(K=K.astype(dtype), f=(float(K[0, 0]), float(K[1, 1])),
                c=(float(K[0, 2]), float(K[1, 2])))


def make_cam_param(fx, fy, cx, cy, dtype=np.float32) -> dict:
    """:func:`cam_param_from_K` of ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]``."""
    return cam_param_from_K([[fx, 0., cx], [0., fy, cy], [0., 0., 1.]], dtype)
