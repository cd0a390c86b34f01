from .h36m_metric import H36MMetric
from .mupots_metric import MuPoTSMetric

__all__ = ['MuPoTSMetric', 'H36MMetric']
