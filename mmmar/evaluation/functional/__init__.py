"""Plain-numpy evaluation core (no mmengine / mmpose / torch imports).

Score arrays from any method::

    from mmmar.evaluation.functional import evaluate_mupots, format_table1
    res = evaluate_mupots(gt_frames, pred_frames)   # see evaluate_mupots.__doc__
    print(format_table1(res))
"""
from mmmar.structures.annotations import UNIV_KEYS, univ_key
from .baselines import mean_pose_baseline, mean_pose_guess, mean_relative_pose
from .dump import (DUMP_FORMAT, DUMP_VERSION, check_record, dump_predictions, load_predictions,
                   predictions_to_frames)
from .h36m_eval import evaluate_h36m, select_single_person
from .keypoint_ap import MUPOTS_OKS_SIGMAS, keypoint_ap_2d
from .mupots_eval import evaluate_mupots
from .mupots_io import gt_frame_from_anns, load_mupots_gt, seq_name_from_path
from .mupots_protocol import (AUC_THRESHOLDS, EVAL_PARENTS, EVAL_TRAVERSAL, MATCH_JOINTS, MATCH_THR,
                              MISSED_VALUE, PCK_THR, PCOD_THR, ROOT_THR, match_people, pcod_correct,
                              rescale_to_gt_bones)
from .mupots_report import (PUBLISHED_TABLE1, TABLE1_KEYS, format_joint_table,
                            format_sequence_table, format_table1, is_mupots3d, published_rows,
                            to_jsonable)

__all__ = [
    'evaluate_mupots', 'match_people', 'rescale_to_gt_bones', 'pcod_correct',
    'load_mupots_gt', 'gt_frame_from_anns', 'seq_name_from_path', 'format_table1',
    'format_sequence_table', 'format_joint_table', 'to_jsonable', 'dump_predictions',
    'load_predictions', 'predictions_to_frames', 'check_record', 'evaluate_h36m',
    'select_single_person', 'EVAL_PARENTS', 'EVAL_TRAVERSAL', 'MATCH_JOINTS', 'MATCH_THR',
    'PCK_THR', 'ROOT_THR', 'PCOD_THR', 'AUC_THRESHOLDS', 'MISSED_VALUE', 'TABLE1_KEYS',
    'PUBLISHED_TABLE1', 'DUMP_FORMAT', 'DUMP_VERSION', 'univ_key', 'UNIV_KEYS',
    'published_rows', 'is_mupots3d', 'mean_pose_baseline', 'mean_pose_guess',
    'mean_relative_pose', 'keypoint_ap_2d', 'MUPOTS_OKS_SIGMAS'
]
