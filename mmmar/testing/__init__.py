"""Builders shared by the tests and the analysis tools (as ``mmpose.testing``): synthetic
people, hand-made predictions and evaluation scenes, tiny configs and shrinking a config, the
numpy reference decode (the oracle of the decode tests), the real fixtures of
``tests/data`` and the multi-person grouping scenes.

Not imported by the package's runtime code; heavy dependencies (torch, mmengine, mmpose,
cv2) are imported inside the builders that need them.
"""
from ._configs import restate_codec, tiny_hrnet
from ._files import SHARED_DATA, data_root, dump_json, get_repo_dir, load_script, write_jpeg
from ._grouping import (OVERLAP_JOINTS, count_failures, greedy_match, input_affine, make_input,
                        overlap_scenes, panoptic_views, roots_separable, round_trip, sample_from_2d,
                        stress_scenes, virtual_cameras)
from ._heads import build_tiny_head, head_data_samples, packed_sample, random_feats
from ._mupots import MUPOTS_C, MUPOTS_F, gt_frame, mupots_json, person, pred_frame
from ._poses import TEMPLATE, make_K, make_people, people_3d, project
from ._predictions import make_data_sample, make_pred_instances
from ._real_data import (H36M_TO_MUPOTS, PANOPTIC_SCENES, PANOPTIC_TO_MUPOTS, h36m_samples,
                         mpi3dhp_samples, panoptic_cameras, panoptic_samples, panoptic_world,
                         rotated_skewed_K)
from ._reference_decode import (evidence_numpy, heatmap_peaks_nms, paf_line_scores, paf_pair_scores,
                                reference_decode, refine_peaks)
from ._targets import REAL_IMAGE_CODEC, coco_results, muco_results

__all__ = [
    'tiny_hrnet', 'restate_codec', 'load_script', 'SHARED_DATA', 'data_root', 'dump_json',
    'get_repo_dir', 'write_jpeg', 'OVERLAP_JOINTS', 'count_failures', 'greedy_match',
    'input_affine', 'make_input', 'overlap_scenes',
    'panoptic_views', 'roots_separable', 'round_trip', 'sample_from_2d', 'stress_scenes',
    'virtual_cameras', 'MUPOTS_C', 'MUPOTS_F', 'gt_frame', 'mupots_json',
    'person', 'pred_frame', 'TEMPLATE', 'make_K', 'make_people', 'people_3d', 'project',
    'make_data_sample', 'make_pred_instances', 'H36M_TO_MUPOTS', 'PANOPTIC_SCENES',
    'PANOPTIC_TO_MUPOTS', 'h36m_samples', 'mpi3dhp_samples', 'panoptic_cameras',
    'panoptic_samples', 'panoptic_world', 'rotated_skewed_K', 'REAL_IMAGE_CODEC',
    'coco_results', 'muco_results', 'evidence_numpy', 'heatmap_peaks_nms', 'paf_line_scores',
    'paf_pair_scores', 'reference_decode', 'refine_peaks', 'build_tiny_head',
    'head_data_samples', 'packed_sample', 'random_feats'
]
