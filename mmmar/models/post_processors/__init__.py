from .fusion import MARDepthFusion

__all__ = ['MARDepthFusion']
