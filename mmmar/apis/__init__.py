"""Inference API: :class:`MARInferencer` (registered into mmpose's ``INFERENCERS``) and
camera intrinsics helpers."""
from .inferencer import MARInferencer, MARInputError, pred_instances_to_dicts
from .transforms import MARDefaultIntrinsics
from .intrinsics import (DEFAULT_FOV_DEG, SOURCE_DEFAULT, SOURCE_EXIF,
                         SOURCE_USER, default_intrinsics, exif_intrinsics,
                         load_intrinsics_arg, parse_intrinsics,
                         resolve_intrinsics)

__all__ = [
    'MARInferencer', 'MARInputError', 'MARDefaultIntrinsics', 'pred_instances_to_dicts',
    'default_intrinsics', 'parse_intrinsics', 'resolve_intrinsics',
    'load_intrinsics_arg', 'exif_intrinsics', 'DEFAULT_FOV_DEG', 'SOURCE_DEFAULT',
    'SOURCE_USER', 'SOURCE_EXIF'
]
