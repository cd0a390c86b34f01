"""The MAR bottom-up 3D multi-person pose estimator."""
from typing import Optional

import numpy as np
from mmengine.logging import print_log
from mmengine.structures import InstanceData
from mmpose.models.pose_estimators.bottomup import BottomupPoseEstimator
from mmpose.registry import MODELS
from mmpose.utils.typing import InstanceList, PixelDataList, SampleList

from mmmar.geometry import inverse_input_transform, transform_points
from mmmar.structures.utils import instance_data
from ..post_processors.fusion import empty_predictions

#: per-person fields of the predictions (design.md "Names along the inference path")
_PERSON_FIELDS = ('keypoints', 'keypoints_3d', 'keypoint_scores',
                  'keypoints_rel_depth', 'scores', 'bbox_scores', 'root_depth',
                  'root_depth_reg', 'root_depth_geo', 'sigma_reg', 'sigma_geo',
                  'geo_valid', 'bboxes')


@MODELS.register_module()
class MARPoseEstimator(BottomupPoseEstimator):
    """MAR (ACM MM 2022): HRNet + :class:`MARHead`.

    Same constructor as mmpose's :class:`BottomupPoseEstimator`. Training:
    the head reads the intrinsics ``metainfo['cam_param']['K']`` of every
    (input) image. Testing (``test_cfg``: ``flip_test``, ``shift_heatmap``,
    plus the head/codec's own options): the head returns input-image poses
    and this class

    - drops the people the fusion marked invalid (no valid root depth for
      its mode, non-finite 2D pose) and any person with a non-finite
      output, with a logged warning that names the reasons;
    - maps the 2D predictions (``keypoints``, ``bboxes``) to the original
      image with the inverse of ``metainfo['input_affine']`` (2x3, original
      -> input), as mmpose's bottom-up estimators do. Camera-space 3D is left
      unchanged: the input image's ``K`` (= ``A3 @ K_orig``) and the original
      ``K`` describe the same rays, so the back-projected points are already
      those of the original camera. Without ``input_affine`` mmpose's
      ``input_center``/``input_scale`` mapping is used;
    - writes ``pred_instances`` with the names of design.md ("Names along the
      inference path"): ``keypoints`` (N, 17, 2) original px (mmpose's
      meaning), ``keypoints_3d`` (N, 17, 3) camera mm, ``keypoint_scores``,
      ``keypoints_visible`` (= scores), ``keypoints_rel_depth`` (N, 17) mm,
      ``bbox_scores``, ``scores``, ``root_depth`` (fused), ``root_depth_reg``,
      ``root_depth_geo``, ``sigma_reg``, ``sigma_geo`` (N,) mm, ``geo_valid``
      and ``bboxes`` (N, 4) original px.
    """

    def add_pred_to_datasample(self, batch_pred_instances: InstanceList,
                               batch_pred_fields: Optional[PixelDataList],
                               batch_data_samples: SampleList) -> SampleList:
        assert len(batch_pred_instances) == len(batch_data_samples)
        for i, (pred, data_sample) in enumerate(
                zip(batch_pred_instances, batch_data_samples)):
            pred = drop_non_finite(pred, data_sample)
            to_orig = inverse_input_transform(data_sample.metainfo)
            # set_field: the fields keep their length (InstanceData's own
            # setattr re-checks it against every field)
            pred.set_field(transform_points(pred.keypoints, to_orig), 'keypoints')
            pred.set_field(transform_bboxes(pred.bboxes, to_orig), 'bboxes')
            pred.set_field(pred.keypoint_scores.copy(), 'keypoints_visible')
            data_sample.pred_instances = pred
            if batch_pred_fields is not None and \
                    i < len(batch_pred_fields) and \
                    batch_pred_fields[i] is not None:
                data_sample.pred_fields = batch_pred_fields[i]
        return batch_data_samples


def _sample_name(data_sample) -> str:
    meta = data_sample.metainfo
    return str(meta.get('img_path', meta.get('img_id', '<unknown sample>')))


def drop_non_finite(pred: InstanceData, data_sample) -> InstanceData:
    """Keep the people whose ``valid`` flag (set by :class:`MARDepthFusion`),
    if any, is set and whose every numeric field is finite; warn about the
    others with their reasons (the fusion's ``invalid_reason``, or
    "non-finite network outputs")."""
    n = len(pred.scores) if 'scores' in pred else 0
    if n == 0:
        return empty_predictions(_num_joints(pred))
    reasons = np.full(n, '', dtype=object)
    if 'valid' in pred:
        why = np.asarray(pred.invalid_reason, dtype=object) \
            if 'invalid_reason' in pred else np.full(n, 'invalid', object)
        bad = ~np.asarray(pred.valid, bool)
        reasons[bad] = [w or 'invalid' for w in why[bad]]
    finite = np.ones(n, bool)
    for key in _PERSON_FIELDS:
        if key in pred:
            v = np.asarray(pred.get(key))
            if v.dtype.kind == 'f' and not np.isfinite(v).all():
                finite &= np.isfinite(v.reshape(n, -1)).all(1)
    reasons[(reasons == '') & ~finite] = 'non-finite network outputs'
    keep = reasons == ''
    if not keep.all():
        counts = {}
        for r in reasons[~keep]:
            counts[r] = counts.get(r, 0) + 1
        detail = ', '.join(f'{c} with {r}' for r, c in sorted(counts.items()))
        print_log(
            f'MARPoseEstimator: dropped {int((~keep).sum())} of {n} people '
            f'in {_sample_name(data_sample)}: {detail}',
            logger='current', level=30)
    if not keep.any():
        return empty_predictions(_num_joints(pred))
    fields = {key: pred.get(key) for key in _PERSON_FIELDS if key in pred}
    if not keep.all():
        fields = {key: np.asarray(v)[keep] for key, v in fields.items()}
    return instance_data(**fields)


def _num_joints(pred: InstanceData) -> int:
    if 'keypoints_3d' in pred:
        return int(np.asarray(pred.keypoints_3d).shape[1])
    from mmmar.structures.skeleton import NUM_JOINTS
    return NUM_JOINTS


#: (x, y) columns of an xyxy box's 4 corners
_BOX_CORNERS = np.array([[0, 1], [2, 1], [0, 3], [2, 3]])


def transform_bboxes(bboxes: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Transform xyxy boxes by their 4 corners (exact for rotations too)."""
    bboxes = np.asarray(bboxes, np.float64).reshape(-1, 4)
    corners = bboxes[:, _BOX_CORNERS]  # (N, 4, 2) x0y0, x1y0, x0y1, x1y1
    c = transform_points(corners, M)
    return np.concatenate([c.min(1), c.max(1)], 1).astype(np.float32)
