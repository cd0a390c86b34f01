"""MARCodec: targets and decoding of the 2.5D pose + root depth of MAR."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS

from mmmar.structures import skeleton
from mmmar.structures.utils import to_numpy
from .dense_decode import ROOT_MAPS, dense_evidence, evidence_to_host
from .grouping import people_from_evidence, tree_plan
from .paf import draw_pafs, limb_index
from .targets import gaussian_heatmaps, heatmap_mask, root_targets
from .validation import check_bbox, check_encode_inputs
from .weights import missing_joint_weights

ArrayOrTensor = Union[np.ndarray, torch.Tensor]


@KEYPOINT_CODECS.register_module()
class MARCodec(BaseKeypointCodec):
    r"""Encode/decode the 2.5D multi-person pose and root depth of MAR.

    See the paper `Mutual Adaptive Reasoning for Monocular 3D Multi-Person
    Pose Estimation`_ by Zhang et al. (ACM MM 2022) for details. The joint
    set, limbs and root come from :mod:`mmmar.structures.skeleton` (17
    MuPoTS joints, root = pelvis, torso = pelvis-neck); the target layout is
    the "Codec targets" table of ``docs/design.md``.

    Note:

        - instance number: N
        - keypoint number: K (= 17)
        - limb number: L (= 16)
        - input size: [W, H]; heatmap size: [w, h]; stride s = W / w
        - heatmap pixel (x, y) <-> input pixel (x * s, y * s)

    Encoded:

        - heatmaps (np.ndarray): (K, h, w) Gaussians of the visible joints,
          max over people
        - heatmap_mask (np.ndarray): (h, w) uint8, 0 in ignored regions
        - heatmap_weights (np.ndarray): (K, h, w) uint8 loss weights of the
          heatmaps: ``heatmap_mask``, and 0 for joint k in the neighbourhood
          of every person whose joint k is unknown (``keypoints_valid`` 0,
          e.g. COCO's head_top, spine, head): its target there is not "no
          joint" but unknown
        - pafs (np.ndarray): (2L, h, w) unit limb vectors averaged over
          people, for limbs whose two joints are valid (occluded ones
          included, as OpenPose does for labelled joints), so that a visible
          joint can be assembled from an occluded parent
        - paf_weights (np.ndarray): (2L, h, w) uint8, ``heatmap_mask``, and 0 for
          limb l (both channels) in the neighbourhood of every person with
          an unknown joint of limb l

        A person's neighbourhood is the box around its ``bbox`` (when given)
        and its valid joints, grown by ``missing_margin`` times its larger
        side plus the Gaussian support (``heatmap_truncate * sigma``).
        - offsets (np.ndarray): (3K, h, w) = [du(K), dv(K), dZ(K)] written
          within ``root_radius`` of each root (Eq. 2): du, dv = joint - pixel
          (heatmap px) / ``offset_norm``; dZ = (Z_k - Z_root) mm /
          ``depth_norm``; for every valid joint, occluded or out of the image
        - offset_weights (np.ndarray): (3K, h, w), du/dv: ``keypoints_valid``,
          dZ: ``keypoints_valid * has_depth``
        - root_depth (np.ndarray): (1, h, w) ``Z_root / focal_of(K)``
          (mm per input pixel) around each root
        - root_depth_weights (np.ndarray): (1, h, w) ``has_depth`` around each
          root
        - torso_length (np.ndarray): (1, h, w) ``|P_neck - P_root|`` mm around
          each root
        - torso_length_weights (np.ndarray): (1, h, w) ``has_depth`` and both
          torso joints valid, around each root

        Where root neighbourhoods overlap the nearer person (smaller
        ``Z_root``; for people without depth the larger 2D extent) wins.
        - root_pixels (np.ndarray): (P,) int64 flat heatmap pixels of the
          root neighbourhoods, and root_targets (np.ndarray): (P, 6K + 4)
          float32 the values of the six fields above there: the packed form
          of the root fields (a few kB instead of 106 dense channels)

    Packed for training (``field_mapping_table`` -> ``gt_fields``,
    ``label_mapping_table`` -> ``gt_instance_labels``): ``heatmaps``,
    ``pafs`` (float32), ``heatmap_weights``, ``paf_weights`` (uint8) and the
    packed root fields; :func:`mmmar.models.utils.stack_targets` makes them
    the dense float maps of the loss on the device. ``heatmap_mask`` (in
    ``heatmap_weights`` already) is not packed.

    Args:
        input_size (tuple): Input image size ``[W, H]``.
        heatmap_size (tuple): Heatmap size ``[w, h]``.
        sigma (float): Gaussian sigma of the heatmaps, heatmap px.
            Defaults to 2.
        paf_width (float): Half width of PAF limbs, heatmap px. Defaults to 1.
        root_radius (float): Radius of the root neighbourhood where offsets,
            root depth and torso length are written, heatmap px.
            Defaults to 2.
        offset_norm (float): Scale of du, dv targets, heatmap px.
            Defaults to 16.
        depth_norm (float): Scale of dZ targets, mm. Defaults to 1000.
        decode_nms_kernel (int): Max-pool NMS window. Defaults to 5.
        decode_root_thr (float): Root peak value needed for a person.
            Defaults to 0.1.
        decode_candidate_thr (float): Peak value needed for a joint candidate.
            Defaults to 0.1.
        decode_keypoint_thr (float): Eq. 3 threshold: a joint uses its
            heatmap/PAF location when its peak value reaches it. Defaults to
            0.1.
        decode_paf_thr (float): Minimal limb evidence of an assembled limb:
            PAF line integral + ``decode_dist_weight`` x closeness to the
            offset-predicted joint (see ``decode_dist_weight``). Defaults to
            0.05.
        decode_paf_samples (int): Samples of the PAF line integral.
            Defaults to 10.
        decode_gate_px (float): A candidate must lie within
            ``max(decode_gate_px, decode_gate_ratio * predicted limb length)``
            (heatmap px) of the offset-predicted joint. Defaults to 3.
        decode_gate_ratio (float): See ``decode_gate_px``. Defaults to 0.5.
        decode_dist_weight (float): Weight of the closeness to the
            offset-predicted joint, ``exp(-d^2 / (2 decode_dist_sigma^2))``,
            in the grouping score of a candidate (added to its PAF line
            integral; see :func:`mmmar.codecs.grouping.limb_pair_scores`).
            Defaults to 1.
        decode_dist_sigma (float): Distance scale of that closeness,
            heatmap px. Defaults to 1.
        decode_heat_weight (float): Weight of the candidate's heatmap peak
            value in the grouping score. Defaults to 0.25.
        decode_max_candidates (int): Candidates kept per joint (the
            highest peaks; at least ``decode_max_instances``). Defaults
            to 60.
        decode_max_instances (int): Maximum people per image. Defaults to 30.
        missing_margin (float): Growth of a person's neighbourhood, where
            its unknown joints / limbs get zero heatmap / PAF weight, as a
            fraction of the larger side of its box (see above). Defaults to
            0.25.

    .. _`Mutual Adaptive Reasoning for Monocular 3D Multi-Person Pose
       Estimation`: https://arxiv.org/abs/2207.07900
    """

    auxiliary_encode_keys = {
        'keypoints_cam', 'keypoints_valid', 'has_depth', 'cam_param',
        'ignore_mask', 'bbox', 'img_path'
    }

    #: The dense maps packed into ``gt_fields`` under their own names.
    field_mapping_table = {k: k for k in ('heatmaps', 'heatmap_weights', 'pafs', 'paf_weights')}

    #: The root fields, packed into ``gt_instance_labels`` (one entry per root pixel).
    label_mapping_table = dict(root_pixels='root_pixels', root_targets='root_targets')

    #: Replaces PackPoseInputs' default instance table: mmpose's defaults plus
    #: the 3D/validity fields of MAR.
    instance_mapping_table = dict(
        bbox='bboxes',
        bbox_score='bbox_scores',
        keypoints='keypoints',
        keypoints_cam='keypoints_cam',
        keypoints_visible='keypoints_visible',
        bbox_scale='bbox_scales',
        head_size='head_size',
        keypoints_valid='keypoints_valid',
        has_depth='has_depth',
    )

    #: Heatmap Gaussians are truncated at this many sigmas (mmpose's 3).
    heatmap_truncate = 3.0

    num_keypoints = skeleton.NUM_JOINTS
    root_index = skeleton.ROOT
    neck_index = skeleton.NECK
    limbs = skeleton.LIMBS

    def __init__(self,
                 input_size: Tuple[int, int],
                 heatmap_size: Tuple[int, int],
                 sigma: float = 2.0,
                 paf_width: float = 1.0,
                 root_radius: float = 2.0,
                 offset_norm: float = 16.0,
                 depth_norm: float = 1000.0,
                 decode_nms_kernel: int = 5,
                 decode_root_thr: float = 0.1,
                 decode_candidate_thr: float = 0.1,
                 decode_keypoint_thr: float = 0.1,
                 decode_paf_thr: float = 0.05,
                 decode_paf_samples: int = 10,
                 decode_gate_px: float = 3.0,
                 decode_gate_ratio: float = 0.5,
                 decode_dist_weight: float = 1.0,
                 decode_dist_sigma: float = 1.0,
                 decode_heat_weight: float = 0.25,
                 decode_max_candidates: int = 60,
                 decode_max_instances: int = 30,
                 missing_margin: float = 0.25):
        super().__init__()
        self.input_size = tuple(input_size)
        self.heatmap_size = tuple(heatmap_size)
        self.sigma = sigma
        self.paf_width = paf_width
        self.root_radius = root_radius
        self.offset_norm = offset_norm
        self.depth_norm = depth_norm
        self.decode_nms_kernel = decode_nms_kernel
        self.decode_root_thr = decode_root_thr
        self.decode_candidate_thr = decode_candidate_thr
        self.decode_keypoint_thr = decode_keypoint_thr
        self.decode_paf_thr = decode_paf_thr
        self.decode_paf_samples = decode_paf_samples
        self.decode_gate_px = decode_gate_px
        self.decode_gate_ratio = decode_gate_ratio
        self.decode_dist_weight = decode_dist_weight
        self.decode_dist_sigma = decode_dist_sigma
        self.decode_heat_weight = decode_heat_weight
        self.decode_max_candidates = decode_max_candidates
        self.decode_max_instances = decode_max_instances
        if not missing_margin >= 0:
            raise ValueError('MARCodec: `missing_margin` must be >= 0, got '
                             f'{missing_margin!r}')
        self.missing_margin = float(missing_margin)
        #: input px per heatmap px, (sx, sy)
        self.scale_factor = (np.asarray(self.input_size, dtype=np.float64) /
                             np.asarray(self.heatmap_size, dtype=np.float64))
        self._limbs = limb_index(self.limbs)
        #: the skeleton as the grouping walks it (:func:`tree_plan`)
        self._tree = tree_plan(self._limbs, self.root_index)

    # ------------------------------------------------------------------
    # encode
    # ------------------------------------------------------------------
    def encode(self,
               keypoints: np.ndarray,
               keypoints_visible: Optional[np.ndarray] = None,
               keypoints_cam: Optional[np.ndarray] = None,
               keypoints_valid: Optional[np.ndarray] = None,
               has_depth: Optional[np.ndarray] = None,
               cam_param: Optional[dict] = None,
               ignore_mask: Optional[np.ndarray] = None,
               bbox: Optional[np.ndarray] = None,
               img_path: Optional[str] = None) -> Dict[str, np.ndarray]:
        """Encode one image's people into MAR targets.

        Args:
            keypoints (np.ndarray): (N, K, 2) input pixels, all joints.
            keypoints_visible (np.ndarray): (N, K) visible (heatmap/PAF).
            keypoints_cam (np.ndarray, optional): (N, K, 3) camera space, mm.
                Required when any ``has_depth > 0``.
            keypoints_valid (np.ndarray, optional): (N, K) 2D position known
                (incl. occluded / out of image). Defaults to
                ``keypoints_visible > 0``.
            has_depth (np.ndarray, optional): (N,) 3D known. Defaults to 1
                when ``keypoints_cam`` is given, else 0.
            cam_param (dict, optional): ``dict(K=(3, 3))`` of the input image.
                Required when any ``has_depth > 0``.
            ignore_mask (np.ndarray, optional): (H, W) bool at input
                resolution, True where ignored.
            bbox (np.ndarray, optional): (N, 4) xyxy input pixels; bounds
                the neighbourhood where a person's unknown joints get zero
                heatmap / PAF weight (without it: its valid joints' box).
            img_path (str, optional): Only used in error messages.

        Returns:
            dict: The fields of the class docstring (float32, masks and weights
            of the maps uint8).
        """
        (keypoints, vis, valid, kpts_cam, has_depth,
         K) = check_encode_inputs(keypoints, keypoints_visible, keypoints_cam,
                                  keypoints_valid, has_depth, cam_param,
                                  self.num_keypoints, self.root_index,
                                  img_path)
        xy = keypoints / self.scale_factor  # heatmap px
        mask = heatmap_mask(ignore_mask, self.heatmap_size, self.scale_factor)
        bbox = check_bbox(bbox, len(xy), img_path)
        if bbox is not None:
            bbox = bbox / np.tile(self.scale_factor, 2)  # heatmap px
        limb_valid = (valid[:, self._limbs[:, 0]] > 0) & (
            valid[:, self._limbs[:, 1]] > 0)
        joint_w, limb_w = missing_joint_weights(
            xy, valid, limb_valid, bbox, self.heatmap_size, self.missing_margin,
            self.heatmap_truncate * self.sigma)
        pafs, _ = draw_pafs(xy[:, self._limbs[:, 0]],
                            xy[:, self._limbs[:, 1]], limb_valid,
                            self.heatmap_size, self.paf_width)
        # masks and weights are products of 0 / 1 maps: uint8 is exact
        encoded = dict(
            heatmaps=gaussian_heatmaps(xy, vis, self.heatmap_size, self.sigma,
                                       self.heatmap_truncate),
            heatmap_mask=mask.astype(np.uint8),
            heatmap_weights=(joint_w * mask).astype(np.uint8),
            pafs=pafs,
            paf_weights=(np.repeat(limb_w, 2, axis=0) * mask).astype(np.uint8))
        encoded.update(root_targets(xy, valid, kpts_cam, has_depth, K, self))
        return encoded

    # ------------------------------------------------------------------
    # decode
    # ------------------------------------------------------------------
    def decode(self,
               heatmaps: ArrayOrTensor,
               pafs: ArrayOrTensor,
               offsets: ArrayOrTensor,
               root_depth: Optional[ArrayOrTensor] = None,
               K: Optional[ArrayOrTensor] = None,
               log_sigma_reg: Optional[ArrayOrTensor] = None,
               log_sigma_geo: Optional[ArrayOrTensor] = None,
               torso_length: Optional[ArrayOrTensor] = None) -> Dict[str, np.ndarray]:
        """Decode the maps of ONE image into people (2.5D poses + root depth).

        Steps: max-pool NMS of heatmap peaks; people = root (pelvis) peaks
        ``>= decode_root_thr``; offsets, relative depths and root depth read
        at each person's root pixel (Eq. 2); PAF line integrals; then the
        grouping along the tree, parents first
        (:func:`mmmar.codecs.grouping.group_people`: per limb an optimal
        one-to-one assignment scored by PAF line integral, closeness to the
        offset-predicted joint and heatmap peak value, gated by the distance
        to the offset-predicted joint) and the structured 2.5D pose of Eq. 3.

        The dense stages run in torch where the maps are, on every device
        (:mod:`mmmar.codecs.dense_decode`; numpy inputs are wrapped without a
        copy); this is :meth:`decode_batch` of a batch of one. The tests
        compare it with the numpy oracle :func:`mmmar.testing.reference_decode`.
        Everything returned is numpy.

        Args:
            heatmaps (np.ndarray | Tensor): (K, h, w).
            pafs (np.ndarray | Tensor): (2L, h, w).
            offsets (np.ndarray | Tensor): (3K, h, w), normalised as encoded.
            root_depth (np.ndarray | Tensor, optional): (1, h, w) or (h, w),
                normalised ``Z_root / focal_of(K)``.
            K (np.ndarray | Tensor, optional): (3, 3) intrinsics of the input
                image; needed for ``root_depth`` in mm.
            log_sigma_reg, log_sigma_geo, torso_length (optional): (1, h, w)
                or (h, w) maps, read at the root pixels.

        Returns:
            dict: with N people (sorted by descending root peak value):

            - keypoints (N, K, 2): input pixels
            - keypoint_scores (N, K): heatmap value at each joint location
              (the matched peak value for heatmap joints)
            - keypoints_rel_depth (N, K): Z_k - Z_root, mm
            - from_heatmap (N, K) bool: location from heatmap/PAF (True) or
              from root + offset (False)
            - roots (N, 2): root location, input pixels
            - keypoints_offset (N, K, 2): root pixel + offsets (Eq. 2), input
              pixels: the 2.5D pose that L_geo trains (the geometry depth's
              ``geo_torso='offsets'`` of :class:`MARDepthFusion`)
            - root_scores (N,): root peak value
            - scores (N,): person score = mean of ``keypoint_scores``
            - root_depth_reg_norm (N,): the regression root depth as the
              ``root_depth`` map gives it, ``Z_reg / focal_of(K)`` (0 if no map)
            - root_depth_reg (N,): ``Z_reg = root_depth_reg_norm *
              focal_of(K)``, mm (Eq. 5-6; only when ``K`` is given)
            - log_sigma_reg / log_sigma_geo / torso_length (N,): when given

            The names are those of the whole inference path (``docs/design.md``,
            "Names along the inference path"): ``keypoints`` is always 2D,
            ``root_depth_reg`` always the regression depth (the fused depth
            ``root_depth`` is the fusion's).
        """
        maps = dict(root_depth=root_depth, log_sigma_reg=log_sigma_reg,
                    log_sigma_geo=log_sigma_geo, torso_length=torso_length)
        K = to_numpy(K, float32=True)
        h, w = _as_tensor(heatmaps).shape[-2:]
        out = dict(heatmaps=heatmaps, pafs=pafs, offsets=offsets)
        out.update({k: v for k, v in maps.items() if v is not None})
        out = {k: _as_tensor(v).reshape((1, -1, h, w)) for k, v in out.items()}
        return self.decode_batch(out, [K])[0]

    def decode_batch(self,
                     outputs: Dict[str, torch.Tensor],
                     Ks: Optional[Sequence] = None) -> List[dict]:
        """Decode a batch of network outputs where they are (GPU or CPU).

        The dense stages run batched in torch on the maps' device
        (:func:`mmmar.codecs.dense_decode.dense_evidence`); only the peaks,
        the values read at the roots and the PAF line integrals (tens of kB
        per image, :func:`~mmmar.codecs.dense_decode.transferred_bytes`) are
        copied to the host, in one copy, where the people are grouped
        (:func:`mmmar.codecs.grouping.people_from_evidence`).

        Args:
            outputs (dict): ``heatmaps`` (B, K, h, w), ``pafs`` (B, 2L, h, w),
                ``offsets`` (B, 3K, h, w) and optionally ``root_depth``,
                ``log_sigma_reg``, ``log_sigma_geo``, ``torso_length``
                (B, 1, h, w); other keys are ignored.
            Ks (Sequence, optional): B (3, 3) input intrinsics (or None).

        Returns:
            list[dict]: per image, the fields of :meth:`decode`.
        """
        for k in ('heatmaps', 'pafs', 'offsets'):
            if k not in outputs:
                raise ValueError(f'MARCodec.decode_batch: `outputs` has no '
                                 f'{k!r} (got {sorted(outputs)})')
        root_maps = {k: outputs[k] for k in ROOT_MAPS
                     if outputs.get(k) is not None}
        with torch.no_grad():
            dense = dense_evidence(outputs['heatmaps'], outputs['pafs'],
                                   outputs['offsets'], self, root_maps)
        return self.decode_evidence(dense, Ks, tuple(root_maps))

    def decode_evidence(self,
                        dense: Dict[str, ArrayOrTensor],
                        Ks: Optional[Sequence] = None,
                        root_maps_given: Sequence[str] = ROOT_MAPS
                        ) -> List[dict]:
        """The host part of :meth:`decode_batch`: group the people of the
        dense stages' output (torch tensors, or numpy arrays such as the
        outputs of the ONNX graph of ``tools/deployment/export_onnx.py``).

        Args:
            dense (dict): :func:`mmmar.codecs.dense_decode.dense_evidence`'s
                fields (:data:`~mmmar.codecs.dense_decode.EVIDENCE_FIELDS`).
            Ks (Sequence, optional): B (3, 3) input intrinsics (or None).
            root_maps_given (Sequence[str]): The per-pixel maps read at the
                roots that the network gave (``root_depth``, ...).

        Returns:
            list[dict]: per image, the fields of :meth:`decode`.
        """
        evidence = evidence_to_host(dense, self.heatmap_size, root_maps_given)
        Ks = [None] * len(evidence) if Ks is None else list(Ks)
        return [people_from_evidence(ev, self, to_numpy(K, float32=True))
                for ev, K in zip(evidence, Ks)]


def _as_tensor(x: ArrayOrTensor) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
    return torch.from_numpy(np.ascontiguousarray(x))
