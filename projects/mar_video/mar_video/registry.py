"""The registries this project registers into: mmpose's own (no registry of its own).

* ``TASK_UTILS``: :class:`~mar_video.PoseTracker3D` and :class:`~mar_video.OneEuroPoseSmoother`
  (built from the config's ``tracker`` / ``smoother`` dicts);
* ``VISUALIZERS``: :class:`~mar_video.MARVideoVisualizer`.
"""
from mmpose.registry import TASK_UTILS, VISUALIZERS

__all__ = ['TASK_UTILS', 'VISUALIZERS']
