"""Loss modules of MAR: dense map losses (heatmaps, PAFs), weighted regression (offsets,
torso length) and the Laplace depth likelihood (Eq. 6, 9).

Each module is ``loss_weight * reduction(elementwise loss * weight)``; the reductions are those
of the MAR head (``docs/design.md``) and each module's docstring states its formula.
"""
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from mmpose.registry import MODELS
from torch import Tensor, nn

from mmmar.geometry import laplace_nll


def weighted_mean(loss: Tensor, weight: Tensor) -> Tensor:
    """``sum(w * loss) / max(sum(w), 1)``: zero (with a graph) without weight."""
    return (loss * weight).sum() / weight.sum().clamp(min=1.)


@MODELS.register_module()
class MARMapLoss(nn.Module):
    """Weighted squared (or absolute) error of dense maps, summed over pixels and averaged
    over channels and images::

        loss_weight * sum_{b,c,y,x} w * err(pred - target) / (B * C)

    with ``err = d^2`` (``'mse'``) or ``|d|`` (``'l1'``). Used for the heatmaps
    (``heatmap_weights``: zero in ignored regions and around people whose joint is unknown)
    and the PAFs (``paf_weights``).

    Args:
        loss_type (str): ``'mse'`` or ``'l1'``. Defaults to ``'mse'``.
        loss_weight (float): Factor of the loss. Defaults to 1.
    """

    def __init__(self, loss_type: str = 'mse', loss_weight: float = 1.):
        super().__init__()
        if loss_type not in ('mse', 'l1'):
            raise ValueError(f'MARMapLoss: loss_type must be "mse" or "l1", got {loss_type!r}')
        self.loss_type = loss_type
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor = None) -> Tensor:
        """Args: pred, target (Tensor): (B, C, h, w); weight (Tensor, optional):
        broadcastable to them (e.g. (B, C, h, w) or (B, 1, h, w)), ones by default.
        Returns: the scalar loss."""
        diff = pred - target
        err = diff * diff if self.loss_type == 'mse' else diff.abs()
        if weight is not None:
            err = err * weight
        return self.loss_weight * err.sum() / (pred.shape[0] * pred.shape[1])


@MODELS.register_module()
class WeightedRegressionLoss(nn.Module):
    """(Smooth) L1 regression averaged over the weighted elements::

        loss_weight * sum(w * l(pred - target)) / max(sum(w), 1)

    with ``l`` = smooth L1 (``beta``; ``0.5 d^2 / beta`` for ``|d| < beta``, else
    ``|d| - 0.5 beta``) or L1. Used for the root-anchored offsets (``offset_weights``) and the
    torso length.

    Args:
        loss_type (str): ``'smooth_l1'`` or ``'l1'``. Defaults to ``'smooth_l1'``.
        beta (float): Smooth-L1 beta (in target units). Defaults to 0.1.
        loss_weight (float): Factor of the loss. Defaults to 1.
        channel_weights (Sequence[float], optional): one factor per channel (dim 1), multiplied
            into ``weight``, e.g. ``[1] * 2K + [0] * K`` supervises the offsets' du, dv and not
            their dZ (the 2D-only control of ``configs/ablations/mar_small-v2_2d-only.py``).
            ``None`` (default): every channel counts.
    """

    def __init__(self, loss_type: str = 'smooth_l1', beta: float = 0.1,
                 loss_weight: float = 1., channel_weights: Optional[Sequence[float]] = None):
        super().__init__()
        if loss_type not in ('smooth_l1', 'l1'):
            raise ValueError('WeightedRegressionLoss: loss_type must be "smooth_l1" or "l1", '
                             f'got {loss_type!r}')
        self.loss_type = loss_type
        self.beta = beta
        self.loss_weight = loss_weight
        self.channel_weights = None if channel_weights is None else \
            torch.as_tensor(channel_weights, dtype=torch.float32)

    def forward(self, pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
        """Args: pred, target, weight (Tensor): same shape (weight broadcastable).
        Returns: the scalar loss."""
        if self.loss_type == 'smooth_l1':
            loss = F.smooth_l1_loss(pred, target, reduction='none', beta=self.beta)
        else:
            loss = (pred - target).abs()
        if self.channel_weights is not None:
            if len(self.channel_weights) != pred.shape[1]:
                raise ValueError(
                    f'WeightedRegressionLoss: channel_weights has {len(self.channel_weights)} '
                    f'values, the prediction {pred.shape[1]} channels (dim 1)')
            cw = self.channel_weights.to(loss.device, loss.dtype)
            weight = weight * cw.view(1, -1, *([1] * (pred.dim() - 2)))
        return self.loss_weight * weighted_mean(loss, weight)


@MODELS.register_module()
class LaplaceDepthLoss(nn.Module):
    """Laplace negative log-likelihood of a depth (Eq. 6 for Z_reg, Eq. 9 for Z_geo),
    averaged over the weighted pixels::

        loss_weight * sum(w * (|Z - Z_gt| exp(-log_sigma) + log_sigma)) / max(sum(w), 1)

    Args:
        loss_weight (float): Factor of the loss (Eq. 11's w for L_reg). Defaults to 1.
    """

    def __init__(self, loss_weight: float = 1.):
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, pred: Tensor, target: Tensor, log_sigma: Tensor,
                weight: Tensor) -> Tensor:
        """Args: pred, target, log_sigma, weight (Tensor): same shape (M,) (depths
        normalised alike, e.g. by ``focal_of(K)``). Returns: the scalar loss."""
        return self.loss_weight * weighted_mean(laplace_nll(pred, target, log_sigma), weight)
