"""MAR codec (registered in mmpose's ``KEYPOINT_CODECS``) and PAF helpers."""
from .mar_codec import (MARCodec, heatmap_peaks_nms, refine_peaks,
                        structured_pose)
from .paf import draw_pafs, greedy_match, paf_line_scores

__all__ = [
    'MARCodec', 'heatmap_peaks_nms', 'refine_peaks', 'structured_pose',
    'draw_pafs', 'greedy_match', 'paf_line_scores'
]
