"""Human3.6M metric: MRPE (+ x/y/z parts) and MPJPE, for Table 2 of the paper."""
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger
from mmpose.registry import METRICS

from mmmar.geometry import inverse_input_transform, transform_points
from mmmar.structures.skeleton import NUM_JOINTS
from mmmar.structures.utils import to_numpy
from ..functional import evaluate_h36m, select_single_person
from .utils import get_field, pred_keypoints, pred_scores


def _gt_people(ds: Any, img_id: Any) -> Tuple[List[np.ndarray], List[Optional[np.ndarray]]]:
    """The ground-truth people of a sample: (17, 3) mm and (17, >=2) original px (or None)
    each, from ``raw_ann_info`` or else ``gt_instances`` (see :class:`H36MMetric`)."""
    anns = get_field(ds, 'raw_ann_info')
    if anns is not None:
        anns = [anns] if isinstance(anns, dict) else list(anns)
        gt3 = [np.asarray(a['keypoints_cam'], np.float64).reshape(-1, 3) for a in anns]
        gt2 = [None if a.get('keypoints_img') is None else
               np.asarray(a['keypoints_img'], np.float64).reshape(NUM_JOINTS, -1)
               for a in anns]
        return gt3, gt2
    gi = get_field(ds, 'gt_instances')
    k3 = to_numpy(get_field(gi, 'keypoints_cam'))
    if k3 is None:
        raise KeyError(f'H36MMetric: image {img_id!r} has neither raw_ann_info '
                       'nor gt_instances.keypoints_cam')
    k3 = k3.reshape(-1, NUM_JOINTS, 3)
    k2 = to_numpy(get_field(gi, 'keypoints'))
    if k2 is None:
        return list(k3), [None] * len(k3)
    meta = ds.metainfo if hasattr(ds, 'metainfo') else ds
    # input px -> original px, the predictions' frame
    k2 = transform_points(k2[..., :2], inverse_input_transform(meta))
    return list(k3), list(k2.reshape(len(k3), NUM_JOINTS, -1))


def _pred_people(ds: Any, img_id: Any) -> Tuple[np.ndarray, Optional[np.ndarray],
                                                Optional[np.ndarray]]:
    """The predicted people of a sample: (N, 17, 3) mm, (N, 17, 2) original px or None, and
    the scores (N,) or None."""
    pred = get_field(ds, 'pred_instances')
    kp2, kp3 = pred_keypoints(pred, 'H36MMetric', img_id)
    return kp3, (kp2 if len(kp2) == len(kp3) else None), pred_scores(pred)


@METRICS.register_module()
class H36MMetric(BaseMetric):
    """MRPE, MRPE_x, MRPE_y, MRPE_z, MPJPE (root-relative), MPJPE_abs in mm.

    Ground truth per image: ``raw_ann_info`` (list of annotation dicts, or one dict) with
    ``keypoints_cam`` (17, 3) mm and optionally ``keypoints_img`` (17, 2) px of the original
    image; else ``gt_instances.keypoints_cam`` and ``gt_instances.keypoints`` (px of the
    network input, i.e. after the test transforms), which are mapped back to the original
    image with the inverse of the metainfo ``input_affine`` (the same map that takes the
    predictions there, see :class:`MARPoseEstimator`). Each ground-truth person is paired with
    one prediction (``pred_instances.keypoints_3d`` (N, 17, 3) mm): the one nearest in 2D (mean
    joint distance between ``pred_instances.keypoints``, original px, and the GT 2D pose),
    else the highest ``bbox_scores``/``scores``, else the first. A person with no
    prediction is counted in ``miss_rate`` (percent) and left out of the errors.

    Args:
        joints: joint indices for MPJPE (default all 17).
    """
    default_prefix = 'h36m'

    def __init__(self, joints: Optional[Sequence[int]] = None, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.joints = None if joints is None else list(joints)

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            img_id = get_field(ds, 'img_id')
            gt3, gt2 = _gt_people(ds, img_id)
            kp3, kp2, scores = _pred_people(ds, img_id)
            for g3, g2 in zip(gt3, gt2):
                if g3.shape != (NUM_JOINTS, 3):
                    raise ValueError(f'H36MMetric: image {img_id!r}: GT keypoints_cam must '
                                     f'be ({NUM_JOINTS}, 3), got {g3.shape}')
                k = select_single_person(g2, kp2, scores, len(kp3))
                self.results.append(dict(img_id=img_id, gt=g3,
                                         pred=None if k < 0 else kp3[k].astype(np.float64)))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        hit = [r for r in results if r['pred'] is not None]
        n_miss = len(results) - len(hit)
        if not hit:
            logger.warning('H36MMetric: no ground-truth person has a prediction')
            return dict(miss_rate=100.0 if results else 0.0)
        res = evaluate_h36m(np.stack([r['gt'] for r in hit]),
                            np.stack([r['pred'] for r in hit]), joints=self.joints)
        if n_miss:
            logger.warning(f'H36MMetric: {n_miss} of {len(results)} people have no '
                           'prediction; left out of MRPE/MPJPE')
        out = {k: float(v) for k, v in res.items() if k != 'num_samples'}
        out['miss_rate'] = 100.0 * n_miss / len(results)
        logger.info('H36MMetric: MRPE {MRPE:.1f} (x {MRPE_x:.1f}, y {MRPE_y:.1f}, z '
                    '{MRPE_z:.1f}) mm, MPJPE {MPJPE:.1f} mm; published MAR MRPE x/y/z: '
                    '18.8 / 22.9 / 68.8'.format(**out))
        return out
