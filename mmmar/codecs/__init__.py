"""MAR codec (registered in mmpose's ``KEYPOINT_CODECS``) and PAF helpers."""
from .assignment import assign_limb, assign_limbs
from .dense_decode import dense_evidence, evidence_to_host
from .grouping import (DecodeEvidence, group_people, limb_pair_scores, people_from_evidence,
                       structured_pose)
from .mar_codec import MARCodec
from .paf import draw_pafs

__all__ = [
    'MARCodec', 'structured_pose', 'draw_pafs', 'DecodeEvidence',
    'assign_limb', 'assign_limbs', 'group_people', 'limb_pair_scores', 'people_from_evidence',
    'dense_evidence', 'evidence_to_host'
]
