"""Every mmmar component is found in mmpose's registries under default_scope='mmpose'."""
import pytest
from mmengine.registry import init_default_scope
from mmpose.registry import DATASETS, KEYPOINT_CODECS, METRICS, MODELS, TRANSFORMS, VISUALIZERS

import mmmar
from mmmar.utils import register_all_modules

COMPONENTS = {
    KEYPOINT_CODECS: ['MARCodec'],
    MODELS: ['MARHead', 'MARPoseEstimator', 'MARDepthFusion', 'MARMapLoss',
             'WeightedRegressionLoss', 'LaplaceDepthLoss'],
    DATASETS: [
        'MuCo3DHPDataset', 'MuPoTS3DDataset', 'MARSyntheticDataset',
        'CocoMARDataset', 'H36MMARDataset'
    ],
    TRANSFORMS: ['MARLoadImage', 'MARRandomAffine', 'MARRandomFlip', 'MARResizePad'],
    METRICS: ['MuPoTSMetric', 'H36MMetric', 'MARDumpPredictions'],
    VISUALIZERS: ['MARPose3DVisualizer'],
}


def test_version():
    assert isinstance(mmmar.__version__, str) and mmmar.__version__.count('.') == 2


def test_package_import_is_light():
    import subprocess
    import sys
    code = ('import sys, mmmar; heavy = [m for m in ("torch", "mmpose", "mmengine") '
            'if m in sys.modules]; print(",".join(heavy))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == ''


@pytest.mark.parametrize('registry,names', list(COMPONENTS.items()),
                         ids=[r.name for r in COMPONENTS])
def test_components_registered_in_mmpose_scope(registry, names):
    register_all_modules(init_default_scope=False)
    init_default_scope('mmpose')
    assert registry.scope == 'mmpose'
    for name in names:
        cls = registry.get(name)
        assert cls is not None, f'{name} not found in mmpose registry {registry.name}'
        assert cls.__module__.startswith('mmmar.'), cls.__module__
