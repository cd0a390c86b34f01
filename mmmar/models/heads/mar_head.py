"""MAR head: 2.5D structured pose (heatmaps, PAFs, offsets) + mutual adaptive
depth reasoning (regression depth with sigma1, geometry depth with sigma2).

Paper: "Mutual Adaptive Reasoning for Monocular 3D Multi-Person Pose
Estimation", ACM MM 2022, sections 3 and 4.2. Contracts (target fields,
output dict, predictions) are in ``docs/design.md``.

Layout (section 4.2): every branch is ``3x3 conv (branch_channels) + BN + ReLU
+ 1x1 conv``.

- heatmaps (K) and PAFs (2L) on each of HRNet's four scales (multi-scale
  supervision), each upsampled to the finest scale (stride 4) and supervised
  against the stride-4 target. For inference (``test_scale_fusion``,
  :func:`~mmmar.models.utils.tta.fuse_scales`) the default ``'average'`` takes
  the mean of the four (HigherHRNet-style: every scale was trained to the same
  target, so the mean is a lower-variance estimate, and it uses the computation
  the paper's FLOP count includes); ``'finest'`` the stride-4 prediction only.
- offsets (3K = [du(K), dv(K), dZ(K)]), root depth (``Z_root / focal_of(K)``)
  + ``log sigma1`` and ``log sigma2`` on the stride-4 features.

Heatmap pixel ``(x, y)`` is input pixel ``(x * s, y * s)`` (corner-aligned
grids); the upsampling and the flip test (:mod:`mmmar.models.utils.tta`) keep it.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.structures import InstanceData
from mmpose.models.heads.base_head import BaseHead
from mmpose.registry import KEYPOINT_CODECS, MODELS
from mmpose.utils.typing import ConfigType, Features, OptConfigType, OptSampleList, Predictions
from torch import Tensor, nn

from mmmar.structures.skeleton import LIMBS, NUM_JOINTS
from ..losses import mar_losses  # noqa: F401  (registers the losses)
from ..utils.dense_geometry import dense_torso, normalised_geometry_depth
from ..utils.ops import (batch_intrinsics, conv_branch, get_intrinsics, stack_targets,
                         upsample_aligned)
from ..utils.tta import flip_back_outputs, flip_test_outputs, fuse_scales

__all__ = ['MARHead', 'flip_back_outputs', 'upsample_aligned', 'get_intrinsics']

#: the loss modules of the head and their default configs (``mmmar.models.losses``)
DEFAULT_LOSSES = dict(
    heatmap_loss=dict(type='MARMapLoss', loss_type='mse'),
    paf_loss=dict(type='MARMapLoss', loss_type='mse'),
    offset_loss=dict(type='WeightedRegressionLoss', loss_type='smooth_l1', beta=0.1),
    reg_loss=dict(type='LaplaceDepthLoss'),
    geo_loss=dict(type='LaplaceDepthLoss'))


def build_loss(cfg: OptConfigType, default: ConfigType) -> nn.Module:
    """Build a loss module from ``cfg`` (``default`` when None); its weight is the config's
    ``loss_weight`` (the module's default, 1, when absent)."""
    return MODELS.build(dict(default if cfg is None else cfg))


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
        omega (float): Root-neck (pelvis-neck) length Omega in mm used by the
            geometry depth. Set it to the training set's mean
            (``tools/analysis_tools/compute_torso_length.py``). The paper
            describes no torso branch: with a constant Omega the geometry depth
            is a function of the 2.5D pose alone, so L_geo's gradient (Eq. 10)
            trains the pose branches rather than an Omega regressor (a
            per-person Omega branch is the project ``projects/mar_omega``).
        heatmap_loss, paf_loss, offset_loss, reg_loss, geo_loss (dict, optional):
            Config dicts of the loss modules (``mmmar.models.losses``). Defaults
            (:data:`DEFAULT_LOSSES`): ``MARMapLoss`` (MSE; heatmaps, PAFs),
            ``WeightedRegressionLoss`` (smooth L1, beta 0.1; offsets),
            ``LaplaceDepthLoss`` (L_reg, L_geo). Each weighs its term by its
            ``loss_weight`` (``reg_loss``'s is Eq. 11's w).
        log_sigma_range (tuple): log-sigma outputs are clamped to this range
            in the losses and in the depth fusion (numerical safety; the head
            builds its fusion with it).
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
        decoder (dict): The :class:`MARCodec` config, required (used to decode
            and to read the target normalisations ``offset_norm``/``depth_norm``,
            the heatmap stride, the PAF ``limbs`` and the root / neck indices).
        fusion (dict): :class:`MARDepthFusion` config (its defaults when None:
            ``mode='fusion'``, ``geo_torso='offsets'``). Its ``omega`` and
            ``log_sigma_range`` are this head's, which is the only place to set
            them.
        init_cfg (dict, optional): Initialisation config.

    Loss (Eq. 11 plus the 2.5D pose losses)::

        heatmap_w * L_hm + paf_w * L_paf + offset_w * L_off
            + geo_w * L_geo + reg_w * L_reg

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

    #: target fields the losses need / may use (``gt_fields`` of the data samples)
    required_targets = ('heatmaps', 'pafs', 'paf_weights', 'offsets', 'offset_weights',
                        'root_depth', 'root_depth_weights')
    optional_targets = ('heatmap_mask', 'heatmap_weights')

    def __init__(self,
                 in_channels: Sequence[int] = (32, 64, 128, 256),
                 num_keypoints: int = NUM_JOINTS,
                 num_limbs: int = len(LIMBS),
                 branch_channels: int = 256,
                 multiscale_supervision: bool = True,
                 test_scale_fusion: str = 'average',
                 omega: float = 500.,
                 heatmap_loss: OptConfigType = None,
                 paf_loss: OptConfigType = None,
                 offset_loss: OptConfigType = None,
                 reg_loss: OptConfigType = None,
                 geo_loss: OptConfigType = None,
                 log_sigma_range: Tuple[float, float] = (-7., 7.),
                 geo_root: str = 'offset',
                 geo_clamp_ratio: float = 3.,
                 geo_backward: bool = True,
                 decoder: OptConfigType = None,
                 fusion: OptConfigType = None,
                 init_cfg: OptConfigType = None):
        super().__init__(self.default_init_cfg if init_cfg is None else init_cfg)
        if isinstance(in_channels, int):
            in_channels = (in_channels, )
        assert test_scale_fusion in ('average', 'finest')
        assert geo_root in ('offset', 'pixel')
        assert geo_clamp_ratio > 1
        self.in_channels = tuple(in_channels)
        self.branch_channels = branch_channels
        self.num_keypoints = num_keypoints
        self.num_limbs = num_limbs
        self.num_scales = len(self.in_channels) if multiscale_supervision else 1
        self.test_scale_fusion = test_scale_fusion
        self.omega = float(omega)
        loss_cfgs = dict(heatmap_loss=heatmap_loss, paf_loss=paf_loss,
                         offset_loss=offset_loss, reg_loss=reg_loss, geo_loss=geo_loss)
        for name, cfg in loss_cfgs.items():
            setattr(self, name, build_loss(cfg, DEFAULT_LOSSES[name]))
        self.log_sigma_range = tuple(log_sigma_range)
        self.geo_root = geo_root
        self.geo_clamp_ratio = float(geo_clamp_ratio)
        self.geo_backward = bool(geo_backward)

        c0, mid = self.in_channels[0], branch_channels
        scales = self.in_channels[:self.num_scales]
        self.heatmap_layers = nn.ModuleList(
            [conv_branch(c, mid, num_keypoints) for c in scales])
        self.paf_layers = nn.ModuleList(
            [conv_branch(c, mid, 2 * num_limbs) for c in scales])
        self.offset_layers = conv_branch(c0, mid, 3 * num_keypoints)
        self.depth_layers = conv_branch(c0, mid, 2)  # root depth, log sigma1
        self.geo_sigma_layers = conv_branch(c0, mid, 1)  # log sigma2

        if decoder is None:
            raise ValueError('MARHead: `decoder` (a MARCodec config, normally the '
                             "config's `codec`) is required; got None")
        self.decoder = KEYPOINT_CODECS.build(decoder)
        fusion = dict(type='MARDepthFusion') if fusion is None else dict(fusion)
        for key, value in (('omega', self.omega), ('log_sigma_range', self.log_sigma_range)):
            if key in fusion:
                raise ValueError(f"MARHead: set it as the head's `{key}` ({value}), not "
                                 f'as `fusion.{key}` ({fusion[key]})')
        self.fusion = MODELS.build(
            dict(fusion, omega=self.omega, log_sigma_range=self.log_sigma_range))

    @property
    def default_init_cfg(self):
        return [
            dict(type='Normal', layer=['Conv2d'], std=0.001),
            dict(type='Constant', layer='BatchNorm2d', val=1)
        ]

    @property
    def offset_norm(self) -> float:
        return float(self.decoder.offset_norm)

    @property
    def depth_norm(self) -> float:
        return float(self.decoder.depth_norm)

    @property
    def limbs(self) -> Sequence[Tuple[int, int]]:
        """The PAF limbs: the codec's (which draws the PAF targets)."""
        return self.decoder.limbs

    @property
    def root_index(self) -> int:
        return int(self.decoder.root_index)

    @property
    def neck_index(self) -> int:
        return int(self.decoder.neck_index)

    def stride(self) -> Tuple[float, float]:
        """Input pixels per heatmap pixel (sx, sy) of the decoder."""
        return tuple(float(i) / float(h) for i, h in zip(
            self.decoder.input_size, self.decoder.heatmap_size))

    def forward(self, feats: Sequence[Tensor]) -> Dict[str, object]:
        """Forward the network.

        Args:
            feats (Sequence[Tensor]): HRNet maps, finest (stride 4) first.

        Returns:
            dict: ``heatmaps`` (B, K, h, w), ``pafs`` (B, 2L, h, w),
            ``offsets`` (B, 3K, h, w), ``root_depth``, ``log_sigma_reg``,
            ``log_sigma_geo`` (B, 1, h, w), and ``aux``: list of per-scale
            (heatmaps, pafs) upsampled to (h, w).
        """
        x0 = feats[0]
        size = tuple(x0.shape[-2:])
        aux = []
        for i in range(self.num_scales):
            hm = upsample_aligned(self.heatmap_layers[i](feats[i]), 2**i, size)
            paf = upsample_aligned(self.paf_layers[i](feats[i]), 2**i, size)
            aux.append((hm, paf))
        heatmaps, pafs = fuse_scales(aux, self.test_scale_fusion)
        depth = self.depth_layers(x0)
        return dict(heatmaps=heatmaps, pafs=pafs, offsets=self.offset_layers(x0),
                    root_depth=depth[:, :1], log_sigma_reg=depth[:, 1:2],
                    log_sigma_geo=self.geo_sigma_layers(x0), aux=aux)

    def loss(self,
             feats: Sequence[Tensor],
             batch_data_samples: OptSampleList,
             train_cfg: ConfigType = {}) -> dict:
        """Compute every loss term (logged separately); see the class doc."""
        outputs = self.forward(feats)
        gt = self._stack_targets(batch_data_samples)
        Ks = self._batch_intrinsics(batch_data_samples, outputs['offsets'])
        return dict(**self._pose_losses(outputs, gt),
                    **self._depth_losses(outputs, gt, Ks, feats))

    @classmethod
    def _stack_targets(cls, batch_data_samples) -> Dict[str, Tensor]:
        """The batch's ``required_targets`` and ``optional_targets`` (B, C, h, w)."""
        return stack_targets(batch_data_samples, cls.required_targets,
                             cls.optional_targets)

    _batch_intrinsics = staticmethod(batch_intrinsics)

    def _pose_losses(self, outputs, gt) -> dict:
        """L_hm, L_paf (averaged over the scales of ``outputs['aux']``) and
        L_off."""
        weights = gt.get('heatmap_weights', gt.get('heatmap_mask'))
        n = len(outputs['aux'])
        loss_hm = sum(self.heatmap_loss(hm, gt['heatmaps'], weights)
                      for hm, _ in outputs['aux']) / n
        loss_paf = sum(self.paf_loss(paf, gt['pafs'], gt['paf_weights'])
                       for _, paf in outputs['aux']) / n
        loss_off = self.offset_loss(outputs['offsets'], gt['offsets'], gt['offset_weights'])
        return dict(loss_heatmap=loss_hm, loss_paf=loss_paf, loss_offset=loss_off)

    def _depth_losses(self, outputs, gt, Ks: Tensor, feats=None) -> dict:
        """The depth terms (:meth:`_root_depth_losses`) at the pixels with
        ``root_depth_weights > 0``; without such pixels they are zero but keep
        every depth output in the graph."""
        idx = torch.nonzero(gt['root_depth_weights'][:, 0] > 0, as_tuple=True)
        losses = self._root_depth_losses(outputs, gt, idx, Ks)
        if len(idx[0]) == 0:
            zero = sum(outputs[k].sum() * 0. for k in
                       ('root_depth', 'log_sigma_reg', 'log_sigma_geo', 'offsets'))
            losses = {k: v + zero for k, v in losses.items()}
        return losses

    def _root_depth_losses(self, outputs, gt, idx, Ks: Tensor) -> dict:
        """L_geo (Eq. 9) and L_reg (Eq. 6) at the pixels ``idx = (b, y, x)``."""
        weight = gt['root_depth_weights'][:, 0][idx]
        target = gt['root_depth'][:, 0][idx]
        z_reg = outputs['root_depth'][:, 0][idx]
        ls_reg = outputs['log_sigma_reg'][:, 0][idx].clamp(*self.log_sigma_range)
        ls_geo = outputs['log_sigma_geo'][:, 0][idx].clamp(*self.log_sigma_range)

        z_geo, valid = self.dense_geometry_depth(outputs, idx, Ks)
        # Degenerate or far-off geometry (e.g. at initialisation the neck
        # offset is ~0, a -> 0 and Z_geo explodes together with its
        # gradient): Z_geo is clamped to [Z_gt / r, Z_gt * r]. Outside the
        # range it carries no gradient into the offsets, but sigma2 still
        # learns from the (bounded) error.
        r = self.geo_clamp_ratio
        z_geo = torch.where(valid, z_geo, target * r)
        z_geo = torch.minimum(torch.maximum(z_geo, target / r), target * r)
        return dict(
            loss_geo=self.geo_loss(z_geo, target, ls_geo, weight),
            loss_reg=self.reg_loss(z_reg, target, ls_reg, weight))

    def geometry_omega(self, outputs: Dict[str, Tensor], idx, like: Tensor) -> Tensor:
        """Omega (mm) of L_geo's geometry depth at the pixels ``idx``: the constant
        ``omega`` (a subclass may predict it)."""
        return torch.full_like(like, self.omega)

    def dense_geometry_depth(self, outputs: Dict[str, Tensor], idx,
                             Ks: Tensor) -> Tuple[Tensor, Tensor]:
        """Eq. 7-8 at the pixels ``idx = (b, y, x)``: each pixel is the root
        (:func:`~mmmar.models.utils.dense_geometry.dense_torso`).

        Returns:
            tuple: ``Z_geo / focal_of(K)`` (M,) and a validity mask (M,).
        """
        offsets = outputs['offsets']
        if not self.geo_backward:  # no Eq. 10: L_geo trains sigma2 only
            offsets = offsets.detach()
        uv_root, uv_neck, dz = dense_torso(
            offsets, idx, self.root_index, self.neck_index, self.stride(),
            self.offset_norm, self.depth_norm, root_from_offset=self.geo_root == 'offset')
        return normalised_geometry_depth(uv_root, uv_neck, dz, Ks[idx[0]],
                                         self.geometry_omega(outputs, idx, dz))

    def predict(self,
                feats: Features,
                batch_data_samples: OptSampleList,
                test_cfg: ConfigType = {}) -> Predictions:
        """Decode 2.5D poses per image (codec) then fuse depths (Eq. 7-8,
        12) and back-project (Eq. 1).

        ``feats`` is a tuple of maps, or ``[feats, feats_of_flipped_input]``
        when ``test_cfg['flip_test']``; the flip test swaps the joints by the
        data samples' ``metainfo['flip_indices']`` (the dataset's) when given,
        else by the skeleton's. Returns a list of ``InstanceData`` in
        *input-image* pixels / camera-space mm (the estimator maps 2D to the
        original image).
        """
        flip_indices = None
        if batch_data_samples:
            flip_indices = batch_data_samples[0].metainfo.get('flip_indices', None)
        outputs = self.forward_test(feats, test_cfg, flip_indices)
        return self.predict_from_outputs(outputs, batch_data_samples, test_cfg)

    def forward_test(self, feats: Features, test_cfg: ConfigType = {},
                     flip_indices: Optional[Sequence[int]] = None) -> Dict[str, Tensor]:
        """Forward, with the flip test (:func:`~mmmar.models.utils.tta.flip_test_outputs`)
        if ``test_cfg['flip_test']``; ``aux`` is dropped.

        Args:
            feats (Features): Maps, or ``[feats, feats_of_flipped_input]``.
            test_cfg (dict): ``flip_test``, ``shift_heatmap`` (default True).
            flip_indices (Sequence[int], optional): The dataset's flip indices;
                the skeleton's when None.
        """
        if test_cfg.get('flip_test', False):
            out = flip_test_outputs(
                self.forward, feats, stride=int(round(self.stride()[0])),
                shift=test_cfg.get('shift_heatmap', True),
                flip_indices=flip_indices, limbs=self.limbs)
        else:
            out = self.forward(feats)
        out.pop('aux', None)
        return out

    def predict_from_outputs(self, outputs: Dict[str, Tensor],
                             batch_data_samples: OptSampleList,
                             test_cfg: ConfigType = {}) -> List[InstanceData]:
        """Decode + fuse per image from a network output dict (B, C, h, w).

        Exposed so that tests (and TTA) can feed arbitrary output maps. The
        path to the predictions is two calls: :meth:`MARCodec.decode_batch`
        (its dense stages batched where the maps are, one copy of the
        per-person evidence to the host, the grouping per image) and the
        fusion (:class:`MARDepthFusion`, which clips the log sigmas to this
        head's ``log_sigma_range``) per image. The names of what they return
        are those of ``docs/design.md`` ("Names along the inference path").

        Raises:
            ValueError: A data sample's ``input_size`` or the maps' size is not
                the decoder's (a config whose pipeline and ``codec`` disagree).
        """
        self.check_input_size(batch_data_samples, outputs['heatmaps'])
        Ks = [get_intrinsics(ds) for ds in batch_data_samples]
        maps = {k: v for k, v in outputs.items() if isinstance(v, Tensor)}
        for k in ('log_sigma_reg', 'log_sigma_geo'):
            if k not in maps:  # a network without the branch: log sigma 0
                maps[k] = torch.zeros_like(maps['heatmaps'][:, :1])
        return [self.fusion(decoded, K)
                for decoded, K in zip(self.decoder.decode_batch(maps, Ks), Ks)]

    def check_input_size(self, batch_data_samples: OptSampleList, heatmaps: Tensor) -> None:
        """Raise ``ValueError`` unless every sample's ``metainfo['input_size']`` (when
        given) is the decoder's ``input_size`` and ``heatmaps`` (B, K, h, w) has the
        decoder's ``heatmap_size`` (w, h)."""
        expected = tuple(int(v) for v in self.decoder.input_size)
        for ds in batch_data_samples or ():
            size = ds.metainfo.get('input_size', None)
            if size is not None and tuple(int(v) for v in size) != expected:
                raise ValueError(
                    f'MARHead: the batch has input_size={tuple(size)} but the decoder '
                    f'(model.head.decoder) has input_size={expected}; state the same '
                    'codec in model.head.decoder, the GenerateTarget encoder and the '
                    "transforms' input_size")
        hw = tuple(heatmaps.shape[-2:])
        if hw[::-1] != tuple(int(v) for v in self.decoder.heatmap_size):
            raise ValueError(
                f'MARHead: the maps are {hw[1]}x{hw[0]} (w x h) but the decoder '
                f'(model.head.decoder) has heatmap_size={tuple(self.decoder.heatmap_size)}')
