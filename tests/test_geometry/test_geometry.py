"""Tests of mmmar.geometry (Eq. 1, 6/9, 7-8, 12 and intrinsics helpers)
against independent truth: real 3D poses and their cameras."""
import math

import numpy as np
import pytest
import torch

from mmmar.geometry import (affine_to_3x3, back_project, back_project_np, flip_camera, focal_of,
                            fuse_depths, fuse_depths_np, geometry_depth, geometry_depth_np,
                            intrinsics_matrix, laplace_nll, laplace_nll_np, project, project_np,
                            transform_intrinsics)
from mmmar.structures import skeleton
from mmmar.testing import h36m_samples, mpi3dhp_samples, panoptic_samples, rotated_skewed_K

torch.set_num_threads(1)
R, M = skeleton.ROOT, skeleton.NECK


def _project(P, K):
    """Independent pinhole projection (no library code)."""
    p = np.einsum('ij,...j->...i', K, P)
    return p[..., :2] / p[..., 2:]


def _dataset(name):
    if name == 'h36m':
        return h36m_samples()
    if name == 'mpi_inf_3dhp':
        return mpi3dhp_samples()
    return panoptic_samples(num_cameras=2)


@pytest.mark.parametrize('dataset', ['h36m', 'mpi_inf_3dhp', 'panoptic'])
@pytest.mark.parametrize('skewed', [False, True])
def test_geometry_depth_recovers_true_root_depth(dataset, skewed):
    samples = _dataset(dataset)
    assert samples
    for s in samples:
        P, K = s['joints'], s['K']
        ok = s['valid'][:, R] & s['valid'][:, M]
        P = P[ok]
        if skewed:
            K = rotated_skewed_K(K)
        uv = _project(P, K)
        zrel = P[:, M, 2] - P[:, R, 2]
        omega = np.linalg.norm(P[:, M] - P[:, R], axis=-1)
        z_true = P[:, R, 2]
        z_np = geometry_depth_np(uv[:, R], uv[:, M], zrel, K, omega)
        np.testing.assert_allclose(z_np, z_true, rtol=1e-6, err_msg=s['name'])
        z_t = geometry_depth(
            torch.from_numpy(uv[:, R]), torch.from_numpy(uv[:, M]),
            torch.from_numpy(zrel), torch.from_numpy(K),
            torch.from_numpy(omega))
        np.testing.assert_allclose(z_t.numpy(), z_true, rtol=1e-6)
        # float32 torch (the training dtype) is still accurate
        z_f = geometry_depth(
            torch.from_numpy(uv[:, R]).float(),
            torch.from_numpy(uv[:, M]).float(),
            torch.from_numpy(zrel).float(),
            torch.from_numpy(K).float(),
            torch.from_numpy(omega).float())
        np.testing.assert_allclose(z_f.numpy(), z_true, rtol=1e-4)


def test_geometry_depth_matches_notes_form_without_skew():
    """docs/paper_notes.md's fx/fy form equals the general K^-1 form for unskewed K."""
    s = h36m_samples()[0]
    P, K = s['joints'][0], s['K']
    fx, fy, cx, cy = K[0, 0], K[1, 1], K[0, 2], K[1, 2]
    (ur, vr), (um, vm) = _project(P[[R, M]], K)
    zr = P[M, 2] - P[R, 2]
    om = np.linalg.norm(P[M] - P[R])
    du, dv = um - ur, vm - vr
    a = (du / fx)**2 + (dv / fy)**2
    b = 2 * zr * ((du / fx) * (um - cx) / fx + (dv / fy) * (vm - cy) / fy)
    c = zr**2 * (((um - cx) / fx)**2 + ((vm - cy) / fy)**2 + 1) - om**2
    z_notes = (-b + math.sqrt(b * b - 4 * a * c)) / (2 * a)
    z = geometry_depth_np(np.array([ur, vr]), np.array([um, vm]), zr, K, om)
    assert z == pytest.approx(z_notes, rel=1e-9)
    assert z == pytest.approx(P[R, 2], rel=1e-6)


@pytest.mark.parametrize('skewed', [False, True])
def test_back_project_and_project_real(skewed):
    for s in h36m_samples() + panoptic_samples(num_cameras=1):
        P, K = s['joints'], s['K']
        if skewed:
            K = rotated_skewed_K(K)
        uv = _project(P, K)
        np.testing.assert_allclose(back_project_np(uv, P[..., 2], K), P,
                                   rtol=1e-9, atol=1e-6)
        np.testing.assert_allclose(project_np(P, K), uv, atol=1e-6)
        Pt = back_project(
            torch.from_numpy(uv), torch.from_numpy(P[..., 2]),
            torch.from_numpy(K))
        np.testing.assert_allclose(Pt.numpy(), P, atol=1e-6)
        np.testing.assert_allclose(
            project(torch.from_numpy(P), torch.from_numpy(K)).numpy(),
            uv,
            atol=1e-6)


def _skewed_K_t():
    K = rotated_skewed_K(intrinsics_matrix(1150., 1140., 510., 495.))
    return torch.from_numpy(K)


def test_gradcheck_geometry_depth_and_back_project():
    gen = torch.Generator().manual_seed(0)
    K = _skewed_K_t().requires_grad_(True)
    uv_r = (torch.tensor([[480., 520.], [300., 610.]], dtype=torch.float64) +
            torch.rand(2, 2, generator=gen, dtype=torch.float64))
    uv_m = uv_r + torch.tensor([[10., -140.], [-30., -95.]],
                               dtype=torch.float64)
    zrel = torch.tensor([-60., 35.], dtype=torch.float64)
    omega = torch.tensor([480., 510.], dtype=torch.float64)
    inputs = tuple(t.clone().requires_grad_(True)
                   for t in (uv_r, uv_m, zrel)) + (K, omega.requires_grad_())
    assert torch.autograd.gradcheck(geometry_depth, inputs)
    depth = torch.tensor([4000., 5200.], dtype=torch.float64,
                         requires_grad=True)
    assert torch.autograd.gradcheck(
        back_project, (uv_r.clone().requires_grad_(True), depth, K))
    assert torch.autograd.gradcheck(
        project, (torch.tensor([[100., -300., 4000.]], dtype=torch.float64,
                               requires_grad=True), K))


@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
def test_geometry_depth_degenerate_cases_finite(dtype):
    K = _skewed_K_t().to(dtype)
    uv_r = torch.tensor([[500., 500.]] * 6, dtype=dtype)
    uv_m = torch.tensor(
        [
            [500., 500.],  # a = 0, neck projects onto the root
            [500., 500.],  # a = 0 and zrel = 0: b = 0 too
            [500., 380.],  # disc < 0, vertex -b/2a < 0 (clamped)
            [500., 380.],  # disc < 0, vertex -b/2a > 0 (used)
            [500., 380.],  # disc > 0 but both roots <= 0 (clamped)
            [500., 500. + 1e-4],  # a ~ 1e-14 (below the clamp)
        ],
        dtype=dtype)
    zrel = torch.tensor([-200., 0., 3000., -3000., 400., 50.], dtype=dtype)
    omega = torch.tensor([500., 500., 10., 10., 401., 500.], dtype=dtype)
    leaves = [
        t.clone().requires_grad_(True) for t in (uv_r, uv_m, zrel, omega)
    ]
    Kl = K.clone().requires_grad_(True)
    z = geometry_depth(leaves[0], leaves[1], leaves[2], Kl, leaves[3])
    assert torch.isfinite(z).all(), z
    assert (z > 0).all()
    z.sum().backward()
    for t in leaves + [Kl]:
        assert torch.isfinite(t.grad).all(), t.grad
    # the numpy twin takes the same fallbacks
    z_np = geometry_depth_np(uv_r.double().numpy(), uv_m.double().numpy(),
                             zrel.double().numpy(), K.double().numpy(),
                             omega.double().numpy())
    assert np.isfinite(z_np).all()
    if dtype == torch.float64:
        np.testing.assert_allclose(z.detach().numpy(), z_np, rtol=1e-9)


def test_geometry_depth_fallback_values():
    """disc < 0 falls back to the vertex -b / 2a; Z <= 0 to min_depth."""
    K = intrinsics_matrix(1000., 1000., 500., 500.)
    uv_r, uv_m = np.array([500., 500.]), np.array([500., 400.])
    zrel = -3000.
    x_r = np.linalg.solve(K, [*uv_r, 1.])
    x_m = np.linalg.solve(K, [*uv_m, 1.])
    a = np.sum((x_m - x_r)**2)
    b = 2 * zrel * np.dot(x_m - x_r, x_m)
    c = zrel**2 * np.dot(x_m, x_m) - 10.**2
    assert b * b - 4 * a * c < 0 and -b / (2 * a) > 0
    z = geometry_depth_np(uv_r, uv_m, zrel, K, 10.)
    assert z == pytest.approx(-b / (2 * a), rel=1e-9)
    # both roots negative (real): clamped to min_depth
    zrel, omega = 400., 401.
    b = 2 * zrel * np.dot(x_m - x_r, x_m)
    c = zrel**2 * np.dot(x_m, x_m) - omega**2
    disc = b * b - 4 * a * c
    assert disc > 0 and (-b + math.sqrt(disc)) / (2 * a) < 0
    assert geometry_depth_np(uv_r, uv_m, zrel, K, omega, min_depth=7.) == 7.
    assert geometry_depth_np(uv_r, uv_m, zrel, K, omega) == 1.
    zt = geometry_depth(*(torch.tensor(v) for v in (uv_r, uv_m, zrel, K, omega)))
    assert zt.item() == 1.


def test_laplace_nll_and_fuse_depths():
    pred = torch.tensor([3., 1., -2.])
    target = torch.tensor([1., 1., 2.])
    log_sigma = torch.log(torch.tensor([2., 0.5, 4.]))
    expect = torch.tensor(
        [2 / 2 + math.log(2), 0 + math.log(0.5), 4 / 4 + math.log(4)])
    torch.testing.assert_close(laplace_nll(pred, target, log_sigma), expect)
    np.testing.assert_allclose(
        laplace_nll_np(pred.numpy(), target.numpy(), log_sigma.numpy()),
        expect.numpy(),
        rtol=1e-6)
    # Eq. 12 as printed: (z1/s1 + z2/s2) / (1/s1 + 1/s2)
    z1, s1 = np.array([4000., 3000., 5000.]), np.array([100., 50., 1.])
    z2, s2 = np.array([4200., 3500., 9000.]), np.array([100., 150., 1e6])
    eq12 = (z1 / s1 + z2 / s2) / (1 / s1 + 1 / s2)
    np.testing.assert_allclose(fuse_depths_np(z1, s1, z2, s2), eq12, rtol=1e-9)
    np.testing.assert_allclose(
        fuse_depths(*(torch.from_numpy(v) for v in (z1, s1, z2, s2))).numpy(),
        eq12,
        rtol=1e-9)
    # both sigmas 0: the clamp keeps the result finite
    assert np.isfinite(fuse_depths_np(4000., 0., 5000., 0.))


def test_intrinsics_helpers():
    K = intrinsics_matrix(1145., 1144., 512., 515.)
    assert K.shape == (3, 3) and K[0, 1] == 0 and K[2, 2] == 1
    Kt = intrinsics_matrix(torch.tensor([1145., 1000.]), 1144., 512., 515.)
    assert Kt.shape == (2, 3, 3) and torch.is_tensor(Kt)
    np.testing.assert_allclose(Kt[0].numpy(), K)
    assert focal_of(K) == pytest.approx(math.sqrt(1145. * 1144.))
    # an image affine (rotation + scale + shift) maps projections like pixels
    th, sc = np.deg2rad(30.), 0.5
    A = np.array([[sc * np.cos(th), -sc * np.sin(th), 20.],
                  [sc * np.sin(th), sc * np.cos(th), -30.]])
    K2 = transform_intrinsics(K, A)
    assert K2[0, 1] != 0  # skewed / off-diagonal after rotation
    P = h36m_samples()[0]['joints'][0]
    uv = _project(P, K)
    np.testing.assert_allclose(
        _project(P, K2), uv @ A[:, :2].T + A[:, 2], atol=1e-8)
    assert focal_of(K2) == pytest.approx(sc * focal_of(K))
    np.testing.assert_allclose(
        transform_intrinsics(torch.from_numpy(K), torch.from_numpy(A)).numpy(),
        K2)
    assert affine_to_3x3(A).shape == (3, 3)
    with pytest.raises(ValueError):
        affine_to_3x3(np.zeros((3, 2)))
    # horizontal flip mirrors the camera: project(-X) with flipped K
    width = 1000
    Kf = flip_camera(K2, width)
    Pm = P * np.array([-1., 1., 1.])
    np.testing.assert_allclose(
        _project(Pm, Kf)[:, 0], width - 1 - _project(P, K2)[:, 0], atol=1e-8)
    np.testing.assert_allclose(
        _project(Pm, Kf)[:, 1], _project(P, K2)[:, 1], atol=1e-8)
    assert Kf[0, 0] > 0
    np.testing.assert_allclose(
        flip_camera(torch.from_numpy(K2), width).numpy(), Kf)
