"""MAR with a per-person torso length: :class:`MAROmegaHead`, a :class:`MARHead` with an Omega
branch.

MAR's geometry depth (Eq. 7-8) needs the root-neck length Omega of each person; the paper
uses one constant (the training set's mean). This head predicts it per pixel instead, like
the root depth: a branch on the stride-4 features outputs ``log(Omega / omega)``, supervised
by the codec's ``torso_length`` target (the true pelvis-neck length, mm, around each root)
with an L1 loss on ``Omega / omega``. The dense geometry depth of L_geo uses the predicted
Omega (detached: Eq. 10 sends L_geo's gradients into the 2.5D pose only), and at test time the
codec reads the ``torso_length`` map at each root, which :class:`MARDepthFusion` uses in place
of the constant.
"""
from typing import Dict

import torch
from mmpose.registry import MODELS
from mmpose.utils.typing import OptConfigType
from torch import Tensor

from mmmar.models.heads import MARHead
from mmmar.models.heads.mar_head import build_loss
from mmmar.models.utils import conv_branch

#: the torso loss's default config
DEFAULT_TORSO_LOSS = dict(type='WeightedRegressionLoss', loss_type='l1')


@MODELS.register_module()
class MAROmegaHead(MARHead):
    """:class:`MARHead` plus a torso-length (Omega) branch.

    The geometry depth then uses the predicted Omega. The branch outputs
    ``log(Omega / omega)`` (clamped to [-3, 3]); ``torso_length`` in the outputs
    is ``Omega`` in mm.

    Args:
        torso_loss (dict, optional): Config of the torso loss module;
            :data:`DEFAULT_TORSO_LOSS` (L1 on ``Omega / omega``, weighted by
            ``torso_length_weights``, else ``root_depth_weights``, where the
            target is positive) when None.
        **kwargs: :class:`MARHead`'s arguments; ``omega`` is also the scale of
            the branch.

    Loss: MARHead's terms plus ``loss_torso``.
    """

    optional_targets = MARHead.optional_targets + ('torso_length', 'torso_length_weights')

    def __init__(self,
                 torso_loss: OptConfigType = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.torso_layers = conv_branch(self.in_channels[0], self.branch_channels, 1)
        self.torso_loss = build_loss(torso_loss, DEFAULT_TORSO_LOSS)

    def forward(self, feats) -> Dict[str, object]:
        """MARHead's outputs plus ``torso_length`` (B, 1, h, w), mm."""
        outputs = super().forward(feats)
        outputs['torso_length'] = self.omega * torch.exp(
            self.torso_layers(feats[0]).clamp(-3., 3.))
        return outputs

    def geometry_omega(self, outputs: Dict[str, Tensor], idx, like: Tensor) -> Tensor:
        """The predicted Omega at the pixels ``idx``, detached: Omega is supervised by
        its own target (``loss_torso``); Eq. 10 sends L_geo's gradients into the 2.5D
        pose only."""
        return outputs['torso_length'][:, 0][idx].detach()

    def _root_depth_losses(self, outputs, gt, idx, Ks: Tensor) -> dict:
        """MARHead's L_geo and L_reg, and ``loss_torso`` at the pixels ``idx``."""
        losses = super()._root_depth_losses(outputs, gt, idx, Ks)
        if 'torso_length' not in gt:
            raise KeyError('MAROmegaHead needs the `torso_length` target field')
        weight = gt.get('torso_length_weights', gt['root_depth_weights'])[:, 0][idx]
        t_gt = gt['torso_length'][:, 0][idx]
        t_pred = outputs['torso_length'][:, 0][idx]
        losses['loss_torso'] = self.torso_loss(
            t_pred / self.omega, t_gt / self.omega, weight * (t_gt > 0))
        return losses
