"""MuPoTS-3D metric (mmengine ``BaseMetric``), a thin wrapper over
:func:`mmmar.evaluation.functional.evaluate_mupots` (the official MATLAB protocol)."""
import json
import os
import os.path as osp
from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from mmengine.evaluator import BaseMetric
from mmengine.logging import MMLogger, print_log
from mmpose.registry import METRICS

from mmmar.structures.utils import to_numpy
from ..functional import (MATCH_THR, PCK_THR, PCOD_THR, ROOT_THR, check_record, dump_predictions,
                          evaluate_mupots, format_joint_table, format_sequence_table, format_table1,
                          gt_frame_from_anns, load_mupots_gt, predictions_to_frames,
                          seq_name_from_path, to_jsonable)
from .utils import get_field, pred_keypoints, pred_scores


def _file_name(path: Optional[str]) -> Optional[str]:
    if not path:
        return None
    parts = str(path).replace('\\', '/').split('/')
    return '/'.join(parts[-2:])


def prediction_record(ds, who: str = 'metric') -> Dict[str, Any]:
    """One data sample -> a checked prediction record of the dump format."""
    pred = get_field(ds, 'pred_instances')
    if pred is None:
        raise KeyError(f'{who}: a data sample has no pred_instances')
    img_id = get_field(ds, 'img_id')
    if img_id is None:
        raise KeyError(f'{who}: a data sample has no img_id in its metainfo')
    if isinstance(img_id, np.generic):
        img_id = img_id.item()
    kp2, kp3 = pred_keypoints(pred, who, img_id)
    img_path = get_field(ds, 'img_path')
    rec = dict(img_id=img_id,
               seq_name=get_field(ds, 'seq_name') or seq_name_from_path(img_path),
               file_name=_file_name(img_path),
               keypoints=kp2, keypoints_3d=kp3, scores=pred_scores(pred),
               root_depth=to_numpy(get_field(pred, 'root_depth')))
    # shapes are checked here so that a wrong joint count fails at its image
    return check_record(rec)


@METRICS.register_module()
class MuPoTSMetric(BaseMetric):
    """MuPoTS-3D 3DPCK (relative/absolute, all/matched), AUC, PCK_root, PCOD, MPJPE.

    Rules: see :mod:`mmmar.evaluation.functional.mupots_protocol` (greedy 2D matching in a 40 px
    box, bone rescaling to the ground truth, 14 joints < 150 mm, per-sequence averaging).

    Predictions are read from ``data_sample['pred_instances']``: ``keypoints`` (N, 17, 2) px of
    the original image, ``keypoints_3d`` (N, 17, 3) mm camera space. Ground truth comes from
    ``ann_file`` (the MuPoTS JSON; frames without any prediction then count as all-missed)
    or, without it, from each sample's ``raw_ann_info`` + metainfo ``img_id``/``seq_name``
    (3D = the universal joints, ``keypoints_univ`` or MuPoTS's own ``univ_annot3``, when every
    annotation has them, else ``keypoints_cam``).

    Args:
        ann_file: MuPoTS JSON, optional (see above).
        rescale_bones: map matched predictions to the GT bone lengths first (official: True).
        prefer_univ: use the universal joints (``keypoints_univ``, or ``univ_annot3``) as the
            3D ground truth when present.
        outfile_prefix: write the full report to ``{outfile_prefix}.mupots_eval.json``.
        work_dir: when no ``outfile_prefix``, write ``{work_dir}/mupots_eval.json``.
        dump_file: also write the predictions as a dump (``.json`` / ``.json.gz``) that
            ``tools/analysis_tools/eval_mupots.py`` can rescore.
        match_thr, pck_thr, root_thr, pcod_thr: protocol thresholds (official defaults).
        dataset_name: The data evaluated on, for the logged Table 1: the published SMAP and
            MAR rows are printed beside MuPoTS-3D results only. None: the evaluated
            dataset's ``data_source`` (``dataset_meta``, e.g. 'mupots3d', 'synthetic').

    Metric keys (prefix ``mupots/``): ``PCK_rel_all, PCK_abs_all, PCK_root_all, PCOD_all,
    PCK_rel_matched, PCK_abs_matched, PCK_root_matched, PCOD_matched, AUC_rel_all,
    AUC_abs_all, AUC_rel_matched, AUC_abs_matched, MPJPE_rel, MPJPE_abs`` (keys whose value is
    undefined are left out and the reason is logged). The full results (with per-sequence
    and per-joint tables) stay in ``self.last_results``.
    """
    default_prefix = 'mupots'

    def __init__(self,
                 ann_file: Optional[str] = None,
                 rescale_bones: bool = True,
                 prefer_univ: bool = True,
                 outfile_prefix: Optional[str] = None,
                 work_dir: Optional[str] = None,
                 dump_file: Optional[str] = None,
                 match_thr: float = MATCH_THR,
                 pck_thr: float = PCK_THR,
                 root_thr: float = ROOT_THR,
                 pcod_thr: float = PCOD_THR,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None,
                 dataset_name: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.dataset_name = dataset_name
        self.ann_file = ann_file
        self.rescale_bones = rescale_bones
        self.prefer_univ = prefer_univ
        self.outfile_prefix = outfile_prefix
        self.work_dir = work_dir
        self.dump_file = dump_file
        self.thr = dict(match_thr=match_thr, pck_thr=pck_thr, root_thr=root_thr,
                        pcod_thr=pcod_thr)
        self.last_results: Optional[Dict[str, Any]] = None

    # ------------------------------------------------------------------------------------
    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            rec = prediction_record(ds, 'MuPoTSMetric')
            img_id = rec['img_id']
            if self.ann_file is None:
                anns = get_field(ds, 'raw_ann_info')
                if anns is None:
                    raise KeyError(
                        f'MuPoTSMetric: image {img_id!r} has no raw_ann_info; pass ann_file= '
                        'or keep raw_ann_info in the data samples')
                if isinstance(anns, dict):
                    anns = [anns]
                frame, src = gt_frame_from_anns(anns, self.prefer_univ)
                rec['gt'] = frame
                rec['gt_source'] = src
            self.results.append(rec)

    # ------------------------------------------------------------------------------------
    def _gt_from_results(self, results: List[dict]):
        gt_frames, img_index, sources = {}, {}, {'keypoints_univ': 0, 'keypoints_cam': 0}
        for r in results:
            seq = r.get('seq_name')
            if seq is None:
                raise ValueError(f'MuPoTSMetric: cannot tell the sequence of image '
                                 f'{r["img_id"]!r} (no seq_name and no TS<k> in its path)')
            if r['img_id'] in img_index:
                raise ValueError(f'MuPoTSMetric: image id {r["img_id"]!r} evaluated twice')
            img_index[r['img_id']] = (seq, r.get('file_name'))
            gt_frames.setdefault(seq, {})[r['img_id']] = r['gt']
            if r.get('gt_source'):
                sources[r['gt_source']] += 1
        return gt_frames, img_index, sources

    def compute_metrics(self, results: list) -> Dict[str, float]:
        logger = MMLogger.get_current_instance()
        if self.ann_file is not None:
            gt_frames, img_index, sources = load_mupots_gt(self.ann_file, self.prefer_univ)
        else:
            gt_frames, img_index, sources = self._gt_from_results(results)
        if sources['keypoints_cam']:
            logger.warning(f'MuPoTSMetric: {sources["keypoints_cam"]} frame(s) use '
                           'keypoints_cam as the 3D ground truth (no keypoints_univ); the '
                           'official protocol uses univ_annot3')
        else:
            logger.info('MuPoTSMetric: 3D ground truth = keypoints_univ (univ_annot3)')
        pred_frames = predictions_to_frames(results, img_index)

        if self.dump_file:
            os.makedirs(osp.dirname(osp.abspath(self.dump_file)), exist_ok=True)
            dump_predictions(self.dump_file,
                             [{k: v for k, v in r.items() if k not in ('gt', 'gt_source')}
                              for r in results],
                             meta=dict(ann_file=self.ann_file))
            logger.info(f'MuPoTSMetric: predictions dumped to {self.dump_file}')

        res = evaluate_mupots(gt_frames, pred_frames, rescale_bones=self.rescale_bones,
                              **self.thr)
        res['config']['gt_3d_source'] = sources
        self.last_results = res
        for msg in res['messages']:
            logger.warning(f'MuPoTSMetric: {msg}')
        print_log('\n' + format_sequence_table(res), logger=logger)
        print_log('\n' + format_joint_table(res), logger=logger)
        dataset = self.dataset_name or (self.dataset_meta or {}).get('data_source')
        print_log('\n' + format_table1(res, dataset=dataset), logger=logger)

        out = None
        if self.outfile_prefix:
            out = f'{self.outfile_prefix}.mupots_eval.json'
        elif self.work_dir:
            out = osp.join(self.work_dir, 'mupots_eval.json')
        if out:
            os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
            with open(out, 'w') as f:
                json.dump(to_jsonable(res), f, indent=1)
            logger.info(f'MuPoTSMetric: report written to {out}')

        return {k: float(v) for k, v in res.items()
                if isinstance(v, (int, float)) and v is not None}


@METRICS.register_module()
class MARDumpPredictions(BaseMetric):
    """Write the predictions to ``out_file_path`` in the offline dump format
    (:mod:`mmmar.evaluation.functional.dump`); computes no metric. Used by
    ``tools/test.py --dump``; rescore with ``tools/analysis_tools/eval_mupots.py PRED GT``."""
    default_prefix = 'dump'

    def __init__(self, out_file_path: str, collect_device: str = 'cpu',
                 prefix: Optional[str] = None) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        if not str(out_file_path).endswith(('.json', '.json.gz')):
            raise ValueError('MARDumpPredictions: out_file_path must end with .json or '
                             f'.json.gz, got {out_file_path!r}')
        self.out_file_path = out_file_path

    def process(self, data_batch: Any, data_samples: Sequence[dict]) -> None:
        for ds in data_samples:
            self.results.append(prediction_record(ds, 'MARDumpPredictions'))

    def compute_metrics(self, results: list) -> Dict[str, float]:
        d = osp.dirname(osp.abspath(self.out_file_path))
        os.makedirs(d, exist_ok=True)
        dump_predictions(self.out_file_path, results)
        print_log(f'MARDumpPredictions: {len(results)} images written to '
                  f'{self.out_file_path}', logger=MMLogger.get_current_instance())
        return {}
