"""MAR transforms (registered in mmpose's TRANSFORMS). Colour jitter: use mmpose's
``PhotometricDistortion``."""
from .loading import MARLoadImage, segs_to_mask
from .mar_transforms import (MARRandomAffine, MARRandomFlip, MARResizePad, apply_affine,
                             flip_results)

__all__ = [
    'MARLoadImage', 'MARRandomAffine', 'MARRandomFlip', 'MARResizePad', 'apply_affine',
    'flip_results', 'segs_to_mask'
]
