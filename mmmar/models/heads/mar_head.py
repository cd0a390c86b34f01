"""MAR head: 2.5D structured pose (heatmaps, PAFs, offsets) + mutual adaptive
depth reasoning (regression depth with sigma1, geometry depth with sigma2).

Paper: "Mutual Adaptive Reasoning for Monocular 3D Multi-Person Pose
Estimation", ACM MM 2022, sections 3 and 4.2. Contracts (target fields,
output dict, predictions) are in ``docs/design.md``.

Layout (section 4.2): every branch is ``3x3 conv (branch_channels) + BN + ReLU
+ 1x1 conv``.

- heatmaps (K) and PAFs (2L) on each of HRNet's four scales (multi-scale
  supervision). Each scale's prediction is upsampled to the finest scale
  (stride 4) and supervised against the stride-4 target. The output
  ``heatmaps`` / ``pafs`` used for inference is, by default
  (``test_scale_fusion='average'``), the mean of the four upsampled
  predictions (HigherHRNet-style aggregation; every scale was trained to the
  same target, so the mean is a lower-variance estimate and it uses the
  computation the paper's FLOP count includes). ``'finest'`` uses only the
  stride-4 prediction.
- offsets (3K = [du(K), dv(K), dZ(K)]), root depth (``Z_root / focal_of(K)``)
  + ``log sigma1``, ``log sigma2`` and optionally the torso length (Omega) on
  the stride-4 features.

Heatmap pixel ``(x, y)`` corresponds to input pixel ``(x * s, y * s)``
(corner-aligned grids); the cross-scale upsampling and the flip test respect
this convention.
"""
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from mmcv.cnn import ConvModule
from mmengine.structures import InstanceData
from torch import Tensor, nn

from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.typing import (ConfigType, Features, OptConfigType,
                                 OptSampleList, Predictions)

from mmmar.geometry import focal_of, geometry_depth
from mmmar.geometry.depth import GEO_MIN_DEPTH
from ..losses import mar_losses  # noqa: F401  (registers the losses)
from mmmar.structures.skeleton import (FLIP_INDICES, LIMBS, NECK, NUM_JOINTS,
                                      ROOT)

#: the depth branch outputs (root_depth, log_sigma_reg)
_OUTPUT_KEYS = ('heatmaps', 'pafs', 'offsets', 'root_depth', 'log_sigma_reg',
                'log_sigma_geo', 'torso_length')


# ---------------------------------------------------------------------------
# small helpers (module level so that tests can use them directly)
# ---------------------------------------------------------------------------
def upsample_aligned(x: Tensor, factor: int, size: Tuple[int, int]) -> Tensor:
    """Bilinearly upsample a stride-``s*factor`` map to stride ``s``.

    Uses the corner-aligned convention of the codec: output pixel ``i`` reads
    the input at ``i / factor`` (clamped at the border).
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


def paf_flip_permutation(limbs=LIMBS, flip_indices=FLIP_INDICES):
    """For each limb ``l``: the limb ``l'`` it becomes after a flip and
    whether its direction is reversed."""
    lookup = {tuple(limb): i for i, limb in enumerate(limbs)}
    perm, reverse = [], []
    for a, b in limbs:
        fa, fb = flip_indices[a], flip_indices[b]
        if (fa, fb) in lookup:
            perm.append(lookup[(fa, fb)])
            reverse.append(False)
        elif (fb, fa) in lookup:
            perm.append(lookup[(fb, fa)])
            reverse.append(True)
        else:
            raise ValueError(f'limb {(a, b)} has no mirror limb')
    return perm, reverse


def _shift_right(x: Tensor, shift: float) -> Tensor:
    """``out[..., i] = x[..., i - shift]`` (linear interpolation, border
    replicated), for ``0 <= shift < 1``."""
    if shift == 0:
        return x
    prev = torch.cat([x[..., :1], x[..., :-1]], dim=-1)
    return (1 - shift) * x + shift * prev


def flip_back_outputs(outputs: Dict[str, Tensor],
                      stride: int = 4,
                      shift: bool = True,
                      flip_indices: Sequence[int] = FLIP_INDICES,
                      limbs=LIMBS) -> Dict[str, Tensor]:
    """Map the outputs of a horizontally flipped input back to the original.

    Maps are flipped horizontally; joint channels are swapped with
    ``flip_indices``; PAF limbs are swapped with their mirror limbs and their
    x-components negated (also negated as a whole when the mirror limb runs
    the other way); the horizontal offsets ``du`` are negated. mmpose flips an
    image by ``u -> W - 1 - u``; at stride ``s`` the flipped map is then
    ``(s - 1) / s`` heatmap pixels off, which ``shift=True`` compensates.
    ``aux`` entries are dropped.
    """
    K = len(flip_indices)
    fi = list(flip_indices)
    perm, reverse = paf_flip_permutation(limbs, flip_indices)
    a = (stride - 1) / stride if shift else 0.
    out = {}
    for key, val in outputs.items():
        if key == 'aux' or val is None:
            continue
        v = val.flip(-1)
        if key == 'heatmaps':
            v = v[:, fi]
        elif key == 'pafs':
            B, _, H, W = v.shape
            v = v.view(B, -1, 2, H, W)[:, perm]
            sign = v.new_tensor([-1. if r else 1. for r in reverse])
            v = v * sign.view(1, -1, 1, 1, 1)
            v = torch.stack([-v[:, :, 0], v[:, :, 1]], dim=2)
            v = v.reshape(B, -1, H, W)
        elif key == 'offsets':
            du, dv, dz = v[:, :K][:, fi], v[:, K:2 * K][:, fi], \
                v[:, 2 * K:][:, fi]
            v = torch.cat([-du, dv, dz], dim=1)
        out[key] = _shift_right(v, a)
    return out


def _branch(in_channels: int, mid_channels: int, out_channels: int):
    return nn.Sequential(
        ConvModule(
            in_channels,
            mid_channels,
            kernel_size=3,
            padding=1,
            norm_cfg=dict(type='BN'),
            act_cfg=dict(type='ReLU')),
        nn.Conv2d(mid_channels, out_channels, kernel_size=1))


def _build_loss(cfg: OptConfigType, loss_weight: float,
                **default) -> nn.Module:
    """Build a loss module from ``cfg`` (``default`` when None); a config
    without ``loss_weight`` gets ``loss_weight``."""
    cfg = dict(default) if cfg is None else dict(cfg)
    cfg.setdefault('loss_weight', loss_weight)
    return MODELS.build(cfg)


@MODELS.register_module()
class MARHead(BaseHead):
    """The MAR head.

    Args:
        in_channels (Sequence[int]): Channels of the HRNet feature maps, finest
            (stride 4) first. Defaults to HRNet-w32's (32, 64, 128, 256).
        num_keypoints (int): Number of joints K. Defaults to 17.
        num_limbs (int): Number of PAF limbs L (2L channels). Defaults to 16.
        branch_channels (int): Channels of each branch's 3x3 conv (256).
        multiscale_supervision (bool): Heatmap/PAF branches on every scale
            (True) or on the finest scale only.
        test_scale_fusion (str): ``'average'`` (mean of the upsampled
            per-scale heatmaps/PAFs) or ``'finest'`` (stride-4 ones only).
        predict_torso (bool): Add a torso-length (Omega) branch; the geometry
            depth then uses the predicted Omega. Its output is
            ``log(Omega / omega)``; ``torso_length`` in the outputs is in mm.
        omega (float): Root-neck (pelvis-neck) length in mm used by the
            geometry depth when ``predict_torso=False``, and the scale of the
            torso branch otherwise. Set it to the training set's mean
            (``tools/analysis_tools/compute_torso_length.py``). The
            paper-setting config (``configs/mar_hrnet-w32_muco.py``) uses this
            constant, not a predicted Omega: the paper describes no torso
            branch, and with a constant Omega the geometry depth is a function
            of the 2.5D pose alone, so L_geo's gradient (Eq. 10) trains the
            pose branches rather than an Omega regressor.
        heatmap_loss_weight, paf_loss_weight, offset_loss_weight,
        geo_loss_weight, reg_loss_weight, torso_loss_weight (float): Loss
            weights. ``reg_loss_weight`` is Eq. 11's w.
        paf_loss_type (str): ``'mse'`` or ``'l1'``.
        offset_loss_type (str): ``'smooth_l1'`` or ``'l1'``.
        offset_beta (float): Smooth-L1 beta (in normalised offset units).
        heatmap_loss, paf_loss, offset_loss, reg_loss, geo_loss,
        torso_loss (dict, optional): Config dicts of the loss modules
            (``mmmar.models.losses``). Defaults: ``MARMapLoss`` (heatmaps,
            PAFs), ``WeightedRegressionLoss`` (offsets; torso with
            ``loss_type='l1'``), ``LaplaceDepthLoss`` (L_reg, L_geo), filled
            from the ``*_loss_weight`` / ``*_loss_type`` / ``offset_beta``
            arguments above (a given dict takes its ``loss_weight`` from them
            when it has none).
        log_sigma_range (tuple): log-sigma outputs are clamped to this range
            in the losses and the decoding (numerical safety).
        geo_root (str): Root location of the dense geometry depth in L_geo:
            ``'offset'`` (default) = the pixel plus its predicted root
            offset (the root neighbourhood has radius ``root_radius``, so the
            pixel itself can be a few px off the true root; with the
            root offset the torso vector is exact for perfect offsets), or
            ``'pixel'`` = the pixel itself.
        geo_clamp_ratio (float): In L_geo the dense geometry depth is clamped
            to ``[Z_gt / r, Z_gt * r]`` (no gradient into the offsets
            outside; degenerate solutions count as ``Z_gt * r``). Without it
            the near-zero torso vector at initialisation gives exploding
            depths and gradients. Defaults to 3.
        geo_backward (bool): Let L_geo's gradient flow into the 2.5D pose
            (the offsets), the paper's geometry-based backward pass (Eq. 10).
            ``False`` detaches the offsets in L_geo, so that L_geo trains
            ``sigma2`` only (the "w/o GB backward" row of Table 4).
            Defaults to True.
        decoder (dict): The :class:`MARCodec` config (used to decode and to
            read the target normalisations ``offset_norm``/``depth_norm``
            and the heatmap stride).
        fusion (dict): :class:`MARDepthFusion` config. ``omega`` defaults
            to this head's. Without one: ``mode='fusion'`` and
            ``geo_torso='offsets'`` (Eq. 7-8 on the root-offset torso that L_geo
            trains sigma2 on; see ``docs/ablation.md``).
        init_cfg (dict, optional): Initialisation config.

    Loss (Eq. 11 plus the 2.5D pose losses)::

        heatmap_w * L_hm + paf_w * L_paf + offset_w * L_off
            + geo_w * L_geo + reg_w * L_reg (+ torso_w * L_torso)

    - ``L_hm``: MSE weighted by ``heatmap_weights`` (zero in ignored regions
      and, per joint, around people whose joint is unknown; ``heatmap_mask``
      when a sample has no ``heatmap_weights``) summed over pixels, averaged
      over joints and images, averaged over the scales.
    - ``L_paf``: the same with ``paf_weights`` (MSE or L1).
    - ``L_off``: (smooth) L1 weighted by ``offset_weights``, normalised by the
      sum of weights.
    - ``L_reg`` (Eq. 6) / ``L_geo`` (Eq. 9): Laplace NLL of the regression /
      geometry depth (both normalised by ``focal_of(K)``) averaged over all
      pixels with ``root_depth_weights > 0``. The geometry depth is computed
      densely: each such pixel stands for the root (see ``geo_root``), the
      neck is that pixel plus the predicted neck offset, ``Zr_neck`` the
      predicted neck dZ; its gradients reach the offsets (Eq. 10).
    """

    def __init__(self,
                 in_channels: Sequence[int] = (32, 64, 128, 256),
                 num_keypoints: int = NUM_JOINTS,
                 num_limbs: int = len(LIMBS),
                 branch_channels: int = 256,
                 multiscale_supervision: bool = True,
                 test_scale_fusion: str = 'average',
                 predict_torso: bool = False,
                 omega: float = 500.,
                 heatmap_loss_weight: float = 1.,
                 paf_loss_weight: float = 1.,
                 offset_loss_weight: float = 1.,
                 geo_loss_weight: float = 1.,
                 reg_loss_weight: float = 1.,
                 torso_loss_weight: float = 1.,
                 paf_loss_type: str = 'mse',
                 offset_loss_type: str = 'smooth_l1',
                 offset_beta: float = 0.1,
                 heatmap_loss: OptConfigType = None,
                 paf_loss: OptConfigType = None,
                 offset_loss: OptConfigType = None,
                 reg_loss: OptConfigType = None,
                 geo_loss: OptConfigType = None,
                 torso_loss: OptConfigType = None,
                 log_sigma_range: Tuple[float, float] = (-7., 7.),
                 geo_root: str = 'offset',
                 geo_clamp_ratio: float = 3.,
                 geo_backward: bool = True,
                 decoder: OptConfigType = None,
                 fusion: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        if init_cfg is None:
            init_cfg = self.default_init_cfg
        super().__init__(init_cfg)
        if isinstance(in_channels, int):
            in_channels = (in_channels, )
        assert test_scale_fusion in ('average', 'finest')
        self.in_channels = tuple(in_channels)
        self.num_keypoints = num_keypoints
        self.num_limbs = num_limbs
        self.num_scales = len(self.in_channels) if multiscale_supervision \
            else 1
        self.test_scale_fusion = test_scale_fusion
        self.predict_torso = predict_torso
        self.omega = float(omega)
        self.heatmap_loss = _build_loss(heatmap_loss, heatmap_loss_weight,
                                        type='MARMapLoss', loss_type='mse')
        self.paf_loss = _build_loss(paf_loss, paf_loss_weight,
                                    type='MARMapLoss', loss_type=paf_loss_type)
        self.offset_loss = _build_loss(
            offset_loss, offset_loss_weight, type='WeightedRegressionLoss',
            loss_type=offset_loss_type, beta=offset_beta)
        self.reg_loss = _build_loss(reg_loss, reg_loss_weight,
                                    type='LaplaceDepthLoss')
        self.geo_loss = _build_loss(geo_loss, geo_loss_weight,
                                    type='LaplaceDepthLoss')
        self.torso_loss = _build_loss(torso_loss, torso_loss_weight,
                                      type='WeightedRegressionLoss',
                                      loss_type='l1')
        self.log_sigma_range = tuple(log_sigma_range)
        assert geo_root in ('offset', 'pixel')
        self.geo_root = geo_root
        assert geo_clamp_ratio > 1
        self.geo_clamp_ratio = float(geo_clamp_ratio)
        self.geo_backward = bool(geo_backward)

        c0, mid = self.in_channels[0], branch_channels
        self.heatmap_layers = nn.ModuleList([
            _branch(c, mid, num_keypoints)
            for c in self.in_channels[:self.num_scales]
        ])
        self.paf_layers = nn.ModuleList([
            _branch(c, mid, 2 * num_limbs)
            for c in self.in_channels[:self.num_scales]
        ])
        self.offset_layers = _branch(c0, mid, 3 * num_keypoints)
        self.depth_layers = _branch(c0, mid, 2)  # root depth, log sigma1
        self.geo_sigma_layers = _branch(c0, mid, 1)  # log sigma2
        self.torso_layers = _branch(c0, mid, 1) if predict_torso else None

        self.decoder = KEYPOINT_CODECS.build(decoder) \
            if decoder is not None else None
        fusion = dict(type='MARDepthFusion', geo_torso='offsets') \
            if fusion is None else \
            dict(fusion)
        fusion.setdefault('omega', self.omega)
        self.fusion = MODELS.build(fusion)

    @property
    def default_init_cfg(self):
        return [
            dict(type='Normal', layer=['Conv2d'], std=0.001),
            dict(type='Constant', layer='BatchNorm2d', val=1)
        ]

    # ------------------------------------------------------------------
    # codec-derived constants
    # ------------------------------------------------------------------
    def _codec_attr(self, name: str, default: float) -> float:
        return float(getattr(self.decoder, name, default)) \
            if self.decoder is not None else default

    @property
    def offset_norm(self) -> float:
        return self._codec_attr('offset_norm', 1.)

    @property
    def depth_norm(self) -> float:
        return self._codec_attr('depth_norm', 1.)

    def stride(self) -> Tuple[float, float]:
        """Input pixels per heatmap pixel (sx, sy): the codec's, else 4."""
        if self.decoder is not None and hasattr(self.decoder, 'input_size'):
            return (float(self.decoder.input_size[0]) /
                    float(self.decoder.heatmap_size[0]),
                    float(self.decoder.input_size[1]) /
                    float(self.decoder.heatmap_size[1]))
        return (4., 4.)

    # ------------------------------------------------------------------
    # forward
    # ------------------------------------------------------------------
    def forward(self, feats: Sequence[Tensor]) -> Dict[str, object]:
        """Forward the network.

        Args:
            feats (Sequence[Tensor]): HRNet maps, finest (stride 4) first.

        Returns:
            dict: ``heatmaps`` (B, K, h, w), ``pafs`` (B, 2L, h, w),
            ``offsets`` (B, 3K, h, w), ``root_depth``, ``log_sigma_reg``,
            ``log_sigma_geo`` (B, 1, h, w), ``torso_length`` (B, 1, h, w, mm)
            when predicted, and ``aux``: list of per-scale (heatmaps, pafs)
            upsampled to (h, w).
        """
        x0 = feats[0]
        size = tuple(x0.shape[-2:])
        aux = []
        for i in range(self.num_scales):
            hm = upsample_aligned(self.heatmap_layers[i](feats[i]), 2**i, size)
            paf = upsample_aligned(self.paf_layers[i](feats[i]), 2**i, size)
            aux.append((hm, paf))
        if self.test_scale_fusion == 'average':
            heatmaps = torch.stack([a[0] for a in aux]).mean(0)
            pafs = torch.stack([a[1] for a in aux]).mean(0)
        else:
            heatmaps, pafs = aux[0]
        depth = self.depth_layers(x0)
        outputs = dict(
            heatmaps=heatmaps,
            pafs=pafs,
            offsets=self.offset_layers(x0),
            root_depth=depth[:, :1],
            log_sigma_reg=depth[:, 1:2],
            log_sigma_geo=self.geo_sigma_layers(x0),
            aux=aux)
        if self.torso_layers is not None:
            outputs['torso_length'] = self.omega * torch.exp(
                self.torso_layers(x0).clamp(-3., 3.))
        return outputs

    # ------------------------------------------------------------------
    # loss
    # ------------------------------------------------------------------
    def loss(self,
             feats: Sequence[Tensor],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Compute every loss term (logged separately); see the class doc."""
        outputs = self.forward(feats)
        gt = self._stack_targets(batch_data_samples)
        Ks = self._batch_intrinsics(batch_data_samples, outputs['offsets'])
        losses = dict()
        losses.update(self._pose_losses(outputs, gt))
        losses.update(self._depth_losses(outputs, gt, Ks, feats))
        return losses

    @staticmethod
    def _stack_targets(batch_data_samples) -> Dict[str, Tensor]:
        keys = ('heatmaps', 'heatmap_mask', 'heatmap_weights', 'pafs',
                'paf_weights', 'offsets', 'offset_weights', 'root_depth',
                'root_depth_weights', 'torso_length', 'torso_length_weights')
        gt = {}
        for key in keys:
            vals = [d.gt_fields.get(key, None) for d in batch_data_samples]
            if any(v is None for v in vals):
                continue
            gt[key] = torch.stack([torch.as_tensor(v) for v in vals]).float()
        missing = [
            k for k in keys
            if k not in gt and k not in ('heatmap_mask', 'heatmap_weights',
                                         'torso_length',
                                         'torso_length_weights')
        ]
        if missing:
            raise KeyError(f'MARHead.loss: data samples lack gt_fields '
                           f'{missing} (is MARCodec used and are its fields '
                           f'packed?)')
        if gt.get('heatmap_mask') is not None and gt['heatmap_mask'].ndim == 3:
            gt['heatmap_mask'] = gt['heatmap_mask'].unsqueeze(1)
        for key in ('root_depth', 'root_depth_weights', 'torso_length',
                    'torso_length_weights'):
            if key in gt and gt[key].ndim == 3:
                gt[key] = gt[key].unsqueeze(1)
        return gt

    @staticmethod
    def _batch_intrinsics(batch_data_samples, like: Tensor) -> Tensor:
        """(B, 3, 3) intrinsics of the input images (``cam_param['K']``)."""
        Ks = [get_intrinsics(d) for d in batch_data_samples]
        return torch.as_tensor(
            np.stack(Ks), dtype=like.dtype, device=like.device)

    def _pose_losses(self, outputs, gt) -> dict:
        """L_hm, L_paf (averaged over the scales of ``outputs['aux']``) and
        L_off."""
        weights = gt.get('heatmap_weights', gt.get('heatmap_mask'))
        n = len(outputs['aux'])
        loss_hm = sum(
            self.heatmap_loss(hm, gt['heatmaps'], weights)
            for hm, _ in outputs['aux']) / n
        loss_paf = sum(
            self.paf_loss(paf, gt['pafs'], gt['paf_weights'])
            for _, paf in outputs['aux']) / n
        return dict(
            loss_heatmap=loss_hm,
            loss_paf=loss_paf,
            loss_offset=self.offset_loss(outputs['offsets'], gt['offsets'],
                                         gt['offset_weights']))

    def _clamp_log_sigma(self, x: Tensor) -> Tensor:
        lo, hi = self.log_sigma_range
        return x.clamp(lo, hi)

    def _depth_losses(self, outputs, gt, Ks: Tensor, feats) -> dict:
        w = gt['root_depth_weights'][:, 0]  # (B, h, w)
        idx = torch.nonzero(w > 0, as_tuple=True)
        b, y, x = idx
        weight = w[idx]
        target = gt['root_depth'][:, 0][idx]
        z_reg = outputs['root_depth'][:, 0][idx]
        ls_reg = self._clamp_log_sigma(outputs['log_sigma_reg'][:, 0][idx])
        ls_geo = self._clamp_log_sigma(outputs['log_sigma_geo'][:, 0][idx])

        z_geo, valid = self.dense_geometry_depth(outputs, idx, Ks)
        # Degenerate or far-off geometry (e.g. at initialisation the neck
        # offset is ~0, a -> 0 and Z_geo explodes together with its
        # gradient): Z_geo is clamped to [Z_gt / r, Z_gt * r]. Outside the
        # range it carries no gradient into the offsets, but sigma2 still
        # learns from the (bounded) error.
        r = self.geo_clamp_ratio
        z_geo = torch.where(valid, z_geo, target * r)
        z_geo = torch.minimum(torch.maximum(z_geo, target / r), target * r)
        losses = dict(
            loss_geo=self.geo_loss(z_geo, target, ls_geo, weight),
            loss_reg=self.reg_loss(z_reg, target, ls_reg, weight))
        if self.predict_torso:
            tw = gt['torso_length_weights'][:, 0][idx] \
                if 'torso_length_weights' in gt else weight
            if 'torso_length' not in gt:
                raise KeyError('predict_torso=True needs the `torso_length` '
                               'target field')
            t_gt = gt['torso_length'][:, 0][idx]
            t_pred = outputs['torso_length'][:, 0][idx]
            losses['loss_torso'] = self.torso_loss(
                t_pred / self.omega, t_gt / self.omega, tw * (t_gt > 0))
        # keep every parameter in the graph even without depth pixels
        if len(b) == 0:
            zero = sum(outputs[k].sum() * 0. for k in
                       ('root_depth', 'log_sigma_reg', 'log_sigma_geo',
                        'offsets'))
            losses = {k: v + zero for k, v in losses.items()}
        return losses

    def dense_geometry_depth(self, outputs: Dict[str, Tensor], idx,
                             Ks: Tensor) -> Tuple[Tensor, Tensor]:
        """Eq. 7-8 at the pixels ``idx = (b, y, x)``: each pixel is the root.

        Returns:
            tuple: ``Z_geo / focal_of(K)`` (M,) and a validity mask (M,).
        """
        b, y, x = idx
        K = self.num_keypoints
        sx, sy = self.stride()
        offsets = outputs['offsets']
        if not self.geo_backward:  # no Eq. 10: L_geo trains sigma2 only
            offsets = offsets.detach()
        du = offsets[:, NECK][idx] * self.offset_norm
        dv = offsets[:, K + NECK][idx] * self.offset_norm
        dz = offsets[:, 2 * K + NECK][idx] * self.depth_norm
        uv_pix = torch.stack([x.to(du.dtype) * sx, y.to(du.dtype) * sy], -1)
        uv_neck = uv_pix + torch.stack([du * sx, dv * sy], -1)
        if self.geo_root == 'offset':
            du_r = offsets[:, ROOT][idx] * self.offset_norm
            dv_r = offsets[:, K + ROOT][idx] * self.offset_norm
            uv_root = uv_pix + torch.stack([du_r * sx, dv_r * sy], -1)
        else:
            uv_root = uv_pix
        Kb = Ks[b]
        if self.predict_torso:
            # Omega is supervised by its own target (loss_torso); Eq. 10
            # sends L_geo's gradients into the 2.5D pose only
            omega = outputs['torso_length'][:, 0][idx].detach()
        else:
            omega = torch.full_like(du, self.omega)
        z = geometry_depth(uv_root, uv_neck, dz, Kb, omega)
        valid = torch.isfinite(z) & (z > GEO_MIN_DEPTH * (1 + 1e-6))
        z = torch.where(valid, z, torch.ones_like(z))
        return z / focal_of(Kb), valid

    # ------------------------------------------------------------------
    # predict
    # ------------------------------------------------------------------
    def predict(self,
                feats: Features,
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        """Decode 2.5D poses per image (codec) then fuse depths (Eq. 7-8,
        12) and back-project (Eq. 1).

        ``feats`` is a tuple of maps, or ``[feats, feats_of_flipped_input]``
        when ``test_cfg['flip_test']``. Returns a list of ``InstanceData``
        in *input-image* pixels / camera-space mm (the estimator maps 2D to
        the original image).
        """
        outputs = self.forward_test(feats, test_cfg)
        return self.predict_from_outputs(outputs, batch_data_samples,
                                         test_cfg)

    def forward_test(self, feats: Features, test_cfg: ConfigType = {}):
        """Forward, with flip-test averaging if ``test_cfg['flip_test']``."""
        if test_cfg.get('flip_test', False):
            assert isinstance(feats, (list, tuple)) and len(feats) == 2
            out = self.forward(feats[0])
            out_flip = flip_back_outputs(
                self.forward(feats[1]),
                stride=int(round(self.stride()[0])),
                shift=test_cfg.get('shift_heatmap', True))
            out = {
                k: (v + out_flip[k]) / 2 if k in out_flip else v
                for k, v in out.items()
            }
        else:
            out = self.forward(feats)
        out.pop('aux', None)
        return out

    def predict_from_outputs(self, outputs: Dict[str, Tensor],
                             batch_data_samples: OptSampleList,
                             test_cfg: ConfigType = {}) -> List[InstanceData]:
        """Decode + fuse per image from a network output dict (B, C, h, w).

        Exposed so that tests (and TTA) can feed arbitrary output maps.

        The codec's dense decode stages run batched where the maps are
        (:meth:`MARCodec.decode_batch`); only per-person results reach the
        host. ``test_cfg['decode_backend'] = 'numpy'`` instead copies every
        map to the host and decodes each image with the numpy reference
        (for comparisons, e.g. ``tools/analysis_tools/benchmark.py``).
        """
        if self.decoder is None:
            raise RuntimeError('MARHead needs a `decoder` (MARCodec) to '
                               'predict')
        Ks = [get_intrinsics(ds) for ds in batch_data_samples]
        if test_cfg.get('decode_backend', 'torch') == 'numpy':
            decoded = [
                self.decode_maps(
                    {k: v[i].detach().float().cpu().numpy()
                     for k, v in outputs.items() if isinstance(v, Tensor)},
                    K, backend='numpy') for i, K in enumerate(Ks)
            ]
        else:
            decoded = self.decoder.decode_batch(
                {k: v for k, v in outputs.items() if isinstance(v, Tensor)},
                Ks)
        return self.fuse_decoded(decoded, Ks)

    def fuse_decoded(self, decoded: List[dict],
                     Ks: List[np.ndarray]) -> List[InstanceData]:
        """Depth fusion (Eq. 7-8, 12) and back-projection (Eq. 1) of the
        codec's per-image decode results (the log sigmas clipped to
        ``log_sigma_range``)."""
        results = []
        for d, K in zip(decoded, Ks):
            for k in ('log_sigma_reg', 'log_sigma_geo'):
                if k in d:  # clipping the read values = clipping the maps
                    d[k] = np.clip(d[k], *self.log_sigma_range)
            results.append(self.fusion(codec_to_fusion(d), K))
        return results

    def decode_maps(self, maps: Dict[str, np.ndarray], K: np.ndarray,
                    **kwargs) -> dict:
        """Run the codec on one image's maps ((C, h, w), numpy or tensors);
        ``kwargs`` go to ``MARCodec.decode`` (e.g. ``backend``)."""
        if self.decoder is None:
            raise RuntimeError('MARHead needs a `decoder` (MARCodec) to '
                               'predict')
        return self.decoder.decode(**maps_for_codec(self.decoder, maps, K),
                                   **kwargs)


def maps_for_codec(codec, maps: Dict[str, np.ndarray], K: np.ndarray) -> dict:
    """Arguments of ``MARCodec.decode`` from the head's per-image maps."""
    import inspect
    params = inspect.signature(codec.decode).parameters
    kwargs = {k: v for k, v in maps.items() if k in params}
    if 'K' in params:
        kwargs['K'] = K
    elif 'cam_param' in params:
        kwargs['cam_param'] = dict(K=K)
    return kwargs


def codec_to_fusion(decoded: dict) -> dict:
    """Rename ``MARCodec.decode``'s per-person arrays to the inputs of
    :class:`MARDepthFusion` (``root_depth`` normalised by ``focal_of(K)``,
    ``keypoint_depths`` = relative depths in mm)."""
    n = len(decoded['keypoints'])
    zeros = np.zeros(n, np.float32)
    out = dict(
        keypoints=decoded['keypoints'],
        keypoint_depths=decoded.get('keypoints_rel_depth'),
        keypoint_scores=decoded.get('keypoint_scores'),
        scores=decoded.get('scores'),
        root_depth=decoded.get('root_depth_norm'),
        log_sigma_reg=decoded.get('log_sigma_reg', zeros),
        log_sigma_geo=decoded.get('log_sigma_geo', zeros))
    if decoded.get('torso_length') is not None:
        out['torso_length'] = decoded['torso_length']
    if decoded.get('keypoints_offset') is not None:
        out['keypoints_offset'] = decoded['keypoints_offset']
    return out


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
        K = np.asarray(
            cam['K'].detach().cpu().numpy() if isinstance(cam['K'], Tensor)
            else cam['K'], dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError(f"sample {name}: metainfo field cam_param['K'] is "
                         f'not a numeric array ({e})') from None
    if K.shape != (3, 3) or not np.all(np.isfinite(K)) or \
            abs(K[0, 0] * K[1, 1] - K[0, 1] * K[1, 0]) <= 0:
        raise ValueError(f"sample {name}: metainfo field cam_param['K'] must "
                         f'be a finite invertible 3x3 matrix, got '
                         f'{K.tolist() if K.size <= 16 else K.shape}')
    return K
