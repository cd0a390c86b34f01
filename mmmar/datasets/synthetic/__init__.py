"""Synthetic multi-person 3D data (the embedded default dataset of mmmar)."""
from .generator import (generate_synthetic_dataset, make_K, place_people, project,
                        random_background, render_image, render_people, sample_poses)

__all__ = [
    'generate_synthetic_dataset', 'make_K', 'place_people', 'project', 'random_background',
    'render_image', 'render_people', 'sample_poses'
]
