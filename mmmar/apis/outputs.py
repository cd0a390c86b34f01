"""What :class:`mmmar.apis.MARInferencer` makes of the model's ``pred_instances``: the people
kept (score threshold, pose NMS) and their JSON-serialisable dicts."""
from typing import Any, Dict, List, Optional

from mmengine.structures import InstanceData

from mmmar.structures.instances import first_field, instance_keypoints
from mmmar.structures.utils import to_numpy

__all__ = ['SCALAR_FIELDS', 'pred_instances_to_dicts', 'filter_instances', 'prediction_record']

#: Per-person scalar fields copied from ``pred_instances`` when present.
SCALAR_FIELDS = ('root_depth', 'root_depth_reg', 'root_depth_geo', 'sigma_reg',
                 'sigma_geo')


def pred_instances_to_dicts(instances: Optional[InstanceData]
                            ) -> List[Dict[str, Any]]:
    """MAR ``pred_instances`` -> one JSON-serialisable dict per person.

    Keys (present when the model gives them), the names of ``pred_instances``
    (``docs/design.md``, "Names along the inference path"):

    - ``keypoints_3d``: (17, 3) camera space of the original image, mm;
    - ``keypoints``: (17, 2) original-image pixels;
    - ``keypoint_scores``: (17,);
    - ``root_depth`` (fused, Eq. 12), ``root_depth_reg`` (Eq. 5-6), ``root_depth_geo``
      (Eq. 7-8), ``sigma_reg``, ``sigma_geo``: float, mm;
    - ``bbox``: [x0, y0, x1, y1] original pixels; ``bbox_score``: float.
    """
    if instances is None:
        return []
    k2d, k3d = instance_keypoints(instances)
    scores = to_numpy(instances.get('keypoint_scores'))
    bboxes = to_numpy(instances.get('bboxes'))
    bbox_scores = first_field(instances, ('bbox_scores', 'scores'))
    scalars = {k: to_numpy(instances.get(k)) for k in SCALAR_FIELDS}
    n = max([len(a) for a in (k3d, k2d, scores, bboxes) if a is not None] or
            [0])
    out = []
    for i in range(n):
        person: Dict[str, Any] = {}
        if k3d is not None:
            person['keypoints_3d'] = k3d[i].astype(float).tolist()
        if k2d is not None:
            person['keypoints'] = k2d[i].astype(float).tolist()
        if scores is not None:
            person['keypoint_scores'] = scores[i].astype(float).tolist()
        for key, value in scalars.items():
            if value is not None:
                person[key] = float(value.reshape(-1)[i])
        if bboxes is not None:
            person['bbox'] = bboxes[i].reshape(4).astype(float).tolist()
        if bbox_scores is not None:
            person['bbox_score'] = float(bbox_scores.reshape(-1)[i])
        out.append(person)
    return out


def filter_instances(inst: InstanceData,
                     bbox_thr: Optional[float] = -1,
                     pose_based_nms: bool = False) -> InstanceData:
    """The people of ``inst`` with ``bbox_scores > bbox_thr`` (when ``bbox_thr > 0``), then,
    with ``pose_based_nms``, those kept by mmpose's ``nearby_joints_nms`` on the 2D joints.

    Args:
        inst (InstanceData): ``pred_instances`` of one image.
        bbox_thr (float, optional): Score threshold; None or <= 0 keeps everyone.
        pose_based_nms (bool): Apply pose NMS. Defaults to False.

    Returns:
        InstanceData: ``inst`` itself when it has no people, else the kept people.
    """
    n = len(to_numpy(inst.keypoints)) if 'keypoints' in inst else 0
    if n == 0:
        return inst
    if bbox_thr is not None and bbox_thr > 0 and 'bbox_scores' in inst:
        inst = inst[to_numpy(inst.bbox_scores).reshape(-1) > bbox_thr]
    if pose_based_nms and len(to_numpy(inst.keypoints)) > 1:
        from mmpose.evaluation.functional import nearby_joints_nms
        k2d = to_numpy(inst.keypoints)
        scores = to_numpy(inst.get('bbox_scores', inst.get('scores')))
        keep = nearby_joints_nms(
            [dict(keypoints=k2d[i][..., :2], score=scores[i]) for i in range(len(k2d))],
            num_nearby_joints_thr=k2d.shape[-2] // 3)
        inst = inst[list(keep)]
    return inst


def prediction_record(meta: dict, people: List[Dict[str, Any]]) -> Dict[str, Any]:
    """``dict(image_size=[W, H], intrinsics, instances=people)`` of one image (the JSON
    record of ``pred_out_dir``) from its data sample's metainfo."""
    h, w = meta.get('ori_shape', (None, None))[:2]
    return dict(image_size=[w, h], intrinsics=meta.get('intrinsics'), instances=people)
