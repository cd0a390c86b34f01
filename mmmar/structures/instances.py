"""Reading the fields of MAR ``pred_instances`` / ``gt_instances`` as numpy arrays.

One home for the field conventions that the inferencer's JSON output
(:func:`mmmar.apis.pred_instances_to_dicts`) and the visualiser
(:func:`mmmar.visualization.instances_to_numpy`) both read:

* 2D joints (original-image px): ``transformed_keypoints``, else ``keypoints_2d``;
* 3D joints (camera space, mm): ``keypoints_3d`` (``keypoints_cam`` for ground truth);
* ``keypoints`` fills in whichever is missing according to its last dimension (mmpose's
  reduced data samples put either there).
"""
from typing import Optional, Sequence, Tuple

import numpy as np

from .utils import to_numpy

__all__ = ['first_field', 'instance_keypoints']

#: Fields of the 2D joints, in order of preference.
KEYPOINTS_2D_FIELDS = ('transformed_keypoints', 'keypoints_2d')


def first_field(instances, keys: Sequence[str]) -> Optional[np.ndarray]:
    """The first of ``keys`` that ``instances`` holds (not None), as numpy, else None.

    Args:
        instances (InstanceData | dict): Anything with ``.get(key)``.
        keys (Sequence[str]): Field names, in order of preference.
    """
    for key in keys:
        value = instances.get(key)
        if value is not None:
            return to_numpy(value)
    return None


def instance_keypoints(instances, keys_3d: Sequence[str] = ('keypoints_3d', )
                       ) -> Tuple[Optional[np.ndarray], Optional[np.ndarray]]:
    """``(2D joints (N, K, 2) or None, 3D joints (N, K, 3) or None)`` of ``instances``.

    Args:
        instances (InstanceData | dict): MAR instances (see the module docstring).
        keys_3d (Sequence[str]): Fields of the 3D joints, in order of preference.
            Defaults to ``('keypoints_3d', )``.

    Returns:
        tuple: The arrays as stored (dtype and shape unchanged); an (N, K, 3) / (N, K, 2)
        ``keypoints`` stands in for a missing 3D / 2D field.
    """
    kpts = to_numpy(instances.get('keypoints'))
    kpts2d = first_field(instances, KEYPOINTS_2D_FIELDS)
    kpts3d = first_field(instances, keys_3d)
    if kpts is not None and kpts.ndim == 3:
        if kpts.shape[-1] == 3 and kpts3d is None:
            kpts3d = kpts
        elif kpts.shape[-1] == 2 and kpts2d is None:
            kpts2d = kpts
    return kpts2d, kpts3d
