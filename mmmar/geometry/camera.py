"""Pinhole camera geometry: Eq. 1 of MAR (back-projection), projection and
intrinsics helpers.

Conventions (see ``docs/design.md``, "Intrinsics"):

- ``K`` is a full 3x3 intrinsics matrix of the *current* image. After an
  in-plane rotation it has off-diagonal (skew) terms, so every function here
  works with the full ``K^-1`` and never assumes zero skew. Its last row is
  normally ``[0, 0, 1]``; functions that back-project normalise the ray by its
  third component so that ``depth`` is always the camera-space ``Z``.
- Pixels ``(u, v)`` and camera-space points ``(X, Y, Z)``; ``Z`` (depth) is in
  whatever unit the caller uses (millimetres in mmmar).
- Every function is batched over arbitrary leading dimensions (broadcast
  between arguments) and vectorised.

The torch functions are differentiable; ``*_np`` are their numpy twins. The
intrinsics helpers (:func:`intrinsics_matrix`, :func:`affine_to_3x3`,
:func:`transform_intrinsics`, :func:`flip_camera`, :func:`focal_of`) accept
either numpy arrays or torch tensors and return the same type;
:func:`default_intrinsics` is the numpy ``K`` assumed for an image without
intrinsics (60 degree horizontal field of view).
"""
import math
from functools import lru_cache
from typing import Union

import numpy as np
import torch
from torch import Tensor

ArrayLike = Union[np.ndarray, Tensor]

#: Smallest depth used as a divisor in :func:`project` (points at or behind
#: the camera are projected as if at this depth instead of dividing by <= 0).
PROJECT_MIN_DEPTH = 1e-6

#: Horizontal field of view (degrees) of :func:`default_intrinsics`, assumed when an image
#: comes without intrinsics.
DEFAULT_FOV_DEG = 60.0


# ---------------------------------------------------------------------------
# Eq. 1: back-projection, and its inverse (projection)
# ---------------------------------------------------------------------------
def _homogeneous(uv: Tensor) -> Tensor:
    return torch.cat([uv, torch.ones_like(uv[..., :1])], dim=-1)


def pixel_rays(uv: Tensor, K: Tensor) -> Tensor:
    """Normalised camera rays ``x = K^-1 [u, v, 1]^T / (third comp.)``.

    Args:
        uv (Tensor): Pixels, shape (..., 2).
        K (Tensor): Intrinsics, shape (..., 3, 3), broadcastable to ``uv``.

    Returns:
        Tensor: Rays with unit third component, shape (..., 3), such that the
        camera-space point of pixel ``uv`` at depth ``Z`` is ``Z * x``.
    """
    K = K.to(uv.dtype)
    x = (torch.linalg.inv(K) @ _homogeneous(uv).unsqueeze(-1)).squeeze(-1)
    return x / x[..., 2:3]


@lru_cache(maxsize=64)
def _inverse_3x3(K_bytes: bytes) -> np.ndarray:
    inv = np.linalg.inv(np.frombuffer(K_bytes, np.float64).reshape(3, 3))
    inv.setflags(write=False)
    return inv


def pixel_rays_np(uv: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Numpy twin of :func:`pixel_rays` (the inverse of a single ``K`` is
    cached: a decode back-projects with the same ``K`` several times)."""
    uv = np.asarray(uv, dtype=np.float64)
    K = np.asarray(K, dtype=np.float64)
    h = np.concatenate([uv, np.ones_like(uv[..., :1])], axis=-1)
    if K.shape == (3, 3):
        x = h @ _inverse_3x3(K.tobytes()).T
    else:
        x = (np.linalg.inv(K) @ h[..., None])[..., 0]
    return x / x[..., 2:3]


def back_project(uv: Tensor, depth: Tensor, K: Tensor) -> Tensor:
    """Eq. 1: back-project pixels with absolute depths into camera space.

    ``P = Z * K^-1 [u, v, 1]^T`` with a general (possibly skewed) ``K``. For a
    joint ``k`` of the 2.5D pose, ``depth = Z_root + Zr_k``.

    Args:
        uv (Tensor): Pixels, shape (..., 2).
        depth (Tensor): Absolute depth ``Z`` of each pixel, shape (...).
        K (Tensor): Intrinsics, shape (..., 3, 3), broadcastable.

    Returns:
        Tensor: Camera-space points, shape (..., 3), in the unit of ``depth``.
    """
    return depth.unsqueeze(-1) * pixel_rays(uv, K)


def back_project_np(uv: np.ndarray, depth: np.ndarray,
                    K: np.ndarray) -> np.ndarray:
    """Numpy twin of :func:`back_project` (Eq. 1), float64."""
    depth = np.asarray(depth, dtype=np.float64)
    return depth[..., None] * pixel_rays_np(uv, K)


def project(points: Tensor, K: Tensor,
            min_depth: float = PROJECT_MIN_DEPTH) -> Tensor:
    """Project camera-space points to pixels (inverse of Eq. 1).

    Args:
        points (Tensor): Camera-space points, shape (..., 3).
        K (Tensor): Intrinsics, shape (..., 3, 3), broadcastable.
        min_depth (float): The projective divisor is clamped to at least this
            value, so that points at or behind the camera give finite (but
            meaningless) pixels instead of inf/NaN.

    Returns:
        Tensor: Pixels, shape (..., 2).
    """
    p = (K.to(points.dtype) @ points.unsqueeze(-1)).squeeze(-1)
    return p[..., :2] / p[..., 2:3].clamp(min=min_depth)


def project_np(points: np.ndarray, K: np.ndarray,
               min_depth: float = PROJECT_MIN_DEPTH) -> np.ndarray:
    """Numpy twin of :func:`project`, float64."""
    points = np.asarray(points, dtype=np.float64)
    p = (np.asarray(K, dtype=np.float64) @ points[..., None])[..., 0]
    return p[..., :2] / np.maximum(p[..., 2:3], min_depth)


# ---------------------------------------------------------------------------
# Intrinsics helpers (numpy or torch in, same type out)
# ---------------------------------------------------------------------------
def _is_torch(x) -> bool:
    return isinstance(x, Tensor)


def focal_of(K: ArrayLike) -> ArrayLike:
    """Scale-invariant focal length ``sqrt(|det K[:2, :2]|)``.

    It equals ``sqrt(fx * fy)`` for an unskewed ``K``, is unchanged by in-plane
    rotations and scales like the image under resizing. mmmar normalises
    depths by it (``Z / focal_of(K)``, see the codec).

    Args:
        K (np.ndarray | Tensor): Intrinsics, shape (..., 3, 3).

    Returns:
        np.ndarray | Tensor: Focal length in pixels, shape (...).
    """
    det = K[..., 0, 0] * K[..., 1, 1] - K[..., 0, 1] * K[..., 1, 0]
    if _is_torch(K):
        return det.abs().sqrt()
    return np.sqrt(np.abs(det))


#: numpy-named alias of :func:`focal_of` (it already accepts numpy arrays).
focal_of_np = focal_of


def intrinsics_matrix(fx, fy, cx, cy) -> ArrayLike:
    """Build ``K = [[fx, 0, cx], [0, fy, cy], [0, 0, 1]]``.

    Args:
        fx, fy, cx, cy (float | np.ndarray | Tensor): Focal lengths and
            principal point, scalars or arrays of a common shape (...).

    Returns:
        np.ndarray | Tensor: ``K`` of shape (..., 3, 3) (float64 numpy unless
        a tensor is given).
    """
    if any(_is_torch(v) for v in (fx, fy, cx, cy)):
        fx, fy, cx, cy = torch.broadcast_tensors(
            *[torch.as_tensor(v) for v in (fx, fy, cx, cy)])
        zero, one = torch.zeros_like(fx), torch.ones_like(fx)
        rows = [
            torch.stack([fx, zero, cx], -1),
            torch.stack([zero, fy, cy], -1),
            torch.stack([zero, zero, one], -1)
        ]
        return torch.stack(rows, -2)
    fx, fy, cx, cy = np.broadcast_arrays(
        *[np.asarray(v, dtype=np.float64) for v in (fx, fy, cx, cy)])
    K = np.zeros(fx.shape + (3, 3), dtype=np.float64)
    K[..., 0, 0], K[..., 0, 2] = fx, cx
    K[..., 1, 1], K[..., 1, 2] = fy, cy
    K[..., 2, 2] = 1.
    return K


def affine_to_3x3(A: ArrayLike) -> ArrayLike:
    """Append the row ``[0, 0, 1]`` to an image-space affine ``A`` (..., 2, 3).

    Returns:
        np.ndarray | Tensor: ``A3`` of shape (..., 3, 3). A (..., 3, 3) input
        is returned unchanged.
    """
    if A.shape[-2:] == (3, 3):
        return A
    if A.shape[-2:] != (2, 3):
        raise ValueError(f'affine must have shape (..., 2, 3), got {A.shape}')
    if _is_torch(A):
        last = torch.zeros_like(A[..., :1, :])
        last[..., 0, 2] = 1
        return torch.cat([A, last], dim=-2)
    last = np.zeros(A.shape[:-2] + (1, 3), dtype=A.dtype)
    last[..., 0, 2] = 1
    return np.concatenate([A, last], axis=-2)


def transform_points(points: np.ndarray, M: np.ndarray) -> np.ndarray:
    """Apply a (3, 3) (or (2, 3)) image-space affine ``M`` to (..., 2) points (float32)."""
    points = np.asarray(points, np.float64)
    M = np.asarray(M, np.float64)
    return (points @ M[:2, :2].T + M[:2, 2]).astype(np.float32)


def inverse_input_transform(meta: dict) -> np.ndarray:
    """(3, 3) map from network-input pixels back to original-image pixels, from a data
    sample's metainfo: the inverse of ``input_affine``; else mmpose's ``input_center`` /
    ``input_scale`` / ``input_size``; else the identity."""
    A = meta.get('input_affine', None)
    if A is not None:
        return np.linalg.inv(affine_to_3x3(np.asarray(A, np.float64)))
    if all(k in meta for k in ('input_size', 'input_center', 'input_scale')):
        size = np.asarray(meta['input_size'], np.float64).reshape(2)
        center = np.asarray(meta['input_center'], np.float64).reshape(2)
        scale = np.asarray(meta['input_scale'], np.float64).reshape(2)
        s = scale / size
        t = center - 0.5 * scale
        return np.array([[s[0], 0, t[0]], [0, s[1], t[1]], [0, 0, 1.]])
    return np.eye(3)


def transform_intrinsics(K: ArrayLike, A: ArrayLike) -> ArrayLike:
    """Intrinsics of an image warped by the pixel affine ``A``: ``A3 @ K``.

    Camera-space points (and depths) are unchanged by an image-space affine;
    only the intrinsics change.

    Args:
        K (np.ndarray | Tensor): Intrinsics (..., 3, 3).
        A (np.ndarray | Tensor): Affine (..., 2, 3) or (..., 3, 3) mapping old
            pixels to new pixels.

    Returns:
        np.ndarray | Tensor: New intrinsics (..., 3, 3).
    """
    A3 = affine_to_3x3(A)
    if _is_torch(K) or _is_torch(A3):
        return torch.as_tensor(A3).to(torch.as_tensor(K).dtype) @ \
            torch.as_tensor(K)
    return A3.astype(np.result_type(A3, K)) @ K


def flip_affine(width: Union[int, float]) -> np.ndarray:
    """The (2, 3) affine of mmpose's horizontal image flip ``u -> width - 1 - u``."""
    return np.array([[-1., 0., width - 1.], [0., 1., 0.]])


def flip_camera(K: ArrayLike, width: Union[int, float]) -> ArrayLike:
    """Intrinsics after a horizontal image flip that mirrors the camera.

    The image flip is mmpose's ``u -> width - 1 - u`` (affine ``F``); the
    scene is mirrored ``X -> -X`` at the same time (``keypoints_cam`` must be
    mirrored and left/right joints swapped by the caller), so that
    ``K' = F @ K @ diag(-1, 1, 1)`` keeps ``fx`` positive.

    Args:
        K (np.ndarray | Tensor): Intrinsics (..., 3, 3).
        width (int | float): Image width in pixels.

    Returns:
        np.ndarray | Tensor: Flipped intrinsics (..., 3, 3).
    """
    F = affine_to_3x3(flip_affine(width))
    M = np.diag([-1., 1., 1.])
    if _is_torch(K):
        F = torch.as_tensor(F, dtype=K.dtype, device=K.device)
        M = torch.as_tensor(M, dtype=K.dtype, device=K.device)
        return F @ K @ M
    return (F @ K @ M).astype(np.result_type(K, np.float32))


def default_intrinsics(width: int,
                       height: int,
                       fov_deg: float = DEFAULT_FOV_DEG) -> np.ndarray:
    """The intrinsics assumed when none are given.

    ``fx = fy = W / (2 tan(fov / 2))`` (horizontal field of view ``fov_deg``, square pixels),
    principal point ``((W - 1) / 2, (H - 1) / 2)``.

    Args:
        width (int): Image width in pixels (> 0).
        height (int): Image height in pixels (> 0).
        fov_deg (float): Horizontal field of view in degrees, in (0, 180).
            Defaults to :data:`DEFAULT_FOV_DEG` (60).

    Returns:
        np.ndarray: ``K``, (3, 3) float32.
    """
    if not (width > 0 and height > 0):
        raise ValueError(f'image size must be positive, got {width}x{height}')
    if not 0 < fov_deg < 180:
        raise ValueError(f'fov_deg must be in (0, 180), got {fov_deg}')
    f = width / (2.0 * math.tan(math.radians(fov_deg) / 2.0))
    return np.array([[f, 0., (width - 1) / 2.], [0., f, (height - 1) / 2.],
                     [0., 0., 1.]], dtype=np.float32)
