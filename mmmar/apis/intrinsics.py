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

**Camera from the photo.** Without user intrinsics for an image, :func:`resolve_intrinsics`
reads the image file's EXIF (:func:`exif_intrinsics`, with Pillow) and, when it carries a
focal length, uses it (source ``'exif'``) instead of the 60-degree default:

* ``FocalLengthIn35mmFilm`` ``f35`` (mm): the 35 mm equivalent is defined by the diagonal
  (CIPA DC-008), so ``fx = fy = f35 * sqrt(W^2 + H^2) / sqrt(36^2 + 24^2)``; for a 3:2 image
  this is ``f35 / 36 * W`` (landscape);
* else ``FocalLength`` ``f`` (mm) with ``FocalPlaneXResolution`` / ``FocalPlaneYResolution``
  and ``FocalPlaneResolutionUnit`` (inch, cm, mm, um): ``fx = f * XRes / unit_mm`` (pixels per
  mm on the sensor), ``fy`` likewise (``fy = fx`` without a Y resolution), rescaled by
  ``W / PixelXDimension`` when the image was resized after the EXIF was written, and with
  ``fx``/``fy`` swapped for an image decoded rotated by a quarter turn;
* else ``FocalLength`` with a known sensor width (``sensor_width_mm=``, the sensor's long
  side): ``fx = fy = f * max(W, H) / sensor_width_mm``.

The principal point is the image centre, as for the default. Values that are missing, zero,
not finite or give a horizontal field of view outside (1, 179) degrees are ignored.
"""
import json
import math
import os.path as osp
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from mmmar.geometry.camera import DEFAULT_FOV_DEG, default_intrinsics

__all__ = [
    'DEFAULT_FOV_DEG', 'SOURCE_DEFAULT', 'SOURCE_USER', 'SOURCE_EXIF',
    'default_intrinsics', 'parse_intrinsics', 'is_per_image_intrinsics',
    'resolve_intrinsics', 'load_intrinsics_arg', 'exif_intrinsics'
]

#: ``source`` recorded with intrinsics supplied by the user.
SOURCE_USER = 'user'
#: ``source`` recorded with intrinsics derived from the image's EXIF focal length.
SOURCE_EXIF = 'exif'
#: Diagonal of the 36 x 24 mm frame that defines the 35 mm equivalent focal length.
FILM_35MM_DIAGONAL_MM = math.hypot(36.0, 24.0)
#: EXIF FocalPlaneResolutionUnit -> millimetres (2 inch, 3 cm, 4 mm, 5 um).
_FOCAL_PLANE_UNIT_MM = {2: 25.4, 3: 10.0, 4: 1.0, 5: 0.001}
_EXIF_IFD = 0x8769
_TAG_ORIENTATION = 0x0112
_TAG_FOCAL_LENGTH = 0x920A
_TAG_FOCAL_35MM = 0xA405
_TAG_PIXEL_X = 0xA002
_TAG_FP_XRES, _TAG_FP_YRES, _TAG_FP_UNIT = 0xA20E, 0xA20F, 0xA210


def _default_source(fov_deg: float) -> str:
    return f'default-fov{fov_deg:g}'


#: ``source`` recorded with the default intrinsics (60 degrees).
SOURCE_DEFAULT = _default_source(DEFAULT_FOV_DEG)

IntrinsicsLike = Union[np.ndarray, Sequence, Mapping[str, Any]]


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


def _positive(value) -> Optional[float]:
    """A positive finite float from an EXIF value (rational, int, tuple), else None."""
    if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator)
        value = value[0] / value[1] if value[1] else float('nan')
    try:
        value = float(value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return value if math.isfinite(value) and value > 0 else None


def _read_exif(path: str):
    """(EXIF sub-IFD dict, orientation, stored (W, H)) of an image file, or None."""
    try:
        from PIL import Image
        with Image.open(path) as img:
            exif = img.getexif()
            size = img.size
            ifd = dict(exif.get_ifd(_EXIF_IFD))
            orientation = exif.get(_TAG_ORIENTATION, 1)
    except Exception:  # noqa: BLE001  (not an image PIL reads, no EXIF, bad EXIF)
        return None
    return ifd, orientation, size


def exif_intrinsics(path: str,
                    width: Optional[int] = None,
                    height: Optional[int] = None,
                    sensor_width_mm: Optional[float] = None
                    ) -> Optional[Tuple[np.ndarray, Dict[str, Any]]]:
    """Intrinsics from an image file's EXIF focal length (see the module docstring).

    Args:
        path (str): Image file (JPEG, or any format whose EXIF Pillow reads).
        width, height (int, optional): Size of the image as decoded (after any EXIF
            rotation); default: the stored size.
        sensor_width_mm (float, optional): Sensor width (long side, mm) to use with a bare
            ``FocalLength``.

    Returns:
        ``(K (3, 3) float32, info)`` with ``info`` naming the EXIF fields used
        (``rule``: ``'35mm-equivalent'``, ``'focal-plane-resolution'`` or
        ``'sensor-width'``, and their values), or None when the file has no usable focal
        length.
    """
    read = _read_exif(path)
    if read is None:
        return None
    ifd, orientation, (sw, sh) = read
    w, h = (width, height) if width and height else (sw, sh)
    rotated = (w, h) == (sh, sw) and sw != sh
    f35 = _positive(ifd.get(_TAG_FOCAL_35MM))
    f_mm = _positive(ifd.get(_TAG_FOCAL_LENGTH))
    fx = fy = None
    info: Dict[str, Any] = {}
    if f35 is not None:
        fx = fy = f35 * math.hypot(w, h) / FILM_35MM_DIAGONAL_MM
        info = dict(rule='35mm-equivalent', FocalLengthIn35mmFilm=f35)
    elif f_mm is not None and _positive(ifd.get(_TAG_FP_XRES)) and \
            ifd.get(_TAG_FP_UNIT, 2) in _FOCAL_PLANE_UNIT_MM:
        unit = _FOCAL_PLANE_UNIT_MM[ifd.get(_TAG_FP_UNIT, 2)]
        xres = _positive(ifd.get(_TAG_FP_XRES))
        yres = _positive(ifd.get(_TAG_FP_YRES)) or xres
        scale = 1.0
        pixel_x = _positive(ifd.get(_TAG_PIXEL_X))
        if pixel_x is not None:
            scale = sw / pixel_x
        fx, fy = f_mm * xres / unit * scale, f_mm * yres / unit * scale
        if rotated:
            fx, fy = fy, fx
        info = dict(rule='focal-plane-resolution', FocalLength=f_mm,
                    FocalPlaneXResolution=xres, FocalPlaneYResolution=yres,
                    unit_mm=unit, resize_scale=scale)
    elif f_mm is not None and sensor_width_mm and sensor_width_mm > 0:
        fx = fy = f_mm * max(w, h) / float(sensor_width_mm)
        info = dict(rule='sensor-width', FocalLength=f_mm,
                    sensor_width_mm=float(sensor_width_mm))
    if fx is None:
        return None
    fov = math.degrees(2 * math.atan(w / (2 * fx)))
    if not 1.0 < fov < 179.0:
        return None
    info['orientation'] = orientation
    K = np.array([[fx, 0., (w - 1) / 2.], [0., fy, (h - 1) / 2.], [0., 0., 1.]],
                 dtype=np.float32)
    return K, info


def resolve_intrinsics(intrinsics: Optional[IntrinsicsLike],
                       img_path: Optional[str],
                       width: int,
                       height: int,
                       fov_deg: float = DEFAULT_FOV_DEG,
                       use_exif: bool = True
                       ) -> Tuple[np.ndarray, str]:
    """The ``K`` to use for one image and where it came from.

    Order: the user's camera for this image (or the per-image dict's ``'default'``), else
    the EXIF focal length of the file ``img_path`` (:func:`exif_intrinsics`), else the
    default field of view.

    Args:
        intrinsics: ``None`` (use the default), one camera (see :func:`parse_intrinsics`) or
            a dict image name -> camera (looked up by the path as given, then by its
            basename; ``'default'`` for the others).
        img_path (str, optional): The image's path (or a frame name).
        width, height (int): Image size (as decoded), for the default and EXIF.
        fov_deg (float): Field of view of the default.
        use_exif (bool): Read the EXIF of ``img_path`` when it is a file. Defaults to True.

    Returns:
        tuple: ``(K (3, 3) float32, source)`` with source ``'user'``, ``'exif'`` or
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
        if use_exif and img_path and osp.isfile(img_path):
            exif = exif_intrinsics(img_path, width, height)
            if exif is not None:
                return exif[0], SOURCE_EXIF
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
