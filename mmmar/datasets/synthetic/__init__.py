"""Synthetic multi-person 3D data (the embedded default dataset of mmmar)."""
from .benchmark import (SYNTHETIC_PRESETS, dataset_statistics, focal_from_fov, format_statistics,
                        fov_from_focal, sample_body_scales, split_statistics)
from .generator import (make_K, place_people, project, random_background, render_image,
                        render_people, sample_poses)
from .writer import generate_synthetic_dataset, sequence_splits

__all__ = [
    'generate_synthetic_dataset', 'make_K', 'place_people', 'project', 'random_background',
    'render_image', 'render_people', 'sample_poses', 'SYNTHETIC_PRESETS',
    'dataset_statistics', 'split_statistics', 'format_statistics', 'focal_from_fov',
    'fov_from_focal', 'sample_body_scales', 'sequence_splits'
]
