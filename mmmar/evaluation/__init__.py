"""Evaluation: the plain-numpy core (``functional``) and the mmengine metrics (``metrics``).

``import mmmar.evaluation`` registers ``MuPoTSMetric``, ``H36MMetric`` and
``MARDumpPredictions`` into mmpose's
``METRICS``. Where mmengine/mmpose are not installed, the functional core still imports
(``from mmmar.evaluation.functional import evaluate_mupots``) and the metrics are skipped.
"""
from . import functional  # noqa: F401

try:
    from .metrics import H36MMetric, MARDumpPredictions, MuPoTSMetric  # noqa: F401
except ImportError as e:  # pragma: no cover - only without the OpenMMLab stack
    if getattr(e, 'name', None) and e.name.split('.')[0] in ('mmengine', 'mmpose', 'torch',
                                                             'mmcv'):
        H36MMetric = MuPoTSMetric = MARDumpPredictions = None
    else:
        raise

__all__ = ['functional', 'MuPoTSMetric', 'H36MMetric', 'MARDumpPredictions']
