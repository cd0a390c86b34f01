"""Validation of the annotations that :meth:`MARCodec.encode` receives.

Every check raises a ``ValueError`` that names the offending field and, when ``img_path`` is
known, the sample (:func:`fail`); the checked inputs come back normalised (float64 arrays,
defaults filled in, unused non-finite values zeroed).
"""
from typing import Optional, Tuple

import numpy as np

from mmmar.geometry import focal_of
from mmmar.structures import skeleton


def fail(field: str, msg: str, img_path: Optional[str] = None):
    """Raise the ``ValueError`` of an invalid encode input.

    Args:
        field (str): The offending argument of ``MARCodec.encode``.
        msg (str): What is wrong with it.
        img_path (str, optional): The sample, named in the message when given.
    """
    where = f' (sample {img_path!r})' if img_path is not None else ''
    raise ValueError(f'MARCodec.encode: `{field}` {msg}{where}')


def check_finite(field: str, values: np.ndarray, used: np.ndarray,
                 img_path: Optional[str] = None):
    """Fail on the first (instance, joint) of ``values`` (N, K, D) that ``used`` (N, K) needs
    and that has a non-finite coordinate."""
    bad = ~np.isfinite(values).all(-1) & used
    if bad.any():
        n, k = np.argwhere(bad)[0]
        fail(field, f'has a non-finite value at instance {n}, joint {k} '
             f'({skeleton.JOINT_NAMES[k]})', img_path)


def check_keypoints_2d(keypoints, keypoints_visible, keypoints_valid, num_keypoints: int,
                       img_path: Optional[str] = None) -> Tuple[np.ndarray, ...]:
    """Validate the 2D annotation.

    Args:
        keypoints: (N, K, 2) input pixels.
        keypoints_visible: (N, K) (or (N, K, 1|2), first channel used).
        keypoints_valid (optional): (N, K); defaults to ``keypoints_visible > 0``.
        num_keypoints (int): K.
        img_path (str, optional): Only used in error messages.

    Returns:
        tuple: ``keypoints`` (non-finite values zeroed), ``vis`` (0 where not valid) and
        ``valid``, float64.
    """
    K_ = num_keypoints
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim != 3 or keypoints.shape[1:] != (K_, 2):
        fail('keypoints', f'must have shape (N, {K_}, 2), got {keypoints.shape}', img_path)
    N = keypoints.shape[0]
    if keypoints_visible is None:
        fail('keypoints_visible', 'is missing', img_path)
    vis = np.asarray(keypoints_visible, dtype=np.float64)
    if vis.ndim == 3 and vis.shape[2] in (1, 2):
        vis = vis[..., 0]
    if vis.shape != (N, K_):
        fail('keypoints_visible', f'must have shape ({N}, {K_}), got {vis.shape}', img_path)
    valid = (vis > 0).astype(np.float64) if keypoints_valid is None \
        else np.asarray(keypoints_valid, dtype=np.float64)
    if valid.shape != (N, K_):
        fail('keypoints_valid', f'must have shape ({N}, {K_}), got {valid.shape}', img_path)
    check_finite('keypoints', keypoints, (valid > 0) | (vis > 0), img_path)
    keypoints = np.where(np.isfinite(keypoints), keypoints, 0.)
    return keypoints, vis * (valid > 0), valid


def check_keypoints_3d(keypoints_cam, has_depth, valid: np.ndarray, root_index: int,
                       img_path: Optional[str] = None) -> Tuple[np.ndarray, np.ndarray]:
    """Validate the 3D annotation.

    Args:
        keypoints_cam (optional): (N, K, 3) camera space, mm; required when any
            ``has_depth > 0``.
        has_depth (optional): (N,); defaults to 1 when ``keypoints_cam`` is given, else 0.
        valid (np.ndarray): (N, K) checked ``keypoints_valid``.
        root_index (int): The root joint, which must lie in front of the camera.
        img_path (str, optional): Only used in error messages.

    Returns:
        tuple: ``keypoints_cam`` (0 where unused: not valid or no depth) and ``has_depth``,
        float64.
    """
    N, K_ = valid.shape
    if has_depth is None:
        has_depth = np.full(N, 1. if keypoints_cam is not None else 0.)
    has_depth = np.asarray(has_depth, dtype=np.float64).reshape(-1)
    if has_depth.shape != (N, ):
        fail('has_depth', f'must have shape ({N},), got {has_depth.shape}', img_path)
    if keypoints_cam is None:
        if (has_depth > 0).any():
            fail('keypoints_cam', 'is missing but has_depth > 0', img_path)
        keypoints_cam = np.zeros((N, K_, 3))
    keypoints_cam = np.asarray(keypoints_cam, dtype=np.float64)
    if keypoints_cam.shape != (N, K_, 3):
        fail('keypoints_cam', f'must have shape ({N}, {K_}, 3), got {keypoints_cam.shape}',
             img_path)
    use3d = (valid > 0) & (has_depth[:, None] > 0)
    check_finite('keypoints_cam', keypoints_cam, use3d, img_path)
    keypoints_cam = np.where(use3d[..., None], keypoints_cam, 0.)
    if (use3d[:, root_index] & (keypoints_cam[:, root_index, 2] <= 0)).any():
        fail('keypoints_cam', 'has a root (pelvis) at depth <= 0', img_path)
    return keypoints_cam, has_depth


def check_cam_param(cam_param: Optional[dict], has_depth: np.ndarray,
                    img_path: Optional[str] = None) -> Optional[np.ndarray]:
    """The (3, 3) float64 intrinsics ``K`` of ``cam_param`` (None when not given, allowed only
    without depth); fail unless finite and non-singular."""
    if cam_param is None:
        if (has_depth > 0).any():
            fail('cam_param', 'is missing (needed for depth targets)', img_path)
        return None
    if not isinstance(cam_param, dict) or 'K' not in cam_param:
        fail('cam_param', f'must be a dict with a 3x3 `K`, got {type(cam_param).__name__}',
             img_path)
    K = np.asarray(cam_param['K'], dtype=np.float64)
    if K.shape != (3, 3) or not np.isfinite(K).all():
        fail('cam_param', f"['K'] must be a finite 3x3 matrix, got shape {K.shape}", img_path)
    if not focal_of(K) > 0 or abs(np.linalg.det(K)) == 0:
        fail('cam_param', "['K'] is singular", img_path)
    return K


def check_bbox(bbox, num_instances: int,
               img_path: Optional[str] = None) -> Optional[np.ndarray]:
    """``bbox`` as an (N, 4) float64 xyxy array in input px (None when not given); fail for
    another shape."""
    if bbox is None:
        return None
    bbox = np.asarray(bbox, dtype=np.float64)
    if bbox.shape != (num_instances, 4):
        fail('bbox', f'must have shape ({num_instances}, 4) (xyxy input px), got '
             f'{bbox.shape}', img_path)
    return bbox


def check_encode_inputs(keypoints, keypoints_visible, keypoints_cam, keypoints_valid,
                        has_depth, cam_param, num_keypoints: int, root_index: int,
                        img_path: Optional[str] = None) -> Tuple[Optional[np.ndarray], ...]:
    """Validate and normalise the annotation of ``MARCodec.encode`` (its arguments of the same
    names; checked in this order).

    Returns:
        tuple: ``keypoints`` (N, K, 2), ``vis`` (N, K), ``valid`` (N, K), ``keypoints_cam``
        (N, K, 3), ``has_depth`` (N,) and ``K`` (3, 3) or None, float64.
    """
    keypoints, vis, valid = check_keypoints_2d(keypoints, keypoints_visible, keypoints_valid,
                                               num_keypoints, img_path)
    keypoints_cam, has_depth = check_keypoints_3d(keypoints_cam, has_depth, valid, root_index,
                                                  img_path)
    K = check_cam_param(cam_param, has_depth, img_path)
    return keypoints, vis, valid, keypoints_cam, has_depth, K
