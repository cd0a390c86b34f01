"""MAR datasets, transforms and the synthetic generator.

``import mmmar.datasets`` registers (mmpose registries):

* DATASETS: ``MuCo3DHPDataset``, ``MuPoTS3DDataset``, ``MARSyntheticDataset``,
  ``CocoMARDataset``, ``H36MMARDataset``;
* TRANSFORMS: ``MARLoadImage``, ``MARRandomAffine``, ``MARRandomFlip``, ``MARResizePad``,
  ``MARDefaultIntrinsics``.

Mixed training (half MuCo/H36M, half COCO per batch) uses mmpose's ``CombinedDataset`` with
``metainfo=dict(from_file=MUPOTS3D_METAINFO_FILE)`` and mmpose's ``MultiSourceSampler``
(``source_ratio=[1, 1]``); both are imported here so that they are registered too.
"""
from mmpose.datasets import CombinedDataset  # noqa: F401  (registers it)
from mmpose.datasets.samplers import MultiSourceSampler  # noqa: F401

from mmmar.structures.cam_param import make_cam_param
from .base_mar_dataset import MARBaseDataset, empty_instances, pack_instances
from .coco_mar_dataset import CocoMARDataset
from .h36m_mar_dataset import H36MMARDataset
from .joint_mappings import COCO_TO_MAR, H36M_TO_MAR, map_joints
from .metainfo import MUPOTS3D_METAINFO_FILE
from .mupots_dataset import MARSyntheticDataset, MuCo3DHPDataset, MuPoTS3DDataset
from .transforms import MARLoadImage, MARRandomAffine, MARRandomFlip, MARResizePad

__all__ = [
    'MARBaseDataset', 'MuCo3DHPDataset', 'MuPoTS3DDataset', 'MARSyntheticDataset',
    'CocoMARDataset', 'H36MMARDataset', 'MARLoadImage', 'MARRandomAffine', 'MARRandomFlip',
    'MARResizePad', 'CombinedDataset', 'MultiSourceSampler', 'MUPOTS3D_METAINFO_FILE',
    'COCO_TO_MAR', 'H36M_TO_MAR', 'map_joints', 'empty_instances', 'pack_instances',
    'make_cam_param'
]
