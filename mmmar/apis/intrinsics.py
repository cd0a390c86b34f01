"""Camera intrinsics for inference: the documented default and user-given ``K``.

MAR back-projects every person with the intrinsics ``K`` of the image (Eq. 1) and normalises
depths by ``focal_of(K)``, so the metric 3D output is only as right as ``K``. When the user
knows nothing about the camera, :func:`default_intrinsics` assumes

* a **horizontal field of view of 60 degrees** (:data:`DEFAULT_FOV_DEG`):
  ``fx = fy = W / (2 tan(30 deg)) ~= 0.866 W``;
* the principal point at the image centre ``((W - 1) / 2, (H - 1) / 2)`` (mmpose puts pixel
  centres at integer coordinates, so this is the fixed point of a horizontal flip).

Absolute depths scale linearly with the focal length: if the true focal is ``f`` and the
default is ``f0``, every predicted ``Z`` (and X, Y) is off by the factor ``f0 / f``.

A user can give intrinsics in any of these forms (:func:`parse_intrinsics`):

* a 3x3 matrix (nested lists or an array),
* 4 numbers ``[fx, fy, cx, cy]``,
* a dict ``{'K': 3x3}`` or ``{'f': [fx, fy], 'c': [cx, cy]}`` (mmpose's ``cam_param`` style)
  or ``{'fx':.., 'fy':.., 'cx':.., 'cy':..}``,
* per image: a dict mapping image file names (basename or full path as given) to any of the
  above; an optional ``'default'`` entry is used for the other images, otherwise they get
  :func:`default_intrinsics`.

On the command line (``demo/inferencer_demo.py --intrinsics``) the same is given as a JSON file
or as 4 numbers (:func:`load_intrinsics_arg`).
"""
import json
import math
import os.path as osp
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = [
    'DEFAULT_FOV_DEG', 'SOURCE_DEFAULT', 'SOURCE_USER', 'default_intrinsics',
    'parse_intrinsics', 'is_per_image_intrinsics', 'resolve_intrinsics',
    'load_intrinsics_arg'
]

#: Horizontal field of view assumed when no intrinsics are given.
DEFAULT_FOV_DEG = 60.0
#: ``source`` recorded with intrinsics supplied by the user.
SOURCE_USER = 'user'


def _default_source(fov_deg: float) -> str:
    return f'default-fov{fov_deg:g}'


#: ``source`` recorded with the default intrinsics (60 degrees).
SOURCE_DEFAULT = _default_source(DEFAULT_FOV_DEG)

IntrinsicsLike = Union[np.ndarray, Sequence, Mapping[str, Any]]


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


def _check_K(K: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(K)):
        raise ValueError(f'intrinsics {what} contain non-finite values: {K}')
    if abs(K[0, 0] * K[1, 1] - K[0, 1] * K[1, 0]) <= 0 or K[0, 0] <= 0 \
            or K[1, 1] <= 0:
        raise ValueError(
            f'intrinsics {what} need positive focal lengths, got {K.tolist()}')
    if not np.allclose(K[2], [0, 0, 1]):
        raise ValueError(
            f'intrinsics {what}: last row of K must be [0, 0, 1], got '
            f'{K[2].tolist()}')
    return K.astype(np.float32)


def parse_intrinsics(value: IntrinsicsLike, what: str = '') -> np.ndarray:
    """Turn one camera's intrinsics into a (3, 3) float32 ``K``.

    Args:
        value: A 3x3 matrix, 4 numbers ``[fx, fy, cx, cy]``, or a dict with ``K``, with
            ``f`` and ``c``, or with ``fx``, ``fy``, ``cx``, ``cy``.
        what (str): Name used in error messages (e.g. the image path).

    Returns:
        np.ndarray: (3, 3) float32.

    Raises:
        ValueError: The value is none of the above or not a valid camera.
    """
    what = f'for {what}' if what else ''
    if isinstance(value, Mapping):
        if 'K' in value:
            return parse_intrinsics(value['K'], what[4:])
        if 'f' in value and 'c' in value:
            f = np.asarray(value['f'], np.float64).reshape(-1)
            c = np.asarray(value['c'], np.float64).reshape(-1)
            if f.size == 1:
                f = np.repeat(f, 2)
            if f.size != 2 or c.size != 2:
                raise ValueError(
                    f'intrinsics {what}: f and c must have 2 values each')
            value = [f[0], f[1], c[0], c[1]]
        elif all(k in value for k in ('fx', 'fy', 'cx', 'cy')):
            value = [value['fx'], value['fy'], value['cx'], value['cy']]
        else:
            raise ValueError(
                f'intrinsics {what}: a dict needs the key K, the keys f and c, '
                f'or fx, fy, cx, cy; got keys {sorted(value)}')
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(
            f'intrinsics {what} must be a 3x3 matrix or [fx, fy, cx, cy], '
            f'got {value!r}') from e
    if arr.shape == (4, ):
        fx, fy, cx, cy = arr
        arr = np.array([[fx, 0, cx], [0, fy, cy], [0, 0, 1]], np.float64)
    elif arr.size == 9:
        arr = arr.reshape(3, 3)
    else:
        raise ValueError(
            f'intrinsics {what} must be a 3x3 matrix or [fx, fy, cx, cy], '
            f'got shape {arr.shape}')
    return _check_K(arr, what)


def _looks_like_single(value: Mapping) -> bool:
    keys = set(value)
    return 'K' in keys or {'f', 'c'} <= keys or \
        {'fx', 'fy', 'cx', 'cy'} <= keys


def is_per_image_intrinsics(value: Any) -> bool:
    """Whether ``value`` is a dict mapping image names to intrinsics."""
    return isinstance(value, Mapping) and not _looks_like_single(value)


def resolve_intrinsics(intrinsics: Optional[IntrinsicsLike],
                       img_path: Optional[str],
                       width: int,
                       height: int,
                       fov_deg: float = DEFAULT_FOV_DEG
                       ) -> Tuple[np.ndarray, str]:
    """The ``K`` to use for one image and where it came from.

    Args:
        intrinsics: ``None`` (use the default), one camera (see :func:`parse_intrinsics`) or
            a dict image name -> camera (looked up by the path as given, then by its
            basename; ``'default'`` for the others).
        img_path (str, optional): The image's path (or a frame name).
        width, height (int): Image size, for the default.
        fov_deg (float): Field of view of the default.

    Returns:
        tuple: ``(K (3, 3) float32, source)`` with source ``'user'`` or
        ``'default-fov<fov_deg>'`` (``'default-fov60'``).
    """
    value = intrinsics
    if is_per_image_intrinsics(intrinsics):
        value = None
        if img_path is not None:
            for key in (img_path, osp.basename(img_path),
                        osp.splitext(osp.basename(img_path))[0]):
                if key in intrinsics:
                    value = intrinsics[key]
                    break
        if value is None:
            value = intrinsics.get('default')
    if value is None:
        return default_intrinsics(width, height,
                                  fov_deg), _default_source(fov_deg)
    return parse_intrinsics(value, img_path or ''), SOURCE_USER


def load_intrinsics_arg(arg: Union[None, str, Sequence[str], Sequence[float]]
                        ) -> Optional[Union[np.ndarray, Dict[str, Any]]]:
    """Parse the ``--intrinsics`` command-line value.

    Args:
        arg: ``None``; a path to a JSON file (one camera in any form of
            :func:`parse_intrinsics`, or a dict image name -> camera); 4 numbers
            ``fx fy cx cy`` (as a list of strings/floats or one string
            ``"fx,fy,cx,cy"`` / ``"fx fy cx cy"``); or 9 numbers (row-major K).

    Returns:
        ``None``, a (3, 3) ``K`` or a per-image dict (values parsed and checked).
    """
    if arg is None:
        return None
    if isinstance(arg, (list, tuple)) and len(arg) == 1:
        arg = arg[0]
    if isinstance(arg, str):
        if osp.isfile(arg):
            try:
                with open(arg) as f:
                    value = json.load(f)
            except (OSError, ValueError) as e:
                raise ValueError(
                    f'cannot read intrinsics JSON file {arg}: {e}') from e
            if is_per_image_intrinsics(value):
                return {
                    str(k): parse_intrinsics(v, f'{k} in {arg}')
                    for k, v in value.items()
                }
            return parse_intrinsics(value, arg)
        parts = arg.replace(',', ' ').split()
    else:
        parts = list(arg)
    try:
        numbers = [float(p) for p in parts]
    except (TypeError, ValueError):
        raise ValueError(
            f'--intrinsics must be a JSON file or 4 numbers fx fy cx cy, got '
            f'{arg!r} (no such file)') from None
    if len(numbers) not in (4, 9):
        raise ValueError(
            f'--intrinsics needs 4 numbers fx fy cx cy (or 9 for K), got '
            f'{len(numbers)}: {arg!r}')
    return parse_intrinsics(numbers, '--intrinsics')
