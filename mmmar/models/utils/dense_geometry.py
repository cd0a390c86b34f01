"""The dense geometry depth of L_geo (Eq. 7-9): every supervised pixel stands for a root and
its predicted offsets (Eq. 2) give the 2.5D torso that Eq. 7-8 turns into a root depth."""
from typing import Sequence, Tuple

import torch
from torch import Tensor

from mmmar.geometry import focal_of, geometry_depth
from mmmar.geometry.depth import GEO_MIN_DEPTH


def dense_torso(offsets: Tensor, idx: Tuple[Tensor, Tensor, Tensor], root_index: int,
                neck_index: int, stride: Sequence[float], offset_norm: float = 1.,
                depth_norm: float = 1., root_from_offset: bool = True
                ) -> Tuple[Tensor, Tensor, Tensor]:
    """The 2.5D torso at the pixels ``idx = (b, y, x)``, each pixel being the root.

    Args:
        offsets (Tensor): (B, 3K, h, w) ``[du(K), dv(K), dZ(K)]``, normalised by
            ``offset_norm`` (heatmap px) / ``depth_norm`` (mm).
        idx (tuple): (b, y, x) index tensors of M pixels.
        root_index, neck_index (int): The torso's joints.
        stride (Sequence[float]): (sx, sy) input px per heatmap px.
        offset_norm, depth_norm (float): The codec's target normalisations.
        root_from_offset (bool): The root is the pixel plus its root offset
            (True) or the pixel itself.

    Returns:
        tuple: ``uv_root``, ``uv_neck`` (M, 2) input px and the neck's relative
        depth ``dz`` (M,) mm.
    """
    b, y, x = idx
    K = offsets.shape[1] // 3
    sx, sy = stride

    def offset_px(joint):
        du = offsets[:, joint][idx] * offset_norm
        dv = offsets[:, K + joint][idx] * offset_norm
        return torch.stack([du * sx, dv * sy], -1)

    dz = offsets[:, 2 * K + neck_index][idx] * depth_norm
    uv_pix = torch.stack([x.to(dz.dtype) * sx, y.to(dz.dtype) * sy], -1)
    uv_root = uv_pix + offset_px(root_index) if root_from_offset else uv_pix
    return uv_root, uv_pix + offset_px(neck_index), dz


def normalised_geometry_depth(uv_root: Tensor, uv_neck: Tensor, dz: Tensor, Ks: Tensor,
                              omega: Tensor) -> Tuple[Tensor, Tensor]:
    """Eq. 7-8 per torso, normalised like the regression depth.

    Args:
        uv_root, uv_neck (Tensor): (M, 2) input px.
        dz (Tensor): (M,) the neck's relative depth, mm.
        Ks (Tensor): (M, 3, 3) intrinsics.
        omega (Tensor): (M,) torso lengths, mm.

    Returns:
        tuple: ``Z_geo / focal_of(K)`` (M,) (1 where invalid) and the validity
        mask (M,): finite and deeper than the geometry's minimum depth.
    """
    z = geometry_depth(uv_root, uv_neck, dz, Ks, omega)
    valid = torch.isfinite(z) & (z > GEO_MIN_DEPTH * (1 + 1e-6))
    z = torch.where(valid, z, torch.ones_like(z))
    return z / focal_of(Ks), valid
