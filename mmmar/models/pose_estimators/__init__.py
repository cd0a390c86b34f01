from .mar import MARPoseEstimator

__all__ = ['MARPoseEstimator']
