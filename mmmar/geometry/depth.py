"""Root depth from geometry (Eq. 7-8), the Laplace uncertainty loss (Eq. 6, 9)
and the uncertainty-weighted fusion of the two root depths (Eq. 12) of MAR.

All functions are batched over leading dimensions and vectorised; the torch
versions are differentiable (and keep finite gradients in every degenerate
case), the ``*_np`` versions are their float64 numpy twins.
"""
import numpy as np
import torch
from torch import Tensor

from .camera import pixel_rays, pixel_rays_np

#: Default lower clamp of ``a = |x_m - x_r|^2`` in :func:`geometry_depth`
#: (normalised image coordinates squared; a torso of 1 px at f = 1e5 px).
GEO_EPS_A = 1e-10
#: Default relative threshold of the discriminant in :func:`geometry_depth`:
#: ``b^2 - 4ac <= GEO_EPS_DISC * (b^2 + 4|ac|)`` counts as "no real root".
GEO_EPS_DISC = 1e-12
#: Default smallest root depth returned by :func:`geometry_depth`, in the unit
#: of ``omega`` (mm in mmmar).
GEO_MIN_DEPTH = 1.0
#: Smallest sigma (denominator) in :func:`fuse_depths`.
FUSE_EPS = 1e-12


def _geometry_depth_coeffs(x_r, x_m, zrel, omega):
    d = x_m - x_r
    a = (d * d).sum(-1)
    b = 2 * zrel * (d * x_m).sum(-1)
    c = zrel * zrel * (x_m * x_m).sum(-1) - omega * omega
    return a, b, c


def geometry_depth(uv_root: Tensor,
                   uv_neck: Tensor,
                   zrel_neck: Tensor,
                   K: Tensor,
                   omega,
                   *,
                   eps_a: float = GEO_EPS_A,
                   eps_disc: float = GEO_EPS_DISC,
                   min_depth: float = GEO_MIN_DEPTH) -> Tensor:
    """Eq. 7-8: the root depth that makes the torso as long as ``omega``.

    With rays ``x = K^-1 [u, v, 1]^T`` (general ``K``, unit third component),
    root ``r`` at depth ``Z`` and neck ``m`` at depth ``Z + Zr_m``::

        P_m - P_r = Z (x_m - x_r) + Zr_m x_m,   |P_m - P_r| = omega
        a = |x_m - x_r|^2
        b = 2 Zr_m (x_m - x_r) . x_m
        c = Zr_m^2 |x_m|^2 - omega^2
        Z = (-b + sqrt(b^2 - 4ac)) / (2a)

    which is the form of docs/paper_notes.md when ``K`` has no skew. The larger root is the
    physical one (``c < 0`` whenever the torso is longer than the neck's
    relative-depth component, then the other root is negative).

    Numerics and degenerate cases (finite values *and* finite gradients,
    forward and backward; unused ``torch.where`` branches are fed safe
    inputs):

    - When ``b > 0`` the equivalent form ``Z = 2c / (-b - sqrt(disc))`` is
      used (no cancellation; it also tends to the linear solution ``-c/b`` as
      ``a -> 0``).
    - ``a -> 0`` (neck projects onto the root): ``a`` is clamped at ``eps_a``.
    - ``disc = b^2 - 4ac <= eps_disc * (b^2 + 4|ac|)`` (no real solution for
      this ``omega``): the discriminant is taken as 0, i.e. ``Z = -b / (2a)``,
      the depth whose torso length is closest to ``omega``; its gradient
      w.r.t. the discriminant is 0.
    - ``Z < min_depth`` (including ``Z <= 0``): ``Z`` is clamped to
      ``min_depth`` (zero gradient there).

    Args:
        uv_root (Tensor): Root (pelvis) pixel, shape (..., 2).
        uv_neck (Tensor): Neck pixel, shape (..., 2).
        zrel_neck (Tensor): Neck depth relative to the root, shape (...).
        K (Tensor): Intrinsics, shape (..., 3, 3), broadcastable.
        omega (Tensor | float): Torso (root-neck) length, same unit as the
            depths, shape (...) or scalar.
        eps_a (float): Lower clamp of ``a``. Defaults to ``GEO_EPS_A``.
        eps_disc (float): Relative discriminant threshold. Defaults to
            ``GEO_EPS_DISC``.
        min_depth (float): Smallest returned depth. Defaults to
            ``GEO_MIN_DEPTH`` (1 mm).

    Returns:
        Tensor: Root depth ``Z_geo``, shape (...).
    """
    dtype = uv_root.dtype
    omega = torch.as_tensor(omega, dtype=dtype, device=uv_root.device)
    x_r = pixel_rays(uv_root, K)
    x_m = pixel_rays(uv_neck, K)
    a, b, c = _geometry_depth_coeffs(x_r, x_m, zrel_neck, omega)
    a_safe = a.clamp(min=eps_a)
    disc = b * b - 4 * a_safe * c
    disc_ok = disc > eps_disc * (b * b + 4 * (a_safe * c).abs())
    sqrt_disc = torch.where(disc_ok, torch.where(disc_ok, disc,
                                                 torch.ones_like(disc)).sqrt(),
                            torch.zeros_like(disc))
    use_stable = disc_ok & (b > 0)
    den_stable = torch.where(use_stable, -b - sqrt_disc,
                             -torch.ones_like(b))
    z_stable = 2 * c / den_stable
    z_plain = (-b + sqrt_disc) / (2 * a_safe)
    z = torch.where(use_stable, z_stable, z_plain)
    return z.clamp(min=min_depth)


def geometry_depth_np(uv_root: np.ndarray,
                      uv_neck: np.ndarray,
                      zrel_neck: np.ndarray,
                      K: np.ndarray,
                      omega,
                      *,
                      eps_a: float = GEO_EPS_A,
                      eps_disc: float = GEO_EPS_DISC,
                      min_depth: float = GEO_MIN_DEPTH,
                      return_valid: bool = False):
    """Numpy twin (float64) of :func:`geometry_depth` (Eq. 7-8), same
    fallbacks.

    With ``return_valid=True`` returns ``(Z, valid)``: ``valid`` is False
    where a fallback was taken, i.e. Eq. 7-8 has no solution: the neck
    projects onto the root (``a <= eps_a``), no real root (discriminant
    test), a solution not deeper than ``min_depth``, or non-finite values.
    """
    x_r = pixel_rays_np(uv_root, K)
    x_m = pixel_rays_np(uv_neck, K)
    zrel = np.asarray(zrel_neck, dtype=np.float64)
    omega = np.asarray(omega, dtype=np.float64)
    a, b, c = _geometry_depth_coeffs(x_r, x_m, zrel, omega)
    a_safe = np.maximum(a, eps_a)
    disc = b * b - 4 * a_safe * c
    disc_ok = disc > eps_disc * (b * b + 4 * np.abs(a_safe * c))
    sqrt_disc = np.sqrt(np.where(disc_ok, disc, 0.))
    use_stable = disc_ok & (b > 0)
    den_stable = np.where(use_stable, -b - sqrt_disc, -1.)
    z = np.where(use_stable, 2 * c / den_stable,
                 (-b + sqrt_disc) / (2 * a_safe))
    if return_valid:
        valid = (a > eps_a) & disc_ok & np.isfinite(z) & (z > min_depth)
        return np.maximum(z, min_depth), valid
    return np.maximum(z, min_depth)


def laplace_nll(pred: Tensor, target: Tensor, log_sigma: Tensor) -> Tensor:
    """Eq. 6 / Eq. 9: Laplace negative log-likelihood (up to constants).

    ``|pred - target| / sigma + log sigma`` with ``sigma = exp(log_sigma)``
    (log parametrisation, so sigma stays positive). Elementwise, no reduction.
    """
    return (pred - target).abs() * torch.exp(-log_sigma) + log_sigma


def laplace_nll_np(pred, target, log_sigma) -> np.ndarray:
    """Numpy twin of :func:`laplace_nll`."""
    return np.abs(np.asarray(pred) - target) * np.exp(-np.asarray(
        log_sigma)) + log_sigma


def fuse_depths(z_reg: Tensor,
                sigma_reg: Tensor,
                z_geo: Tensor,
                sigma_geo: Tensor,
                eps: float = FUSE_EPS) -> Tensor:
    """Eq. 12: inverse-uncertainty weighted mean of the two root depths.

    ``Z = (Z_reg / s1 + Z_geo / s2) / (1 / s1 + 1 / s2)``, computed as
    ``(Z_reg * s2 + Z_geo * s1) / (s1 + s2)`` (same value, no division by a
    tiny sigma). Sigmas are (positive) scales, not logs; their sum is clamped
    at ``eps``.
    """
    return (z_reg * sigma_geo + z_geo * sigma_reg) / (sigma_reg +
                                                      sigma_geo).clamp(min=eps)


def fuse_depths_np(z_reg, sigma_reg, z_geo, sigma_geo,
                   eps: float = FUSE_EPS) -> np.ndarray:
    """Numpy twin of :func:`fuse_depths` (Eq. 12)."""
    z_reg, sigma_reg, z_geo, sigma_geo = (np.asarray(v, dtype=np.float64)
                                          for v in (z_reg, sigma_reg, z_geo,
                                                    sigma_geo))
    return (z_reg * sigma_geo + z_geo * sigma_reg) / np.maximum(
        sigma_reg + sigma_geo, eps)
