"""MAR transforms (registered in mmpose's TRANSFORMS). Colour jitter: use mmpose's
``PhotometricDistortion``."""
from .image_io import ImageDecodeError, decode_image_bytes, is_truncated_jpeg
from .intrinsics import MARDefaultIntrinsics
from .loading import MARLoadImage, segs_to_mask
from .mar_transforms import MARRandomAffine, MARRandomFlip, MARResizePad, apply_affine, flip_results

__all__ = [
    'MARDefaultIntrinsics', 'MARLoadImage', 'MARRandomAffine', 'MARRandomFlip', 'MARResizePad',
    'apply_affine', 'flip_results', 'segs_to_mask', 'ImageDecodeError', 'decode_image_bytes',
    'is_truncated_jpeg'
]
