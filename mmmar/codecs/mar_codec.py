"""MARCodec: targets and decoding of the 2.5D pose + root depth of MAR."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmpose.codecs.base import BaseKeypointCodec
from mmpose.registry import KEYPOINT_CODECS

from mmmar.geometry import focal_of
from mmmar.structures import skeleton
from .dense_decode import ROOT_MAPS, dense_evidence, evidence_to_host
from .grouping import people_from_evidence
from .grouping import structured_pose  # noqa: F401 (re-exported)
from .paf import draw_pafs, limb_index
from .reference_decode import evidence_numpy
from .reference_decode import (  # noqa: F401 (re-exported)
    heatmap_peaks_nms, refine_peaks)
from .weights import missing_joint_weights

ArrayOrTensor = Union[np.ndarray, torch.Tensor]


def _to_numpy(x: Optional[ArrayOrTensor]) -> Optional[np.ndarray]:
    if x is None:
        return None
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


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
        - heatmap_mask (np.ndarray): (h, w), 0 in ignored regions
        - heatmap_weights (np.ndarray): (K, h, w) loss weights of the
          heatmaps: ``heatmap_mask``, and 0 for joint k in the neighbourhood
          of every person whose joint k is unknown (``keypoints_valid`` 0,
          e.g. COCO's head_top, spine, head): its target there is not "no
          joint" but unknown
        - pafs (np.ndarray): (2L, h, w) unit limb vectors averaged over
          people, for limbs whose two joints are valid (occluded ones
          included, as OpenPose does for labelled joints), so that a visible
          joint can be assembled from an occluded parent
        - paf_weights (np.ndarray): (2L, h, w), ``heatmap_mask``, and 0 for
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

    field_mapping_table = dict(
        heatmaps='heatmaps',
        heatmap_mask='heatmap_mask',
        heatmap_weights='heatmap_weights',
        pafs='pafs',
        paf_weights='paf_weights',
        offsets='offsets',
        offset_weights='offset_weights',
        root_depth='root_depth',
        root_depth_weights='root_depth_weights',
        torso_length='torso_length',
        torso_length_weights='torso_length_weights',
    )

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

    # ------------------------------------------------------------------
    # encode
    # ------------------------------------------------------------------
    def _check_inputs(self, keypoints, keypoints_visible, keypoints_cam,
                      keypoints_valid, has_depth, cam_param, img_path):
        """Validate and normalise the encode inputs; raise ValueError naming
        the offending field (and the sample when ``img_path`` is known)."""
        where = f' (sample {img_path!r})' if img_path is not None else ''
        K_ = self.num_keypoints

        def fail(field, msg):
            raise ValueError(f'MARCodec.encode: `{field}` {msg}{where}')

        keypoints = np.asarray(keypoints, dtype=np.float64)
        if keypoints.ndim != 3 or keypoints.shape[1:] != (K_, 2):
            fail('keypoints',
                 f'must have shape (N, {K_}, 2), got {keypoints.shape}')
        N = keypoints.shape[0]
        if keypoints_visible is None:
            fail('keypoints_visible', 'is missing')
        vis = np.asarray(keypoints_visible, dtype=np.float64)
        if vis.ndim == 3 and vis.shape[2] in (1, 2):
            vis = vis[..., 0]
        if vis.shape != (N, K_):
            fail('keypoints_visible',
                 f'must have shape ({N}, {K_}), got {vis.shape}')
        valid = (vis > 0).astype(np.float64) if keypoints_valid is None \
            else np.asarray(keypoints_valid, dtype=np.float64)
        if valid.shape != (N, K_):
            fail('keypoints_valid',
                 f'must have shape ({N}, {K_}), got {valid.shape}')
        bad = ~np.isfinite(keypoints).all(-1) & ((valid > 0) | (vis > 0))
        if bad.any():
            n, k = np.argwhere(bad)[0]
            fail('keypoints', f'has a non-finite value at instance {n}, '
                 f'joint {k} ({skeleton.JOINT_NAMES[k]})')
        keypoints = np.where(np.isfinite(keypoints), keypoints, 0.)
        vis = vis * (valid > 0)

        if has_depth is None:
            has_depth = np.full(N, 1. if keypoints_cam is not None else 0.)
        has_depth = np.asarray(has_depth, dtype=np.float64).reshape(-1)
        if has_depth.shape != (N, ):
            fail('has_depth', f'must have shape ({N},), got {has_depth.shape}')
        if keypoints_cam is None:
            if (has_depth > 0).any():
                fail('keypoints_cam', 'is missing but has_depth > 0')
            keypoints_cam = np.zeros((N, K_, 3))
        keypoints_cam = np.asarray(keypoints_cam, dtype=np.float64)
        if keypoints_cam.shape != (N, K_, 3):
            fail('keypoints_cam',
                 f'must have shape ({N}, {K_}, 3), got {keypoints_cam.shape}')
        use3d = (valid > 0) & (has_depth[:, None] > 0)
        bad = ~np.isfinite(keypoints_cam).all(-1) & use3d
        if bad.any():
            n, k = np.argwhere(bad)[0]
            fail('keypoints_cam', f'has a non-finite value at instance {n}, '
                 f'joint {k} ({skeleton.JOINT_NAMES[k]})')
        keypoints_cam = np.where(use3d[..., None], keypoints_cam, 0.)
        if (use3d[:, self.root_index] & (keypoints_cam[:, self.root_index, 2]
                                         <= 0)).any():
            fail('keypoints_cam', 'has a root (pelvis) at depth <= 0')

        K = None
        if cam_param is None:
            if (has_depth > 0).any():
                fail('cam_param', 'is missing (needed for depth targets)')
        else:
            if not isinstance(cam_param, dict) or 'K' not in cam_param:
                fail('cam_param', 'must be a dict with a 3x3 `K`, got '
                     f'{type(cam_param).__name__}')
            K = np.asarray(cam_param['K'], dtype=np.float64)
            if K.shape != (3, 3) or not np.isfinite(K).all():
                fail('cam_param', f"['K'] must be a finite 3x3 matrix, got "
                     f'shape {K.shape}')
            if not focal_of(K) > 0 or abs(np.linalg.det(K)) == 0:
                fail('cam_param', "['K'] is singular")
        return keypoints, vis, valid, keypoints_cam, has_depth, K

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
            dict: The fields of :attr:`field_mapping_table` (float32), see the
            class docstring.
        """
        (keypoints, vis, valid, kpts_cam, has_depth,
         K) = self._check_inputs(keypoints, keypoints_visible, keypoints_cam,
                                 keypoints_valid, has_depth, cam_param,
                                 img_path)
        w, h = self.heatmap_size
        N, K_ = vis.shape
        xy = keypoints / self.scale_factor  # heatmap px

        mask = np.ones((h, w), dtype=np.float32)
        if ignore_mask is not None:
            ignore_mask = np.asarray(ignore_mask).astype(bool)
            H, W = ignore_mask.shape[:2]
            iy = np.clip(np.rint(np.arange(h) * self.scale_factor[1]), 0,
                         H - 1).astype(np.intp)
            ix = np.clip(np.rint(np.arange(w) * self.scale_factor[0]), 0,
                         W - 1).astype(np.intp)
            mask[ignore_mask[iy[:, None], ix[None, :]]] = 0.

        limb_valid = (valid[:, self._limbs[:, 0]] > 0) & (
            valid[:, self._limbs[:, 1]] > 0)
        joint_w, limb_w = missing_joint_weights(
            xy, valid, limb_valid, self._check_bbox(bbox, N, img_path),
            self.heatmap_size, self.missing_margin,
            self.heatmap_truncate * self.sigma)
        encoded = dict(
            heatmaps=self._encode_heatmaps(xy, vis),
            heatmap_mask=mask,
            heatmap_weights=joint_w * mask,
        )
        pafs, _ = draw_pafs(xy[:, self._limbs[:, 0]],
                            xy[:, self._limbs[:, 1]], limb_valid,
                            self.heatmap_size, self.paf_width)
        encoded['pafs'] = pafs
        encoded['paf_weights'] = np.repeat(limb_w, 2, axis=0) * mask
        encoded.update(
            self._encode_root_fields(xy, valid, kpts_cam, has_depth, K))
        return encoded

    def _check_bbox(self, bbox, N: int,
                    img_path: Optional[str]) -> Optional[np.ndarray]:
        """``bbox`` as an (N, 4) float64 array in heatmap px (None if not
        given); raise ValueError naming the field for another shape."""
        if bbox is None:
            return None
        bbox = np.asarray(bbox, dtype=np.float64)
        if bbox.shape != (N, 4):
            where = f' (sample {img_path!r})' if img_path is not None else ''
            raise ValueError(f'MARCodec.encode: `bbox` must have shape ({N}, '
                             f'4) (xyxy input px), got {bbox.shape}{where}')
        return bbox / np.tile(self.scale_factor, 2)

    def _encode_heatmaps(self, xy: np.ndarray, vis: np.ndarray) -> np.ndarray:
        """Gaussians of all visible joints, max over people, truncated at
        ``heatmap_truncate`` sigmas (as mmpose). Sparse and vectorised over
        people, joints and window pixels."""
        w, h = self.heatmap_size
        K_ = self.num_keypoints
        heatmaps = np.zeros(K_ * h * w, dtype=np.float32)
        n, k = np.nonzero(vis > 0)
        if n.size == 0:
            return heatmaps.reshape(K_, h, w)
        r = int(np.ceil(self.heatmap_truncate * self.sigma))
        win = np.arange(-r, r + 1)
        c = np.rint(xy[n, k]).astype(np.intp)  # (P, 2)
        px = c[:, None, 0] + win[None]  # (P, 2r+1)
        py = c[:, None, 1] + win[None]
        gx = np.exp(-(px - xy[n, k, 0:1])**2 / (2 * self.sigma**2))
        gy = np.exp(-(py - xy[n, k, 1:2])**2 / (2 * self.sigma**2))
        g = (gy[:, :, None] * gx[:, None, :]).astype(np.float32)
        ok = ((px >= 0) & (px < w))[:, None, :] & (
            (py >= 0) & (py < h))[:, :, None]
        idx = (k[:, None, None] * h + py[:, :, None]) * w + px[:, None, :]
        np.maximum.at(heatmaps, idx[ok], g[ok])
        return heatmaps.reshape(K_, h, w)

    def _encode_root_fields(self, xy, valid, kpts_cam, has_depth, K):
        """Offsets, root depth and torso length around each root (Eq. 2);
        the nearer person wins overlapping pixels. Vectorised over people
        and pixels."""
        w, h = self.heatmap_size
        K_ = self.num_keypoints
        r, m = self.root_index, self.neck_index
        out = dict(
            offsets=np.zeros((3 * K_, h, w), np.float32),
            offset_weights=np.zeros((3 * K_, h, w), np.float32),
            root_depth=np.zeros((1, h, w), np.float32),
            root_depth_weights=np.zeros((1, h, w), np.float32),
            torso_length=np.zeros((1, h, w), np.float32),
            torso_length_weights=np.zeros((1, h, w), np.float32))
        has_root = valid[:, r] > 0
        if not has_root.any():
            return out
        root = xy[:, r]
        # drawing priority: larger = drawn on top (nearer)
        if (has_depth > 0).all():
            priority = -kpts_cam[:, r, 2]
        else:
            vxy = np.where(valid[..., None] > 0, xy, np.nan)
            ext = np.nanmax(vxy, 1) - np.nanmin(vxy, 1)
            priority = np.nan_to_num(ext.prod(-1), nan=0.)
        # pixels within root_radius of each root (sparse window per person)
        rad = int(np.ceil(self.root_radius))
        win = np.arange(-rad, rad + 1)
        wx, wy = np.meshgrid(win, win)
        disc = wx**2 + wy**2 <= self.root_radius**2
        wx, wy = wx[disc], wy[disc]
        people = np.flatnonzero(has_root)
        c = np.rint(root[people]).astype(np.intp)
        px = (c[:, 0:1] + wx[None]).ravel()
        py = (c[:, 1:2] + wy[None]).ravel()
        n = np.repeat(people, wx.size)
        ok = (px >= 0) & (px < w) & (py >= 0) & (py < h)
        px, py, n = px[ok], py[ok], n[ok]
        if n.size == 0:
            return out
        # the nearer person (higher priority) wins a shared pixel
        pix = py * w + px
        order = np.lexsort((priority[n], pix))
        last = np.r_[pix[order][1:] != pix[order][:-1], True]
        win_idx = order[last]
        px, py, n = px[win_idx], py[win_idx], n[win_idx]

        dxy = (xy[n] - np.stack([px, py], -1)[:, None]) / self.offset_norm
        zrel = (kpts_cam[n, :, 2] - kpts_cam[n, r:r + 1, 2]) / self.depth_norm
        vn = valid[n]
        hd = has_depth[n]
        out['offsets'][:, py, px] = np.concatenate(
            [dxy[..., 0], dxy[..., 1], zrel], axis=1).T
        out['offset_weights'][:, py, px] = np.concatenate(
            [vn, vn, vn * hd[:, None]], axis=1).T
        if K is not None:
            out['root_depth'][0, py, px] = kpts_cam[n, r, 2] / focal_of(K)
        out['root_depth_weights'][0, py, px] = hd
        torso = np.linalg.norm(kpts_cam[n, m] - kpts_cam[n, r], axis=-1)
        torso_ok = hd * vn[:, r] * vn[:, m]
        out['torso_length'][0, py, px] = torso * torso_ok
        out['torso_length_weights'][0, py, px] = torso_ok
        return out

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
               torso_length: Optional[ArrayOrTensor] = None,
               backend: str = 'torch') -> Dict[str, np.ndarray]:
        """Decode the maps of ONE image into people (2.5D poses + root depth).

        Steps: max-pool NMS of heatmap peaks; people = root (pelvis) peaks
        ``>= decode_root_thr``; offsets, relative depths and root depth read
        at each person's root pixel (Eq. 2); PAF line integrals; then the
        grouping along the tree, parents first
        (:func:`mmmar.codecs.grouping.group_people`: per limb an optimal
        one-to-one assignment scored by PAF line integral, closeness to the
        offset-predicted joint and heatmap peak value, gated by the distance
        to the offset-predicted joint) and the structured 2.5D pose of Eq. 3.

        The dense stages run in torch where the maps are
        (:mod:`mmmar.codecs.dense_decode`; numpy inputs are wrapped without a
        copy), or with ``backend='numpy'`` in the numpy reference
        (:mod:`mmmar.codecs.reference_decode`); both give the same people.
        For a batch use :meth:`decode_batch`. Everything returned is numpy.

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
            backend (str): ``'torch'`` (default) or ``'numpy'``.

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
            - root_depth_norm (N,): read regression output (0 if no map)
            - root_depth (N,): ``root_depth_norm * focal_of(K)``, mm (only
              when ``K`` is given)
            - log_sigma_reg / log_sigma_geo / torso_length (N,): when given
        """
        maps = dict(root_depth=root_depth, log_sigma_reg=log_sigma_reg,
                    log_sigma_geo=log_sigma_geo, torso_length=torso_length)
        K = _to_numpy(K)
        if backend == 'numpy':
            ev = evidence_numpy(
                _to_numpy(heatmaps), _to_numpy(pafs), _to_numpy(offsets), self,
                {k: _to_numpy(v) for k, v in maps.items() if v is not None})
            return people_from_evidence(ev, self, K)
        if backend != 'torch':
            raise ValueError(f"MARCodec.decode: `backend` must be 'torch' or "
                             f"'numpy', got {backend!r}")
        h, w = _as_tensor(heatmaps).shape[-2:]
        out = dict(heatmaps=heatmaps, pafs=pafs, offsets=offsets)
        out.update({k: v for k, v in maps.items() if v is not None})
        out = {k: _as_tensor(v).reshape((1, -1, h, w)) for k, v in out.items()}
        return self.decode_batch(out, [K])[0]

    def decode_batch(self,
                     outputs: Dict[str, torch.Tensor],
                     Ks: Optional[Sequence] = None,
                     return_bytes: bool = False) -> List[dict]:
        """Decode a batch of network outputs where they are (GPU or CPU).

        The dense stages run batched in torch on the maps' device
        (:func:`mmmar.codecs.dense_decode.dense_evidence`); only the peaks,
        the values read at the roots and the PAF line integrals (tens of kB
        per image) are copied to the host, in one copy, where the people are
        grouped (:func:`mmmar.codecs.grouping.people_from_evidence`).

        Args:
            outputs (dict): ``heatmaps`` (B, K, h, w), ``pafs`` (B, 2L, h, w),
                ``offsets`` (B, 3K, h, w) and optionally ``root_depth``,
                ``log_sigma_reg``, ``log_sigma_geo``, ``torso_length``
                (B, 1, h, w); other keys are ignored.
            Ks (Sequence, optional): B (3, 3) input intrinsics (or None).
            return_bytes (bool): Also return the bytes copied to the host.

        Returns:
            list[dict]: per image, the fields of :meth:`decode` (and the
            byte count when ``return_bytes``).
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
        results = self.decode_evidence(dense, Ks, tuple(root_maps))
        if return_bytes:
            from .dense_decode import transferred_bytes
            return results, transferred_bytes(dense)
        return results

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
        return [people_from_evidence(ev, self, None if K is None else
                                     _to_numpy(K))
                for ev, K in zip(evidence, Ks)]


def _as_tensor(x: ArrayOrTensor) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach()
    return torch.from_numpy(np.ascontiguousarray(x))
