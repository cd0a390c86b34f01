"""Inference API: :class:`MARInferencer` (registered into mmpose's ``INFERENCERS``) and
camera intrinsics helpers. ``MARDefaultIntrinsics`` (the default-``K`` test transform) lives
in :mod:`mmmar.datasets.transforms` and is re-exported here."""
from mmmar.datasets.transforms import MARDefaultIntrinsics
from .inferencer import MARInferencer
from .inputs import MARInputError
from .intrinsics import (DEFAULT_FOV_DEG, SOURCE_DEFAULT, SOURCE_EXIF, SOURCE_USER,
                         default_intrinsics, exif_intrinsics, load_intrinsics_arg, parse_intrinsics,
                         resolve_intrinsics)
from .outputs import pred_instances_to_dicts

__all__ = [
    'MARInferencer', 'MARInputError', 'MARDefaultIntrinsics', 'pred_instances_to_dicts',
    'default_intrinsics', 'parse_intrinsics', 'resolve_intrinsics',
    'load_intrinsics_arg', 'exif_intrinsics', 'DEFAULT_FOV_DEG', 'SOURCE_DEFAULT',
    'SOURCE_USER', 'SOURCE_EXIF'
]
