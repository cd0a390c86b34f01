"""MAR models. Importing this module registers ``MARHead``, its loss
modules, ``MARDepthFusion`` and ``MARPoseEstimator`` (and, through ``mmmar.codecs``,
``MARCodec``) in mmpose's ``MODELS`` / ``KEYPOINT_CODECS`` registries."""
import mmmar.codecs  # noqa: F401  (registers MARCodec)
from .heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .pose_estimators import *  # noqa: F401,F403
from .post_processors import *  # noqa: F401,F403
