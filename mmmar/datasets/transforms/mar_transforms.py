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

Colour jitter: use mmpose's registered ``PhotometricDistortion`` (it only touches ``img``).
"""
import copy
from typing import Optional, Sequence, Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform
from mmcv.transforms.utils import cache_randomness

from mmpose.registry import TRANSFORMS
from mmmar.structures.skeleton import FLIP_INDICES

_INTERP = dict(nearest=cv2.INTER_NEAREST, bilinear=cv2.INTER_LINEAR,
               bicubic=cv2.INTER_CUBIC, area=cv2.INTER_AREA)


def _a3(A: np.ndarray) -> np.ndarray:
    return np.vstack([np.asarray(A, np.float64).reshape(2, 3), [0., 0., 1.]])


def _set_K(cam_param: dict, K: np.ndarray) -> dict:
    cam = dict(cam_param)
    K = np.asarray(K, np.float64)
    cam['K'] = K.astype(np.float32)
    cam['f'] = (float(K[0, 0]), float(K[1, 1]))
    cam['c'] = (float(K[0, 2]), float(K[1, 2]))
    return cam


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
    A3 = _a3(A)
    w, h = int(out_wh[0]), int(out_wh[1])
    if warp_img:
        results['img'] = cv2.warpAffine(results['img'], A, (w, h), flags=img_interp,
                                        borderMode=cv2.BORDER_CONSTANT, borderValue=pad_val)
    results['img_shape'] = (h, w)
    if results.get('keypoints') is not None:
        kp = np.asarray(results['keypoints'], np.float64)
        new = kp @ A[:, :2].T + A[:, 2]
        results['keypoints'] = new.astype(np.float32)
        if results.get('keypoints_visible') is not None:
            inside = (new[..., 0] >= 0) & (new[..., 0] <= w - 1) & (new[..., 1] >= 0) & (
                new[..., 1] <= h - 1)
            results['keypoints_visible'] = (np.asarray(results['keypoints_visible']) *
                                            inside).astype(np.float32)
    if results.get('bbox') is not None and len(results['bbox']):
        b = np.asarray(results['bbox'], np.float64).reshape(-1, 4)
        corners = np.stack([b[:, [0, 1]], b[:, [2, 1]], b[:, [0, 3]], b[:, [2, 3]]], 1)
        c = corners @ A[:, :2].T + A[:, 2]
        nb = np.concatenate([c.min(1), c.max(1)], -1)
        nb[:, [0, 2]] = nb[:, [0, 2]].clip(0, w - 1)
        nb[:, [1, 3]] = nb[:, [1, 3]].clip(0, h - 1)
        results['bbox'] = nb.astype(np.float32)
    if 'cam_param' in results:
        K = np.asarray(results['cam_param']['K'], np.float64)
        results['cam_param'] = _set_K(results['cam_param'], A3 @ K)
    if results.get('ignore_mask') is not None:
        m = cv2.warpAffine(results['ignore_mask'].astype(np.uint8), A, (w, h),
                           flags=cv2.INTER_NEAREST, borderValue=0)
        results['ignore_mask'] = m.astype(bool)
    results['input_affine'] = (A3 @ _a3(results['input_affine']))[:2]
    return results


@TRANSFORMS.register_module()
class MARRandomAffine(BaseTransform):
    """Random scale / shift / rotation to a fixed ``input_size``, camera-consistent.

    The image is first fitted to ``input_size`` (``scale_type='short'``: the short side
    fills the input, mmpose's bottom-up default; ``'long'``: the whole image fits), then
    scaled by ``U(scale_factor)``, rotated by ``U(-rotate_factor, rotate_factor)`` degrees
    (with probability ``rotate_prob``) and its centre shifted by ``U(-shift_factor,
    shift_factor) * (w, h)`` (with probability ``shift_prob``).

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
        shift_factor (float), shift_prob (float), scale_factor (tuple), scale_prob (float),
        scale_type (str), rotate_factor (float, degrees), rotate_prob (float),
        pad_val (int | tuple): border fill, interpolation (str): image interpolation.
    """

    def __init__(self,
                 input_size: Tuple[int, int] = (512, 512),
                 shift_factor: float = 0.2,
                 shift_prob: float = 1.0,
                 scale_factor: Tuple[float, float] = (0.75, 1.5),
                 scale_prob: float = 1.0,
                 scale_type: str = 'short',
                 rotate_factor: float = 30.0,
                 rotate_prob: float = 1.0,
                 pad_val=0,
                 interpolation: str = 'bilinear'):
        if scale_type not in ('short', 'long'):
            raise ValueError(f'scale_type must be "short" or "long", got {scale_type!r}')
        self.input_size = (int(input_size[0]), int(input_size[1]))
        self.shift_factor = shift_factor
        self.shift_prob = shift_prob
        self.scale_factor = tuple(scale_factor)
        self.scale_prob = scale_prob
        self.scale_type = scale_type
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

    def get_affine(self, img_hw, shift, scale, rot) -> np.ndarray:
        """The 2x3 affine of this transform for an image of size ``img_hw``."""
        h, w = img_hw
        W, H = self.input_size
        s0 = max(W / w, H / h) if self.scale_type == 'short' else min(W / w, H / h)
        s = s0 * scale
        center = np.array([(w - 1) / 2.0, (h - 1) / 2.0]) + shift * np.array([w, h])
        t = np.deg2rad(rot)
        R = np.array([[np.cos(t), -np.sin(t)], [np.sin(t), np.cos(t)]]) * s
        out_c = np.array([(W - 1) / 2.0, (H - 1) / 2.0])
        return np.hstack([R, (out_c - R @ center)[:, None]])

    def transform(self, results: dict) -> dict:
        shift, scale, rot = self._sample()
        A = self.get_affine(results['img'].shape[:2], shift, scale, rot)
        apply_affine(results, A, self.input_size, img_interp=self.interpolation,
                     pad_val=self.pad_val)
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
    F = np.array([[-1., 0., w - 1.], [0., 1., 0.], [0., 0., 1.]])
    idx = list(FLIP_INDICES)
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
        results['cam_param'] = _set_K(results['cam_param'], F @ K @ np.diag([-1., 1., 1.]))
    if results.get('ignore_mask') is not None:
        results['ignore_mask'] = np.ascontiguousarray(results['ignore_mask'][:, ::-1])
    results['input_affine'] = (F @ _a3(results['input_affine']))[:2]
    return results


@TRANSFORMS.register_module()
class MARRandomFlip(BaseTransform):
    """Random horizontal flip that mirrors the camera (see module docstring).

    Required Keys:

        - img
        - keypoints, keypoints_visible, keypoints_valid, keypoints_cam, keypoints_univ,
          bbox, cam_param, ignore_mask (each optional)

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
        s = min(W / w, H / h)
        nw, nh = max(int(round(w * s)), 1), max(int(round(h * s)), 1)
        nw, nh = min(nw, W), min(nh, H)
        sx, sy = nw / w, nh / h
        interp = cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
        resized = cv2.resize(img, (nw, nh), interpolation=interp)
        out = np.empty((H, W) + img.shape[2:], dtype=img.dtype)
        out[...] = self.pad_val
        out[:nh, :nw] = resized
        A = np.array([[sx, 0., 0.5 * sx - 0.5], [0., sy, 0.5 * sy - 0.5]])
        results['img'] = out
        apply_affine(results, A, self.input_size, warp_img=False)
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
