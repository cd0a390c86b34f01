"""Registered loss modules of MAR (built by :class:`~mmmar.models.heads.MARHead` from
``loss=dict(type=...)`` config dicts)."""
from .mar_losses import LaplaceDepthLoss, MARMapLoss, WeightedRegressionLoss

__all__ = ['MARMapLoss', 'WeightedRegressionLoss', 'LaplaceDepthLoss']
