"""MAR visualisation (registered into mmpose's ``VISUALIZERS``)."""
from .mar_visualizer import PERSON_COLORS, MARPose3DVisualizer, instances_to_numpy

__all__ = ['MARPose3DVisualizer', 'PERSON_COLORS', 'instances_to_numpy']
