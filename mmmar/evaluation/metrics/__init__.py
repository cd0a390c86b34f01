from .h36m_metric import H36MMetric
from .mupots_metric import MARDumpPredictions, MuPoTSMetric

__all__ = ['MuPoTSMetric', 'H36MMetric', 'MARDumpPredictions']
