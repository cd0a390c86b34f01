"""Camera-consistent geometric transforms for MAR (see docs/design.md, "Intrinsics").

Every image-space affine ``A`` (2x3, current image -> new image) updates

* ``img`` (cv2 warp), ``keypoints`` (``A`` applied), ``bbox`` (corners transformed, then
  min/max, clipped), ``ignore_mask`` (nearest-neighbour warp),
* ``keypoints_visible`` (zeroed for joints leaving the image; never set back to 1),
* ``cam_param['K']`` <- ``A3 @ K`` (``A3`` = ``A`` with row [0, 0, 1]); ``f``/``c`` are
  refreshed from K (``f = (K00, K11)``, ``c = (K02, K12)``; K is authoritative),
* ``input_affine`` <- ``A3 @ input_affine`` (original image -> current image),
* ``ori_cam_param``: a copy of ``cam_param`` before the first geometric transform.

``keypoints_cam`` (and ``keypoints_univ``) are unchanged by affines (depth is invariant).
A horizontal flip mirrors the camera: ``u -> W - 1 - u`` on the image, ``X -> -X`` for
``keypoints_cam``/``keypoints_univ``, ``K -> F @ K @ diag(-1, 1, 1)`` with ``F`` the image
flip, and left/right joints swap (``skeleton.FLIP_INDICES``). Then projecting the transformed
3D joints with the transformed K lands exactly on the transformed 2D joints.

Training and test share one geometry: :class:`MARResizePad` fits the image into the input
(aspect ratio kept, padded bottom/right) and :class:`MARRandomAffine` draws its random scale /
rotation / shift around exactly that fit (see its docstring).

Colour jitter: use mmpose's registered ``PhotometricDistortion`` (it only touches ``img``).
"""
import copy
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness
from mmpose.registry import TRANSFORMS

from mmmar.geometry import affine_to_3x3, flip_affine, flip_camera, transform_intrinsics
from mmmar.structures.cam_param import cam_param_from_K
from mmmar.structures.skeleton import FLIP_INDICES
from ..base_mar_dataset import inside_image

_INTERP = dict(nearest=cv2.INTER_NEAREST, bilinear=cv2.INTER_LINEAR,
               bicubic=cv2.INTER_CUBIC, area=cv2.INTER_AREA)


def _a3(A) -> np.ndarray:
    """A 2x3 affine (any array-like) as a float64 3x3 matrix."""
    return affine_to_3x3(np.asarray(A, np.float64).reshape(2, 3))


def _compose(A_outer, A_inner) -> np.ndarray:
    """The 2x3 affine ``A_outer o A_inner`` (apply ``A_inner`` first), float64."""
    return (_a3(A_outer) @ _a3(A_inner))[:2]


def _set_K(cam_param: dict, K: np.ndarray) -> dict:
    """``cam_param`` with ``K`` (stored float32) and ``f``/``c`` refreshed from it; any other
    key of ``cam_param`` is kept."""
    cam = dict(cam_param)
    cam.update(cam_param_from_K(K))
    return cam


def _affine_points(points: np.ndarray, A: np.ndarray) -> np.ndarray:
    """(..., 2) pixels mapped by the 2x3 affine ``A``."""
    return points @ A[:, :2].T + A[:, 2]


def _border(pad_val):
    """``pad_val`` as a cv2 border value (a scalar fills every channel, as numpy does)."""
    if np.ndim(pad_val) == 0:
        return (float(pad_val), ) * 4
    return tuple(float(v) for v in pad_val)


def resize_affine(sx: float, sy: float) -> np.ndarray:
    """The pixel-centre-exact affine (2x3) of a resize by ``(sx, sy)``:
    ``u' = sx * u + (sx - 1) / 2`` (and the same for v), as ``cv2.resize`` samples."""
    return np.array([[sx, 0., 0.5 * sx - 0.5], [0., sy, 0.5 * sy - 0.5]])


def fit_size(img_hw: Tuple[int, int], input_size: Tuple[int, int],
             scale: float = 1.0) -> Tuple[int, int]:
    """Size (w, h) of the image resized to fit ``input_size`` (aspect ratio kept, the long
    side touching), times ``scale``; the fit itself (``scale=1``) never exceeds the input."""
    h, w = img_hw
    W, H = input_size
    s = min(W / w, H / h)
    nw, nh = max(int(round(w * s * scale)), 1), max(int(round(h * s * scale)), 1)
    if scale == 1.0:
        nw, nh = min(nw, W), min(nh, H)
    return nw, nh


def resize_image(img: np.ndarray, size: Tuple[int, int]) -> np.ndarray:
    """``cv2.resize`` to ``size`` (w, h): area averaging when shrinking, else bilinear."""
    h, w = img.shape[:2]
    interp = cv2.INTER_AREA if size[0] * size[1] < w * h else cv2.INTER_LINEAR
    return cv2.resize(img, tuple(size), interpolation=interp)


def _init_geometry(results: dict):
    if 'ori_cam_param' not in results and 'cam_param' in results:
        results['ori_cam_param'] = copy.deepcopy(results['cam_param'])
    if 'input_affine' not in results:
        results['input_affine'] = np.array([[1., 0., 0.], [0., 1., 0.]], np.float64)


def apply_affine(results: dict, A: np.ndarray, out_wh: Tuple[int, int],
                 warp_img: bool = True, img_interp=cv2.INTER_LINEAR, pad_val=0) -> dict:
    """Apply the image-space affine ``A`` (2x3) to every geometric key of ``results``."""
    _init_geometry(results)
    A = np.asarray(A, np.float64).reshape(2, 3)
    w, h = int(out_wh[0]), int(out_wh[1])
    if warp_img:
        results['img'] = cv2.warpAffine(results['img'], A, (w, h), flags=img_interp,
                                        borderMode=cv2.BORDER_CONSTANT,
                                        borderValue=_border(pad_val))
    results['img_shape'] = (h, w)
    if results.get('keypoints') is not None:
        kp = np.asarray(results['keypoints'], np.float64)
        new = _affine_points(kp, A)
        results['keypoints'] = new.astype(np.float32)
        if results.get('keypoints_visible') is not None:
            results['keypoints_visible'] = (np.asarray(results['keypoints_visible']) *
                                            inside_image(new, w, h)).astype(np.float32)
    if results.get('bbox') is not None and len(results['bbox']):
        b = np.asarray(results['bbox'], np.float64).reshape(-1, 4)
        corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]], b[:, [2, 3]]], 1)
        c = _affine_points(corners, A)
        nb = np.concatenate([c.min(1), c.max(1)], -1)
        nb[:, [0, 2]] = nb[:, [0, 2]].clip(0, w - 1)
        nb[:, [1, 3]] = nb[:, [1, 3]].clip(0, h - 1)
        results['bbox'] = nb.astype(np.float32)
    if 'cam_param' in results:
        K = np.asarray(results['cam_param']['K'], np.float64)
        results['cam_param'] = _set_K(results['cam_param'], transform_intrinsics(K, A))
    if results.get('ignore_mask') is not None:
        m = cv2.warpAffine(results['ignore_mask'].astype(np.uint8), A, (w, h),
                           flags=cv2.INTER_NEAREST, borderValue=0)
        results['ignore_mask'] = m.astype(bool)
    results['input_affine'] = _compose(A, results['input_affine'])
    return results


@TRANSFORMS.register_module()
class MARRandomAffine(BaseTransform):
    """Random scale / rotation / shift around the test-time geometry, camera-consistent.

    The centre of the augmentation is exactly :class:`MARResizePad`: the image fitted into
    ``input_size`` with its aspect ratio kept (the long side touching) and padded at the
    bottom/right, so that people have the same size in training as at test. Around it, in
    input pixels, the fitted image is scaled by ``s ~ U(scale_factor)`` (with probability
    ``scale_prob``) and rotated by ``r ~ U(-rotate_factor, rotate_factor)`` degrees (with
    probability ``rotate_prob``) about its centre ``c``, and the content point
    ``c + t``, ``t ~ U(-shift_factor, shift_factor) * (fitted w, h)`` (with probability
    ``shift_prob``), is moved onto ``c``::

        A = A_res o A_fit,   A_res(p) = c + s R(r) (p - c - t)

    With ``s = 1, r = 0, t = 0`` the output (image, K, keypoints, ...) equals
    :class:`MARResizePad`'s. The image is rendered like the test image: resized with
    :func:`resize_image` (area averaging when shrinking) to the fitted size times ``s``,
    then warped by the remaining rotation / shift (``interpolation``).

    Required Keys:

        - img
        - keypoints (optional), keypoints_visible (optional), bbox (optional)
        - cam_param (optional), ignore_mask (optional)

    Modified Keys:

        - img, img_shape, keypoints, keypoints_visible, bbox, cam_param, ignore_mask

    Added Keys:

        - input_size, input_affine, ori_cam_param

    Args:
        input_size (tuple): (W, H) of the output.
        shift_factor (float): Maximum shift, a fraction of the fitted image size.
        shift_prob (float): Probability of a shift.
        scale_factor (tuple): Range of the scale about the test-time fit.
        scale_prob (float): Probability of a scale.
        rotate_factor (float): Maximum rotation in degrees.
        rotate_prob (float): Probability of a rotation.
        pad_val (int | tuple): Border fill (as :class:`MARResizePad`'s padding).
        interpolation (str): Interpolation of the rotation / shift warp.
    """

    def __init__(self,
                 input_size: Tuple[int, int] = (512, 512),
                 shift_factor: float = 0.2,
                 shift_prob: float = 1.0,
                 scale_factor: Tuple[float, float] = (0.75, 1.5),
                 scale_prob: float = 1.0,
                 rotate_factor: float = 30.0,
                 rotate_prob: float = 1.0,
                 pad_val=0,
                 interpolation: str = 'bilinear'):
        if interpolation not in _INTERP:
            raise ValueError(f'interpolation must be one of {sorted(_INTERP)}, '
                             f'got {interpolation!r}')
        if len(scale_factor) != 2 or not 0 < scale_factor[0] <= scale_factor[1]:
            raise ValueError(f'scale_factor must be (low, high) with 0 < low <= high, '
                             f'got {scale_factor!r}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.shift_factor = shift_factor
        self.shift_prob = shift_prob
        self.scale_factor = tuple(scale_factor)
        self.scale_prob = scale_prob
        self.rotate_factor = rotate_factor
        self.rotate_prob = rotate_prob
        self.pad_val = pad_val
        self.interpolation = _INTERP[interpolation]

    @cache_randomness
    def _sample(self):
        shift = np.random.uniform(-1, 1, 2) * self.shift_factor \
            if np.random.rand() < self.shift_prob else np.zeros(2)
        scale = np.random.uniform(*self.scale_factor) \
            if np.random.rand() < self.scale_prob else 1.0
        rot = np.random.uniform(-1, 1) * self.rotate_factor \
            if np.random.rand() < self.rotate_prob else 0.0
        return shift, float(scale), float(rot)

    def residual_affine(self, fit_wh, shift, scale, rot) -> np.ndarray:
        """``A_res`` (3x3, input pixels -> input pixels) about the fitted image of size
        ``fit_wh``; exactly the identity for ``shift = 0, scale = 1, rot = 0``."""
        c = np.array([(fit_wh[0] - 1) / 2.0, (fit_wh[1] - 1) / 2.0])
        t = np.asarray(shift, np.float64) * np.asarray(fit_wh, np.float64)
        a = np.deg2rad(rot)
        R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]]) * scale
        return _a3(np.hstack([R, (c - R @ (c + t))[:, None]]))

    def get_affine(self, img_hw, shift, scale, rot) -> np.ndarray:
        """The 2x3 affine (original -> input pixels) of this transform for an image of size
        ``img_hw``: ``A_res o A_fit``."""
        h, w = img_hw
        nw, nh = fit_size(img_hw, self.input_size)
        A_fit = _a3(resize_affine(nw / w, nh / h))
        return (self.residual_affine((nw, nh), shift, scale, rot) @ A_fit)[:2]

    def transform(self, results: dict) -> dict:
        shift, scale, rot = self._sample()
        img = results['img']
        img_hw = img.shape[:2]
        nw, nh = fit_size(img_hw, self.input_size)
        A = self.get_affine(img_hw, shift, scale, rot)
        # render as at test: resize (anti-aliased) to the scaled fit, then warp the rest
        pw, ph = fit_size(img_hw, self.input_size, scale)
        rest = self.residual_affine((nw, nh), shift, scale, rot) @ _a3(
            resize_affine(nw / pw, nh / ph))
        W, H = self.input_size
        results['img'] = cv2.warpAffine(resize_image(img, (pw, ph)), rest[:2], (W, H),
                                        flags=self.interpolation,
                                        borderMode=cv2.BORDER_CONSTANT,
                                        borderValue=_border(self.pad_val))
        apply_affine(results, A, self.input_size, warp_img=False)
        results['input_size'] = self.input_size
        return results

    def __repr__(self):
        return (f'{self.__class__.__name__}(input_size={self.input_size}, shift_factor='
                f'{self.shift_factor}, scale_factor={self.scale_factor}, rotate_factor='
                f'{self.rotate_factor})')


def flip_results(results: dict) -> dict:
    """Deterministic horizontal flip of every geometric key (see module docstring)."""
    _init_geometry(results)
    img = results['img']
    h, w = img.shape[:2]
    results['img'] = np.ascontiguousarray(img[:, ::-1])
    idx = list(results.get('flip_indices') or FLIP_INDICES)
    if results.get('keypoints') is not None:
        kp = np.asarray(results['keypoints'], np.float32).copy()
        kp[..., 0] = (w - 1) - kp[..., 0]
        results['keypoints'] = kp[:, idx]
    for key in ('keypoints_visible', 'keypoints_valid'):
        if results.get(key) is not None:
            results[key] = np.asarray(results[key])[:, idx]
    for key in ('keypoints_cam', 'keypoints_univ'):
        if results.get(key) is not None:
            x = np.asarray(results[key], np.float32).copy()
            x[..., 0] = -x[..., 0]
            results[key] = x[:, idx]
    if results.get('bbox') is not None and len(results['bbox']):
        b = np.asarray(results['bbox'], np.float32).copy()
        b[:, [0, 2]] = (w - 1) - b[:, [2, 0]]
        results['bbox'] = b
    if 'cam_param' in results:
        K = np.asarray(results['cam_param']['K'], np.float64)
        results['cam_param'] = _set_K(results['cam_param'], flip_camera(K, w))
    if results.get('ignore_mask') is not None:
        results['ignore_mask'] = np.ascontiguousarray(results['ignore_mask'][:, ::-1])
    # the image flip u -> w - 1 - u as an affine
    results['input_affine'] = _compose(flip_affine(w), results['input_affine'])
    return results


@TRANSFORMS.register_module()
class MARRandomFlip(BaseTransform):
    """Random horizontal flip that mirrors the camera (see module docstring).

    Required Keys:

        - img
        - keypoints, keypoints_visible, keypoints_valid, keypoints_cam, keypoints_univ,
          bbox, cam_param, ignore_mask (each optional)
        - flip_indices (optional: the dataset metainfo's left/right swap, put in every
          sample by mmpose's datasets; the MuPoTS skeleton's ``FLIP_INDICES`` without it)

    Modified Keys:

        - img, keypoints, keypoints_visible, keypoints_valid, keypoints_cam,
          keypoints_univ, bbox, cam_param, ignore_mask

    Added Keys:

        - flip, flip_direction, input_affine, ori_cam_param

    Args:
        prob (float): flip probability.
    """

    def __init__(self, prob: float = 0.5, direction: str = 'horizontal'):
        if direction != 'horizontal':
            raise ValueError('MARRandomFlip only supports direction="horizontal" (a vertical '
                             'flip is not a plausible camera)')
        self.prob = prob
        self.direction = direction

    @cache_randomness
    def _do_flip(self) -> bool:
        return bool(np.random.rand() < self.prob)

    def transform(self, results: dict) -> dict:
        if self._do_flip():
            flip_results(results)
            results['flip'] = True
            results['flip_direction'] = 'horizontal'
        else:
            _init_geometry(results)
            results['flip'] = False
            results['flip_direction'] = None
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(prob={self.prob})'


@TRANSFORMS.register_module()
class MARResizePad(BaseTransform):
    """Test-time resize keeping the aspect ratio, padded (bottom/right) to ``input_size``.

    The resize maps pixel centres exactly: ``u' = sx * u + (sx - 1) / 2`` with
    ``sx = new_w / w`` (and the same for v), which is ``input_affine``.

    Required Keys:

        - img
        - keypoints, keypoints_visible, bbox, cam_param, ignore_mask (each optional)

    Modified Keys:

        - img, img_shape, keypoints, keypoints_visible, bbox, cam_param, ignore_mask

    Added Keys:

        - input_size, input_affine (original -> input), ori_cam_param,
          input_center, input_scale (mmpose's bottom-up convention: original =
          input / input_size * input_scale + input_center - input_scale / 2)

    Args:
        input_size (tuple): (W, H), e.g. (832, 512).
        pad_val (int | tuple): padding value.
    """

    def __init__(self, input_size: Tuple[int, int] = (832, 512), pad_val=0):
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.pad_val = pad_val

    def transform(self, results: dict) -> dict:
        img = results['img']
        h, w = img.shape[:2]
        W, H = self.input_size
        nw, nh = fit_size((h, w), self.input_size)
        out = np.empty((H, W) + img.shape[2:], dtype=img.dtype)
        out[...] = self.pad_val
        out[:nh, :nw] = resize_image(img, (nw, nh))
        results['img'] = out
        apply_affine(results, resize_affine(nw / w, nh / h), self.input_size, warp_img=False)
        results['input_size'] = self.input_size
        ia = _a3(results['input_affine'])
        # original = (input - t) / s  <=>  input / input_size * input_scale + center - scale/2
        lin = np.array([ia[0, 0], ia[1, 1]])
        t = ia[:2, 2]
        input_scale = np.array([W, H], np.float64) / lin
        results['input_scale'] = input_scale.astype(np.float32)
        results['input_center'] = (0.5 * input_scale - t / lin).astype(np.float32)
        return results

    def __repr__(self):
        return f'{self.__class__.__name__}(input_size={self.input_size})'
