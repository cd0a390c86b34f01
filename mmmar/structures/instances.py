"""Reading the joints of MAR ``pred_instances`` / ``gt_instances`` as numpy arrays.

One home for the field names that the inferencer's JSON output
(:func:`mmmar.apis.pred_instances_to_dicts`) and the visualiser
(:func:`mmmar.visualization.instances_to_numpy`) both read (``docs/design.md``, "Names
along the inference path"):

* 2D joints (pixels): ``keypoints`` (N, K, 2), in predictions and ground truth alike;
* 3D joints (camera space, mm): ``keypoints_3d`` (predictions), ``keypoints_cam`` (ground
  truth, the data contract's name).

Nothing is guessed from a shape: a ``keypoints`` that is not (N, K, 2) raises.
"""
from typing import Optional, Sequence, Tuple

import numpy as np

from .utils import to_numpy

__all__ = ['first_field', 'instance_keypoints']


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
        tuple: ``keypoints`` and the first of ``keys_3d``, as stored (dtype and shape
        unchanged).

    Raises:
        ValueError: ``keypoints`` is not (N, K, 2) (e.g. 3D joints stored under it, the
            naming of mmmar before issue 22).
    """
    kpts2d = to_numpy(instances.get('keypoints'))
    if kpts2d is not None and kpts2d.size and (kpts2d.ndim != 3 or kpts2d.shape[-1] != 2):
        raise ValueError(
            f'`keypoints` must be the 2D joints (N, K, 2) in pixels, got shape '
            f'{kpts2d.shape}; the 3D joints are `keypoints_3d` (predictions) or '
            '`keypoints_cam` (ground truth) (docs/design.md, "Names along the inference '
            'path")')
    return kpts2d, first_field(instances, keys_3d)
