"""A test-time transform giving images without intrinsics the documented default ``K``.

mmpose's ``MMPoseInferencer`` / ``Pose2DInferencer`` feed only ``img`` / ``img_path`` into
the test pipeline, while the MAR head needs ``cam_param['K']``. With
``dict(type='MARDefaultIntrinsics')`` right after the image loading in a MAR test pipeline,
such inputs get :func:`mmmar.geometry.camera.default_intrinsics` (60 degree horizontal field
of view); samples that already carry ``cam_param`` (datasets,
:class:`mmmar.apis.MARInferencer`) are left unchanged.
"""
from mmcv.transforms import BaseTransform
from mmpose.registry import TRANSFORMS

from mmmar.geometry.camera import DEFAULT_FOV_DEG, default_intrinsics
from mmmar.structures.cam_param import cam_param_from_K

__all__ = ['MARDefaultIntrinsics']


@TRANSFORMS.register_module()
class MARDefaultIntrinsics(BaseTransform):
    """Add ``cam_param = dict(K, f, c)`` from the image size when it is missing.

    Required Keys:

        - img (or img_shape)
        - cam_param (optional; kept when it has a ``K``)

    Added Keys:

        - cam_param (when missing): ``dict(K (3, 3) float32, f=(fx, fy), c=(cx, cy))``
          (:func:`mmmar.structures.cam_param.cam_param_from_K`)
        - intrinsics_source: ``'default-fov60'`` when added, ``'given'`` otherwise

    Args:
        fov_deg (float): Horizontal field of view of the default. Defaults to 60.
    """

    def __init__(self, fov_deg: float = DEFAULT_FOV_DEG):
        self.fov_deg = float(fov_deg)

    def transform(self, results: dict) -> dict:
        cam = results.get('cam_param')
        if isinstance(cam, dict) and cam.get('K') is not None:
            results.setdefault('intrinsics_source', 'given')
            return results
        if 'img' in results and results['img'] is not None:
            h, w = results['img'].shape[:2]
        else:
            h, w = results['img_shape'][:2]
        results['cam_param'] = cam_param_from_K(default_intrinsics(w, h, self.fov_deg))
        results['intrinsics_source'] = f'default-fov{self.fov_deg:g}'
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(fov_deg={self.fov_deg})'
