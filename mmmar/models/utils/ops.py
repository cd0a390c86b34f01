"""Small building blocks of the MAR head: its conv branches, the corner-aligned upsampling
of the per-scale maps, the intrinsics and the targets read from the data samples."""
from typing import Dict, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from torch import Tensor, nn

from mmmar.codecs.targets import scatter_root_targets
from mmmar.structures.utils import to_numpy


def conv_branch(in_channels: int, mid_channels: int, out_channels: int) -> nn.Module:
    """One branch of the head (paper section 4.2): ``3x3 conv + BN + ReLU + 1x1 conv``."""
    return nn.Sequential(
        ConvModule(
            in_channels,
            mid_channels,
            kernel_size=3,
            padding=1,
            norm_cfg=dict(type='BN'),
            act_cfg=dict(type='ReLU')),
        nn.Conv2d(mid_channels, out_channels, kernel_size=1))


def upsample_aligned(x: Tensor, factor: int, size: Tuple[int, int]) -> Tensor:
    """Bilinearly upsample a stride-``s*factor`` map to stride ``s``.

    Uses the corner-aligned convention of the codec: output pixel ``i`` reads
    the input at ``i / factor`` (clamped at the border).

    Args:
        x (Tensor): (B, C, h, w).
        factor (int): The stride ratio.
        size (tuple): The output (H, W).

    Returns:
        Tensor: (B, C, H, W).
    """
    if factor == 1 and tuple(x.shape[-2:]) == tuple(size):
        return x
    h_in, w_in = x.shape[-2:]
    H, W = size
    ys = torch.arange(H, dtype=x.dtype, device=x.device) / factor
    xs = torch.arange(W, dtype=x.dtype, device=x.device) / factor
    gy = 2 * ys / max(h_in - 1, 1) - 1
    gx = 2 * xs / max(w_in - 1, 1) - 1
    grid = torch.stack(torch.meshgrid(gy, gx, indexing='ij')[::-1], dim=-1)
    grid = grid.unsqueeze(0).expand(x.shape[0], H, W, 2)
    return F.grid_sample(
        x, grid, mode='bilinear', padding_mode='border', align_corners=True)


def get_intrinsics(data_sample) -> np.ndarray:
    """``data_sample.metainfo['cam_param']['K']`` as a finite (3, 3) float64
    array; a missing or malformed one raises a ValueError naming the sample
    and the field."""
    meta = data_sample.metainfo
    name = meta.get('img_path', meta.get('img_id', '<unknown sample>'))
    cam = meta.get('cam_param', None)
    if not isinstance(cam, dict) or 'K' not in cam:
        raise ValueError(f"sample {name}: metainfo field cam_param['K'] "
                         f'(camera intrinsics) is missing')
    try:
        K = np.asarray(to_numpy(cam['K']), dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"sample {name}: metainfo field cam_param['K'] is "
                         f'not a numeric array ({e})') from None
    if K.shape != (3, 3) or not np.all(np.isfinite(K)) or \
            abs(K[0, 0] * K[1, 1] - K[0, 1] * K[1, 0]) <= 0:
        raise ValueError(f"sample {name}: metainfo field cam_param['K'] must "
                         f'be a finite invertible 3x3 matrix, got '
                         f'{K.tolist() if K.size <= 16 else K.shape}')
    return K


def batch_intrinsics(batch_data_samples: Sequence, like: Tensor) -> Tensor:
    """(B, 3, 3) intrinsics of the input images (``cam_param['K']``) as a tensor of
    ``like``'s dtype and device."""
    Ks = [get_intrinsics(d) for d in batch_data_samples]
    return torch.as_tensor(np.stack(Ks), dtype=like.dtype, device=like.device)


def _target_maps(data_sample) -> Dict[str, Tensor]:
    """One sample's target maps by name: its ``gt_fields`` and, when it has the packed root
    fields of :class:`~mmmar.codecs.MARCodec` (``gt_instance_labels.root_pixels`` /
    ``root_targets``), their dense maps (on the labels' device)."""
    fields = data_sample.get('gt_fields', None)
    maps = {} if fields is None else dict(fields.items())
    labels = data_sample.get('gt_instance_labels', None)
    if labels is not None and 'root_targets' in labels and fields is not None:
        values = torch.as_tensor(labels.root_targets).float()
        num_keypoints = (values.shape[1] - 4) // 6
        h, w = fields.shape
        dense = scatter_root_targets(torch.as_tensor(labels.root_pixels).long(), values,
                                     num_keypoints, (w, h))
        maps.update({k: v for k, v in dense.items() if k not in maps})
    return maps


def stack_targets(batch_data_samples: Sequence, required: Sequence[str],
                  optional: Sequence[str] = ()) -> Dict[str, Tensor]:
    """The target maps of a batch stacked as float tensors (B, C, h, w): the ``gt_fields``
    (uint8 masks and weights become float) and the root fields packed in
    ``gt_instance_labels`` (:meth:`MARCodec.encode`), written into dense maps.

    Args:
        batch_data_samples (Sequence): Data samples with ``gt_fields``.
        required (Sequence[str]): Fields every sample must have (KeyError).
        optional (Sequence[str]): Fields left out unless every sample has them.

    Returns:
        dict: the stacked fields; single-channel (h, w) maps become (B, 1, h, w).
    """
    gt = {}
    samples = [_target_maps(d) for d in batch_data_samples]
    for key in tuple(required) + tuple(optional):
        vals = [s.get(key, None) for s in samples]
        if any(v is None for v in vals):
            continue
        gt[key] = torch.stack([torch.as_tensor(v).float() for v in vals])
        if gt[key].ndim == 3:
            gt[key] = gt[key].unsqueeze(1)
    missing = [k for k in required if k not in gt]
    if missing:
        raise KeyError(f'MARHead.loss: data samples lack gt_fields {missing} (is MARCodec '
                       f'used and are its fields packed?)')
    return gt
