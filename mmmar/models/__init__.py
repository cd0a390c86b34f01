"""MAR models. Importing this module registers ``MARHead``,
``MARDepthFusion`` and ``MARPoseEstimator`` (and, through ``mmmar.codecs``,
``MARCodec``) in mmpose's ``MODELS`` / ``KEYPOINT_CODECS`` registries."""
import mmmar.codecs  # noqa: F401  (registers MARCodec)

from .heads import *  # noqa: F401,F403
from .post_processors import *  # noqa: F401,F403
from .pose_estimators import *  # noqa: F401,F403
