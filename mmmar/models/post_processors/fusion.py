"""Mutual adaptive depth fusion (Eq. 7-8, Eq. 12) and back-projection (Eq. 1).

:class:`MARDepthFusion` turns the decoded structured 2.5D poses of one image
(Eq. 3; decoded by :class:`MARCodec`) into absolute camera-space 3D poses:

1. regression root depth ``Z_reg = root_depth_reg_norm * focal_of(K)`` (mm) with
   ``sigma_reg = exp(log_sigma_reg) * focal_of(K)`` (mm);
2. geometry root depth ``Z_geo`` (Eq. 7-8, :func:`mmmar.geometry.geometry_depth_np`)
   from the decoded root and neck pixels, the neck's relative depth, ``K`` and
   the torso length ``Omega`` (a constant, or the person's predicted one),
   with ``sigma_geo = exp(log_sigma_geo) * focal_of(K)``;
3. fused root depth ``Z = fuse_depths(Z_reg, s1, Z_geo, s2)`` (Eq. 12);
4. ``P_k = (Z + Zr_k) K^-1 [u_k, v_k, 1]^T`` (Eq. 1).

``mode`` selects the root depth for ablations; each mode uses only its own
depth(s) and a person is dropped only when no valid depth exists for the mode:

* ``'reg'``: Z_reg only; valid when finite and > 0.
* ``'geo'``: Z_geo only (pure geometry: the regression branch is not read);
  valid when Eq. 7-8 has a solution (``geometry_depth_np(..., return_valid=True)``:
  the neck does not project onto the root, a real root exists and is deeper
  than the geometry's minimum depth).
* ``'fusion'``: Eq. 12 when both are valid, the geometry is not degenerate
  relative to the regression (``Z_geo / Z_reg`` inside ``[1/r, r]``,
  ``r = geo_ratio_limit``) and ``sigma_geo`` is finite; else Z_reg alone when it
  is valid; else Z_geo alone when it is valid.
The torso that enters Eq. 7-8 (``geo_torso``): ``'structured'`` uses the root
and neck of the decoded structured pose (Eq. 3, heatmap/PAF locations where
confident); ``'offsets'`` uses the root pixel's offsets (Eq. 2, decoded as
``keypoints_offset``), i.e. the same 2.5D torso as the dense geometry depth of
L_geo (Eq. 9) in training, so that sigma2, which L_geo trains on that torso,
describes the error of the Z_geo it is fused with. With a constant Omega, Eq.
10 teaches the offsets a torso that gives the right depth for *this* person;
the heatmap locations carry no such correction.

* ``'mean'``: as ``'fusion'`` with fixed weights, ``(Z_reg + Z_geo) / 2``
  (the "fixed average" ablation of Eq. 12's adaptive weights).

``geo_valid`` records whether Z_geo entered the root depth (in ``'reg'`` mode:
whether it would have been fused); where it did not, ``root_depth_geo`` and
``sigma_geo`` report the regression values.

Names (``docs/design.md``, "Names along the inference path"): the input is the
codec's decode under its own names; the output keeps ``keypoints`` for the 2D
pose (input-image px), ``keypoints_3d`` for the camera-space joints (mm), and
``root_depth_reg`` (Eq. 5-6), ``root_depth_geo`` (Eq. 7-8), ``root_depth`` (the
mode's depth; Eq. 12 in ``'fusion'`` mode) for the root depths.

Nothing non-finite is ever emitted: people without a valid depth for the mode,
or with a non-finite 2D pose / relative depth, are marked ``valid = False`` with the reason in
``invalid_reason`` (e.g. ``'Z_reg <= 0'``, ``'no geometry solution'``) and
dropped by the estimator (see ``MARPoseEstimator``), which logs the reasons.
"""
from typing import Optional, Tuple

import numpy as np
from mmengine.structures import InstanceData
from mmpose.registry import MODELS

from mmmar.geometry import back_project_np, focal_of, fuse_depths_np, geometry_depth_np
from mmmar.structures.skeleton import NECK, NUM_JOINTS, ROOT
from mmmar.structures.utils import instance_data

#: fields every decoded-pose input needs (``MARCodec.decode``'s names, see ``__call__``)
REQUIRED = ('keypoints', 'keypoints_rel_depth', 'root_depth_reg_norm', 'log_sigma_reg',
            'log_sigma_geo')


def _f32(x) -> np.ndarray:
    """A float32 copy with non-finite values (also those beyond float32's
    range, a cast that numpy warns about unless told ``np.errstate(
    over='ignore')``) replaced by 0."""
    a = np.array(x, np.float32)
    if not np.isfinite(a).all():
        np.nan_to_num(a, copy=False, nan=0., posinf=0., neginf=0.)
    return a


def empty_predictions(num_keypoints: int = NUM_JOINTS) -> InstanceData:
    """InstanceData with N = 0 and the trailing shapes of the contract."""
    K = num_keypoints
    z = np.zeros
    return instance_data(
        keypoints=z((0, K, 2), np.float32),
        keypoints_3d=z((0, K, 3), np.float32),
        keypoint_scores=z((0, K), np.float32),
        keypoints_rel_depth=z((0, K), np.float32),
        scores=z((0, ), np.float32),
        bbox_scores=z((0, ), np.float32),
        root_depth=z((0, ), np.float32),
        root_depth_reg=z((0, ), np.float32),
        root_depth_geo=z((0, ), np.float32),
        sigma_reg=z((0, ), np.float32),
        sigma_geo=z((0, ), np.float32),
        geo_valid=z((0, ), bool),
        bboxes=z((0, 4), np.float32))


@MODELS.register_module()
class MARDepthFusion:
    """Eq. 7-8 + Eq. 12 + Eq. 1 for the decoded people of one image.

    Args:
        mode (str): ``'fusion'`` | ``'reg'`` | ``'geo'`` | ``'mean'``.
        omega (float): Torso (root-neck) length in mm for the geometry depth
            when the decoded poses carry no ``torso_length``.
        root_index (int), neck_index (int): Joint indices of the torso.
        geo_ratio_limit (float): ``'fusion'`` mode: the geometry depth is not
            fused when ``Z_geo / Z_reg`` is outside ``[1 / r, r]`` (the torso
            vector is then too short/long to be trusted, e.g. a wrongly
            decoded neck); ``None``/0 disables the check. Not used in
            ``'geo'`` mode (pure geometry). Defaults to 3 (the training clamp
            of ``MARHead.geo_clamp_ratio``).
        geo_torso (str): The root and neck of Eq. 7-8: ``'structured'``
            (the decoded structured pose, Eq. 3) or ``'offsets'`` (root
            pixel + offsets, Eq. 2: the torso L_geo trains sigma2 on); see
            the module docstring. Defaults to ``'offsets'`` (what ``MARHead``
            uses).
        log_sigma_range (tuple, optional): The decoded ``log_sigma_reg`` /
            ``log_sigma_geo`` are clipped to it (``None``: used as given).
            :class:`MARHead` builds its fusion with its own
            ``log_sigma_range`` (the one owner, also used by its losses).
    """

    def __init__(self,
                 mode: str = 'fusion',
                 omega: float = 500.,
                 root_index: int = ROOT,
                 neck_index: int = NECK,
                 geo_ratio_limit: float = 3.,
                 geo_torso: str = 'offsets',
                 log_sigma_range: Optional[Tuple[float, float]] = None):
        if mode not in ('fusion', 'reg', 'geo', 'mean'):
            raise ValueError(f"mode must be 'fusion', 'reg', 'geo' or 'mean', got "
                             f'{mode!r}')
        self.mode = mode
        if geo_torso not in ('structured', 'offsets'):
            raise ValueError("geo_torso must be 'structured' or 'offsets', got "
                             f'{geo_torso!r}')
        self.geo_torso = geo_torso
        self.omega = float(omega)
        self.root_index = root_index
        self.neck_index = neck_index
        self.geo_ratio_limit = geo_ratio_limit
        self.log_sigma_range = None if log_sigma_range is None else \
            tuple(float(v) for v in log_sigma_range)

    def __call__(self, decoded, K: np.ndarray) -> InstanceData:
        """Fuse and back-project.

        Args:
            decoded (InstanceData | dict): Per-person arrays (N people, input
                image) under the names of ``MARCodec.decode``'s output (other
                fields are ignored): ``keypoints`` (N, J, 2) px (the
                structured 2.5D pose, Eq. 3), ``keypoints_rel_depth`` (N, J)
                relative depth Zr (mm, root = 0), ``root_depth_reg_norm`` (N,)
                regression depth normalised by ``focal_of(K)``,
                ``log_sigma_reg``, ``log_sigma_geo`` (N,) (same normalised
                unit); optional ``keypoint_scores`` (N, J), ``scores`` (N,),
                ``torso_length`` (N,) mm (per-person Omega; the constant
                ``omega`` where absent or not positive), ``bboxes`` (N, 4),
                and ``keypoints_offset`` (N, J, 2) px, the root pixel plus
                its offsets (Eq. 2), required by ``geo_torso='offsets'``
                (the root and neck of Eq. 7-8) and otherwise unused.
            K (np.ndarray): (3, 3) intrinsics of the input image.

        Returns:
            InstanceData: ``keypoints`` (N, J, 2) input-image px,
            ``keypoints_3d`` (N, J, 3) camera mm, ``keypoint_scores``,
            ``keypoints_rel_depth`` (N, J) mm, ``scores``, ``bbox_scores``,
            ``root_depth`` (the mode's, mm: Eq. 12 in ``'fusion'`` mode),
            ``root_depth_reg`` (Eq. 5-6), ``root_depth_geo`` (Eq. 7-8),
            ``sigma_reg``, ``sigma_geo`` (mm),
            ``geo_valid`` (bool), ``valid`` (bool: the person has a finite
            2D pose and a valid depth for the mode), ``invalid_reason`` (N,)
            str ('' when valid), ``bboxes`` (N, 4).
        """
        get = decoded.get
        missing = [k for k in REQUIRED if get(k, None) is None]
        if missing:
            raise KeyError(f'MARDepthFusion: decoded poses lack {missing}')
        uv = np.asarray(get('keypoints'), np.float64)
        N, J = uv.shape[:2]
        if N == 0:
            return empty_predictions(J)
        K = np.asarray(K, np.float64)
        zrel, z_reg, s_reg, s_geo, scores_k, scores, uv_geo = self.read_inputs(
            decoded, uv, float(focal_of(K)))
        pose_ok = np.isfinite(uv).all((1, 2)) & np.isfinite(zrel).all(1)
        z_geo, geo_ok = self.geometry(uv_geo, zrel, K,
                                      get('torso_length', None))
        geo_ok &= pose_ok
        z, valid, geo_valid, reason = self.select_depth(
            z_reg, s_reg, z_geo, s_geo, geo_ok, pose_ok)
        reg_ok = np.isfinite(z_reg) & (z_reg > 0) & np.isfinite(s_reg)
        z_geo = np.where(geo_valid, z_geo, z_reg)
        s_geo = np.where(geo_valid, s_geo, s_reg)

        # neutralise the invalid people so the arrays stay finite; the
        # estimator drops them (``valid`` = False)
        safe = valid[:, None]
        uv = np.where(safe[..., None], uv, 0.)
        zrel = np.where(safe, zrel, 0.)
        z = np.where(valid, z, 1.)
        cam = back_project_np(uv, z[:, None] + zrel, K)
        bboxes = get('bboxes', None)
        if bboxes is None:
            bboxes = np.concatenate([uv.min(1), uv.max(1)], axis=1)

        with np.errstate(over='ignore'):  # float32 casts of huge values
            return instance_data(
                keypoints=_f32(uv),
                keypoints_3d=_f32(cam),
                keypoint_scores=_f32(scores_k),
                keypoints_rel_depth=_f32(zrel),
                scores=_f32(scores),
                bbox_scores=_f32(scores),
                root_depth=_f32(z),
                root_depth_reg=_f32(np.where(reg_ok | valid, z_reg, 1.)),
                root_depth_geo=_f32(np.where(geo_valid | reg_ok, z_geo, 1.)),
                sigma_reg=_f32(s_reg),
                sigma_geo=_f32(s_geo),
                geo_valid=geo_valid,
                valid=valid,
                invalid_reason=reason,
                bboxes=_f32(np.asarray(bboxes).reshape(N, 4)))

    def read_inputs(self, decoded, uv: np.ndarray, f: float) -> tuple:
        """The per-person inputs of :meth:`__call__` as float64 arrays.

        Args:
            decoded (InstanceData | dict): See :meth:`__call__`.
            uv (np.ndarray): (N, J, 2) the decoded ``keypoints``.
            f (float): ``focal_of(K)``.

        Returns:
            tuple: ``zrel`` (N, J) mm, ``z_reg``, ``s_reg``, ``s_geo`` (N,) mm,
            ``scores_k`` (N, J), ``scores`` (N,) and ``uv_geo`` (N, J, 2), the 2D
            pose whose root and neck enter Eq. 7-8 (``geo_torso``).
        """
        get = decoded.get
        N, J = uv.shape[:2]

        def per_person(key):
            return np.asarray(get(key), np.float64).reshape(N)

        def sigma(key):  # Laplace scale in mm from the normalised log sigma
            log_sigma = per_person(key)
            if self.log_sigma_range is not None:
                log_sigma = np.clip(log_sigma, *self.log_sigma_range)
            with np.errstate(over='ignore'):  # unclipped huge log sigmas: sigma = inf
                return np.exp(log_sigma) * f

        zrel = np.asarray(get('keypoints_rel_depth'), np.float64).reshape(N, J)
        s_reg, s_geo = sigma('log_sigma_reg'), sigma('log_sigma_geo')
        scores_k = get('keypoint_scores', None)
        scores_k = np.ones((N, J)) if scores_k is None else \
            np.asarray(scores_k, np.float64).reshape(N, J)
        scores = scores_k.mean(1) if get('scores', None) is None else per_person('scores')
        uv_geo = uv
        if self.geo_torso == 'offsets':
            if get('keypoints_offset', None) is None:
                raise KeyError("MARDepthFusion(geo_torso='offsets'): the decoded "
                               'poses lack `keypoints_offset` (root + offsets, Eq. 2)')
            uv_geo = np.asarray(get('keypoints_offset'), np.float64).reshape(N, J, 2)
        return (zrel, per_person('root_depth_reg_norm') * f, s_reg, s_geo, scores_k, scores,
                uv_geo)

    def select_depth(self, z_reg, s_reg, z_geo, s_geo, geo_ok, pose_ok):
        """The root depth of ``self.mode`` per person and why it is missing.

        Args:
            z_reg, s_reg, z_geo, s_geo (np.ndarray): (N,) mm.
            geo_ok (np.ndarray): (N,) Eq. 7-8 has a valid solution.
            pose_ok (np.ndarray): (N,) the 2D pose and relative depths are
                finite.

        Returns:
            tuple: root depth (N,) mm (meaningless where not valid), valid
            (N,) bool, geo_valid (N,) bool (Z_geo enters the root depth;
            ``'reg'`` mode: would be fused), reason (N,) str ('' if valid).
        """
        reg_ok = pose_ok & np.isfinite(z_reg) & np.isfinite(s_reg) & \
            (z_reg > 0)
        fusable = reg_ok & geo_ok & np.isfinite(s_geo)
        if self.geo_ratio_limit:
            with np.errstate(all='ignore'):
                ratio = z_geo / z_reg
            r = self.geo_ratio_limit
            fusable &= (ratio >= 1 / r) & (ratio <= r)
        if self.mode == 'reg':
            z, valid, geo_valid = z_reg, reg_ok, fusable
        elif self.mode == 'geo':
            z, valid, geo_valid = z_geo, geo_ok, geo_ok
        else:
            geo_valid = fusable | (geo_ok & ~reg_ok)
            with np.errstate(all='ignore'):
                fused = fuse_depths_np(z_reg, s_reg, z_geo, s_geo) \
                    if self.mode == 'fusion' else 0.5 * (z_reg + z_geo)
            z = np.where(fusable, fused, np.where(reg_ok, z_reg, z_geo))
            valid = reg_ok | geo_ok
        if valid.all():  # the usual case: no reasons to write
            return z, valid, geo_valid, np.full(len(valid), '')
        return z, valid, geo_valid, self._reasons(z_reg, s_reg, geo_ok, pose_ok,
                                                  valid)

    def _reasons(self, z_reg, s_reg, geo_ok, pose_ok, valid) -> np.ndarray:
        """(N,) str: why each person of :meth:`select_depth` has no valid
        depth ('' where valid)."""
        reg_why = np.where(
            np.isfinite(z_reg) & np.isfinite(s_reg),
            np.where(z_reg > 0, '', 'Z_reg <= 0'), 'non-finite Z_reg')
        geo_why = np.where(geo_ok, '', 'no geometry solution')
        if self.mode == 'reg':
            why = reg_why
        elif self.mode == 'geo':
            why = geo_why
        else:
            why = np.char.add(np.char.add(reg_why, ' and '), geo_why)
        why = np.where(pose_ok, why, 'non-finite 2D pose or relative depths')
        return np.where(valid, '', why).astype(str)

    def geometry(self, uv: np.ndarray, zrel: np.ndarray, K: np.ndarray,
                 torso_length: Optional[np.ndarray] = None):
        """Eq. 7-8 per person; returns (Z_geo mm (N,), valid (N,))."""
        N = uv.shape[0]
        if torso_length is None:
            omega = np.full(N, self.omega)
        else:
            omega = np.asarray(torso_length, np.float64).reshape(N)
            omega = np.where(np.isfinite(omega) & (omega > 0), omega,
                             self.omega)
        uv_r = uv[:, self.root_index]
        uv_m = uv[:, self.neck_index]
        zr_m = zrel[:, self.neck_index]
        ok = np.isfinite(uv_r).all(1) & np.isfinite(uv_m).all(1) & \
            np.isfinite(zr_m)
        with np.errstate(all='ignore'):
            z, solved = geometry_depth_np(
                np.where(ok[:, None], uv_r, 0.),
                np.where(ok[:, None], uv_m, 1.), np.where(ok, zr_m, 0.), K,
                omega, return_valid=True)
        valid = ok & solved
        return np.where(valid, z, 0.), valid
