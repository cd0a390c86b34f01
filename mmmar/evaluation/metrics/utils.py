"""Reading the fields of a data sample (a ``PoseDataSample`` or a plain dict) in the metrics."""
from typing import Any, Optional, Tuple

import numpy as np

from mmmar.structures.skeleton import NUM_JOINTS
from mmmar.structures.utils import to_numpy


def get_field(d: Any, key: str, default: Any = None) -> Any:
    """``d[key]`` of a dict, ``d.key`` of a data element; ``default`` when absent or d is
    None."""
    if d is None:
        return default
    if isinstance(d, dict):
        return d.get(key, default)
    return getattr(d, key, default)


def pred_keypoints(pred: Any, who: str, img_id: Any) -> Tuple[np.ndarray, np.ndarray]:
    """The predicted joints of ``pred_instances``: ``keypoints`` (N, 17, 2) px of the original
    image and ``keypoints_3d`` (N, 17, 3) camera mm (``docs/design.md``, "Names along the
    inference path"); an empty or missing field is (0, 17, 2|3).

    Raises:
        ValueError: naming ``who``, the image and the field whose shape is not the
            contract's (e.g. 3D joints under ``keypoints``, the naming before issue 22).
    """
    out = []
    for key, dim in (('keypoints', 2), ('keypoints_3d', 3)):
        kp = to_numpy(get_field(pred, key))
        kp = np.zeros((0, NUM_JOINTS, dim)) if kp is None or kp.size == 0 else kp
        if kp.ndim != 3 or kp.shape[1:] != (NUM_JOINTS, dim):
            raise ValueError(f'{who}: image {img_id!r}: pred_instances.{key} must be '
                             f'(N, {NUM_JOINTS}, {dim}), got {kp.shape}')
        out.append(kp)
    return out[0], out[1]


def pred_scores(pred: Any) -> Optional[np.ndarray]:
    """The person scores of ``pred_instances``: ``bbox_scores``, else ``scores``, else None."""
    scores = get_field(pred, 'bbox_scores')
    if scores is None:
        scores = get_field(pred, 'scores')
    return to_numpy(scores)
