"""COCO keypoint AP of the 2D joints of MuPoTS-format predictions (xtcocotools' ``COCOeval``).

The 3D protocol (PCK_rel, ...) mixes the 2D and the depth halves of a pose; this scores the 2D
half alone with the standard OKS-based keypoint AP, so that a 2D-only control and the full
model can be compared. The 17 MuPoTS joints are not COCO's: the per-joint OKS sigmas are
COCO's where the joint is a COCO joint (shoulders, elbows, wrists, hips, knees, ankles),
CrowdPose's head / neck value (0.079) for head_top, neck and head, and the hip value (0.107)
for the pelvis and the spine (:data:`MUPOTS_OKS_SIGMAS`).

Ground truth: the MuPoTS JSON (``keypoints_img`` px, ``keypoints_vis``: 1 visible, else
unlabelled for OKS; ``area`` = the box area of the labelled joints when the file has none);
predictions: the records of a prediction dump (:mod:`.dump`) whose ``keypoints`` (2D) are in
original-image pixels, with ``scores`` (else 1).
"""
import contextlib
import io
from typing import Any, Dict, Mapping, Sequence

import numpy as np

from mmmar.structures.skeleton import JOINT_NAMES, NUM_JOINTS

__all__ = ['MUPOTS_OKS_SIGMAS', 'keypoint_ap_2d']

#: per-joint OKS sigmas of the 17 MuPoTS joints (see the module doc)
MUPOTS_OKS_SIGMAS = dict(
    head_top=0.079, neck=0.079, r_shoulder=0.079, r_elbow=0.072, r_wrist=0.062,
    l_shoulder=0.079, l_elbow=0.072, l_wrist=0.062, r_hip=0.107, r_knee=0.087, r_ankle=0.089,
    l_hip=0.107, l_knee=0.087, l_ankle=0.089, pelvis=0.107, spine=0.107, head=0.079)

#: the numbers :func:`keypoint_ap_2d` returns, in ``COCOeval.stats`` order
STAT_NAMES = ('AP', 'AP50', 'AP75', 'AP_M', 'AP_L', 'AR', 'AR50', 'AR75', 'AR_M', 'AR_L')


def _coco_gt(gt: Mapping[str, Any]) -> dict:
    images = [dict(id=img['id'], width=img.get('width', 0), height=img.get('height', 0),
                   file_name=img.get('file_name', '')) for img in gt['images']]
    anns = []
    for a in gt['annotations']:
        xy = np.asarray(a['keypoints_img'], np.float64).reshape(NUM_JOINTS, -1)[:, :2]
        vis = np.asarray(a.get('keypoints_vis', np.ones(NUM_JOINTS)), np.float64).reshape(-1)
        labelled = vis > 0
        if labelled.any():
            lo, hi = xy[labelled].min(0), xy[labelled].max(0)
            box_area = float(np.prod(np.maximum(hi - lo, 1.0)))
        else:
            box_area = 0.
        kps = np.concatenate([xy, np.where(labelled, 2., 0.)[:, None]], 1)
        anns.append(dict(id=len(anns) + 1, image_id=a['image_id'], category_id=1,
                         keypoints=kps.reshape(-1).tolist(), num_keypoints=int(labelled.sum()),
                         area=float(a.get('area') or box_area), bbox=a.get('bbox', [0, 0, 0, 0]),
                         iscrowd=int(a.get('iscrowd', 0))))
    return dict(images=images, annotations=anns,
                categories=[dict(id=1, name='person', keypoints=list(JOINT_NAMES),
                                 skeleton=[])])


def _coco_results(records: Sequence[Mapping[str, Any]]) -> list:
    results = []
    for rec in records:
        k2 = np.asarray(rec['keypoints'], np.float64).reshape(-1, NUM_JOINTS, 2)
        scores = rec.get('scores')
        scores = np.ones(len(k2)) if scores is None or len(scores) != len(k2) else scores
        for p, s in zip(k2, np.asarray(scores, np.float64)):
            kps = np.concatenate([p, np.ones((NUM_JOINTS, 1))], 1)
            results.append(dict(image_id=rec['img_id'], category_id=1,
                                keypoints=kps.reshape(-1).tolist(), score=float(s)))
    return results


def keypoint_ap_2d(gt: Mapping[str, Any], records: Sequence[Mapping[str, Any]],
                   sigmas: Mapping[str, float] = MUPOTS_OKS_SIGMAS) -> Dict[str, float]:
    """OKS keypoint AP / AR (percent) of the predictions' 2D joints.

    Args:
        gt: The loaded MuPoTS JSON (``images``, ``annotations``).
        records: Prediction records (``img_id``, ``keypoints`` (N, 17, 2) px, optional
            ``scores`` (N,)), e.g. :func:`~mmmar.evaluation.functional.load_predictions`.
        sigmas: Per-joint OKS sigma by joint name.

    Returns:
        dict: :data:`STAT_NAMES` -> value in [0, 100] (-100 where COCOeval has no people of
        that size), and ``num_predictions``.
    """
    from xtcocotools.coco import COCO
    from xtcocotools.cocoeval import COCOeval
    missing = [j for j in JOINT_NAMES if j not in sigmas]
    if missing:
        raise KeyError(f'keypoint_ap_2d: no OKS sigma for joints {missing}')
    results = _coco_results(records)
    quiet = contextlib.redirect_stdout(io.StringIO())
    with quiet:
        coco = COCO()
        coco.dataset = _coco_gt(gt)
        coco.createIndex()
        stats = np.full(len(STAT_NAMES), 0.)
        if results:
            dets = coco.loadRes(results)
            ev = COCOeval(coco, dets, 'keypoints', np.array([sigmas[j] for j in JOINT_NAMES]),
                          use_area=True)
            ev.params.useSegm = None
            ev.evaluate()
            ev.accumulate()
            ev.summarize()
            stats = np.asarray(ev.stats[:len(STAT_NAMES)], np.float64)
    out = {k: float(v) * 100 for k, v in zip(STAT_NAMES, stats)}
    out['num_predictions'] = len(results)
    return out
