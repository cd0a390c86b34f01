from .mar_head import MARHead, flip_back_outputs, upsample_aligned

__all__ = ['MARHead', 'flip_back_outputs', 'upsample_aligned']
