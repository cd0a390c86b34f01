"""Reading the fields of a data sample (a ``PoseDataSample`` or a plain dict) in the metrics."""
from typing import Any, Optional

import numpy as np

from mmmar.structures.utils import to_numpy


def get_field(d: Any, key: str, default: Any = None) -> Any:
    """``d[key]`` of a dict, ``d.key`` of a data element; ``default`` when absent or d is
    None."""
    if d is None:
        return default
    if isinstance(d, dict):
        return d.get(key, default)
    return getattr(d, key, default)


def pred_keypoints_2d(pred: Any) -> Optional[np.ndarray]:
    """The predicted 2D keypoints in px of the original image: ``transformed_keypoints``, else
    ``keypoints_2d`` of ``pred_instances``; None when neither is there."""
    kp2 = to_numpy(get_field(pred, 'transformed_keypoints'))
    if kp2 is None:
        kp2 = to_numpy(get_field(pred, 'keypoints_2d'))
    return kp2


def pred_scores(pred: Any) -> Optional[np.ndarray]:
    """The person scores of ``pred_instances``: ``bbox_scores``, else ``scores``, else None."""
    scores = get_field(pred, 'bbox_scores')
    if scores is None:
        scores = get_field(pred, 'scores')
    return to_numpy(scores)
