"""mar_video: people tracked in 3D across video frames, smoothed, exported to BVH / JSON / CSV.

A project of mmmar (``projects/mar_video``), loaded with
``custom_imports = dict(imports=['mar_video'])`` (the project folder on ``sys.path``). It
registers into mmpose's registries (:mod:`mar_video.registry`); the mmmar core never imports
it.
"""
from .bvh import skeleton_to_bvh, write_bvh
from .evaluation import MMPoseGreedyOKSTracker, evaluate_sequence
from .metrics import clear_mot, jitter, pose_errors
from .offline import ZeroLagPoseSmoother
from .one_euro import OneEuroFilter, OneEuroPoseSmoother
from .tracker import PoseTracker3D
from .visualization import MARVideoVisualizer

__all__ = [
    'PoseTracker3D', 'OneEuroFilter', 'OneEuroPoseSmoother', 'ZeroLagPoseSmoother', 'write_bvh',
    'skeleton_to_bvh', 'clear_mot', 'pose_errors', 'jitter',
    'evaluate_sequence', 'MMPoseGreedyOKSTracker', 'MARVideoVisualizer'
]
