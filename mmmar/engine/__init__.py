"""Training-engine components of mmmar (registered into mmpose's registries)."""
from .optim_wrappers import AutocastOptimWrapper

__all__ = ['AutocastOptimWrapper']
