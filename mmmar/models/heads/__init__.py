from ..utils import flip_back_outputs, upsample_aligned
from .mar_head import MARHead

__all__ = ['MARHead', 'flip_back_outputs', 'upsample_aligned']
