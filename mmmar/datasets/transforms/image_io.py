"""Decoding image bytes with the corrupt-file checks shared by :class:`MARLoadImage` and
:class:`mmmar.apis.MARInferencer`.

cv2 decodes a JPEG cut short (no end-of-image marker) into a partly grey image with only a
warning, i.e. a silently wrong sample; :func:`decode_image_bytes` refuses it, as it refuses
empty and undecodable bytes, with an :class:`ImageDecodeError` that says which check failed.
"""
from typing import Optional

import mmcv
import numpy as np

__all__ = ['ImageDecodeError', 'is_truncated_jpeg', 'decode_image_bytes']

#: Where the end-of-image marker of a JPEG is looked for (trailing padding stripped).
_JPEG_TAIL_BYTES = 4096


class ImageDecodeError(ValueError):
    """Bytes that are no usable image.

    Attributes:
        kind (str): ``'empty'``, ``'truncated-jpeg'``, ``'decoder'`` (the decoder raised;
            it is the ``__cause__``) or ``'undecodable'`` (the decoder gave nothing).
    """

    def __init__(self, kind: str, message: str):
        self.kind = kind
        super().__init__(message)


def is_truncated_jpeg(buf: bytes) -> bool:
    """Whether ``buf`` starts as a JPEG (SOI marker) but its last 4 kB, with trailing zero /
    whitespace padding stripped, do not end with the end-of-image marker ``FF D9``."""
    if buf[:2] != b'\xff\xd8':
        return False
    return not buf[-_JPEG_TAIL_BYTES:].rstrip(b'\x00\r\n ').endswith(b'\xff\xd9')


def decode_image_bytes(buf: bytes,
                       check_jpeg_eoi: bool = True,
                       backend: Optional[str] = None) -> np.ndarray:
    """Decode an encoded image into a BGR uint8 (H, W, 3) array.

    Args:
        buf (bytes): The file's content.
        check_jpeg_eoi (bool): Refuse a JPEG without end-of-image marker
            (:func:`is_truncated_jpeg`). Defaults to True.
        backend (str, optional): Backend of ``mmcv.imfrombytes`` (None: mmcv's default).

    Returns:
        np.ndarray: The decoded image.

    Raises:
        ImageDecodeError: Empty bytes, a truncated JPEG, or bytes the decoder refuses.
    """
    if len(buf) == 0:
        raise ImageDecodeError('empty', 'empty file')
    if check_jpeg_eoi and is_truncated_jpeg(buf):
        raise ImageDecodeError('truncated-jpeg', 'truncated JPEG (no end-of-image marker)')
    try:
        img = mmcv.imfrombytes(buf, flag='color', channel_order='bgr', backend=backend)
    except Exception as e:  # noqa: BLE001
        raise ImageDecodeError('decoder', f'decoding failed: {e}') from e
    if img is None or img.size == 0:
        raise ImageDecodeError('undecodable', 'undecodable image data')
    return img
