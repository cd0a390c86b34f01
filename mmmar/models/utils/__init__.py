"""Helpers of the MAR models: test-time augmentation (:mod:`.tta`) and the head's building
blocks (:mod:`.ops`)."""
from .ops import batch_intrinsics, conv_branch, get_intrinsics, upsample_aligned
from .tta import flip_back_outputs, flip_test_outputs, fuse_scales, paf_flip_permutation

__all__ = [
    'flip_back_outputs', 'flip_test_outputs', 'fuse_scales', 'paf_flip_permutation',
    'upsample_aligned', 'conv_branch', 'get_intrinsics', 'batch_intrinsics'
]
