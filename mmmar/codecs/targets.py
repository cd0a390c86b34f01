"""Rendering of the per-pixel targets of :class:`MARCodec` (heatmap px).

The heatmap Gaussians (:func:`gaussian_heatmaps`), the ignore mask at heatmap resolution
(:func:`heatmap_mask`) and the fields written around each person's root (Eq. 2,
:func:`root_targets`). The PAFs are drawn by :func:`mmmar.codecs.paf.draw_pafs`, the weights of
unknown joints by :func:`mmmar.codecs.weights.missing_joint_weights`. All vectorised over
people and window pixels.
"""
from typing import Dict, Optional, Tuple

import numpy as np

from mmmar.geometry import focal_of

#: The fields of :func:`root_targets`.
ROOT_TARGETS = ('offsets', 'offset_weights', 'root_depth', 'root_depth_weights',
                'torso_length', 'torso_length_weights')


def heatmap_mask(ignore_mask: Optional[np.ndarray], heatmap_size: Tuple[int, int],
                 scale_factor: np.ndarray) -> np.ndarray:
    """The (h, w) float32 loss mask: 0 at the heatmap pixels whose nearest input pixel is
    ignored.

    Args:
        ignore_mask (np.ndarray, optional): (H, W) at input resolution, True where ignored.
        heatmap_size (tuple): ``(w, h)``.
        scale_factor (np.ndarray): ``(sx, sy)`` input px per heatmap px.
    """
    w, h = heatmap_size
    mask = np.ones((h, w), dtype=np.float32)
    if ignore_mask is not None:
        ignore_mask = np.asarray(ignore_mask).astype(bool)
        H, W = ignore_mask.shape[:2]
        iy = np.clip(np.rint(np.arange(h) * scale_factor[1]), 0, H - 1).astype(np.intp)
        ix = np.clip(np.rint(np.arange(w) * scale_factor[0]), 0, W - 1).astype(np.intp)
        mask[ignore_mask[iy[:, None], ix[None, :]]] = 0.
    return mask


def gaussian_heatmaps(xy: np.ndarray, vis: np.ndarray, heatmap_size: Tuple[int, int],
                      sigma: float, truncate: float) -> np.ndarray:
    """Gaussians of all visible joints, max over people, truncated at ``truncate`` sigmas (as
    mmpose). Sparse: one window per visible joint.

    Args:
        xy (np.ndarray): (N, K, 2) joints, heatmap px.
        vis (np.ndarray): (N, K), > 0 where visible.
        heatmap_size (tuple): ``(w, h)``.
        sigma (float): Gaussian sigma, heatmap px.
        truncate (float): Window half size in sigmas.

    Returns:
        np.ndarray: (K, h, w) float32.
    """
    w, h = heatmap_size
    K_ = vis.shape[1]
    heatmaps = np.zeros(K_ * h * w, dtype=np.float32)
    n, k = np.nonzero(vis > 0)
    if n.size == 0:
        return heatmaps.reshape(K_, h, w)
    r = int(np.ceil(truncate * sigma))
    win = np.arange(-r, r + 1)
    c = np.rint(xy[n, k]).astype(np.intp)  # (P, 2)
    px = c[:, None, 0] + win[None]  # (P, 2r+1)
    py = c[:, None, 1] + win[None]
    gx = np.exp(-(px - xy[n, k, 0:1])**2 / (2 * sigma**2))
    gy = np.exp(-(py - xy[n, k, 1:2])**2 / (2 * sigma**2))
    g = (gy[:, :, None] * gx[:, None, :]).astype(np.float32)
    ok = ((px >= 0) & (px < w))[:, None, :] & ((py >= 0) & (py < h))[:, :, None]
    idx = (k[:, None, None] * h + py[:, :, None]) * w + px[:, None, :]
    np.maximum.at(heatmaps, idx[ok], g[ok])
    return heatmaps.reshape(K_, h, w)


def root_priority(xy: np.ndarray, valid: np.ndarray, kpts_cam: np.ndarray,
                  has_depth: np.ndarray, root_index: int) -> np.ndarray:
    """(N,) drawing priority of the root neighbourhoods, larger = drawn on top: the nearer
    person (smaller ``Z_root``) when every person has depth, else the larger 2D extent."""
    if (has_depth > 0).all():
        return -kpts_cam[:, root_index, 2]
    vxy = np.where(valid[..., None] > 0, xy, np.nan)
    ext = np.nanmax(vxy, 1) - np.nanmin(vxy, 1)
    return np.nan_to_num(ext.prod(-1), nan=0.)


def root_pixels(root: np.ndarray, has_root: np.ndarray, priority: np.ndarray,
                heatmap_size: Tuple[int, int],
                radius: float) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The heatmap pixels within ``radius`` of the people's roots, each given to the person of
    the highest ``priority`` among those that reach it.

    Args:
        root (np.ndarray): (N, 2) roots, heatmap px.
        has_root (np.ndarray): (N,) bool, the root is known.
        priority (np.ndarray): (N,) see :func:`root_priority`.
        heatmap_size (tuple): ``(w, h)``.
        radius (float): Disc radius, heatmap px.

    Returns:
        tuple: ``px``, ``py``, ``n`` (P,): the pixels and their person.
    """
    w, h = heatmap_size
    rad = int(np.ceil(radius))
    win = np.arange(-rad, rad + 1)
    wx, wy = np.meshgrid(win, win)
    disc = wx**2 + wy**2 <= radius**2
    wx, wy = wx[disc], wy[disc]
    people = np.flatnonzero(has_root)
    c = np.rint(root[people]).astype(np.intp)
    px = (c[:, 0:1] + wx[None]).ravel()
    py = (c[:, 1:2] + wy[None]).ravel()
    n = np.repeat(people, wx.size)
    ok = (px >= 0) & (px < w) & (py >= 0) & (py < h)
    px, py, n = px[ok], py[ok], n[ok]
    if n.size == 0:
        return px, py, n
    pix = py * w + px
    order = np.lexsort((priority[n], pix))
    last = np.r_[pix[order][1:] != pix[order][:-1], True]
    win_idx = order[last]
    return px[win_idx], py[win_idx], n[win_idx]


def root_target_channels(num_keypoints: int) -> Dict[str, int]:
    """Channels of each field of :data:`ROOT_TARGETS`, in the column order of the packed
    ``root_targets`` (``offsets`` and ``offset_weights``: 3K, the others 1)."""
    return {k: 3 * num_keypoints if k.startswith('offset') else 1 for k in ROOT_TARGETS}


def scatter_root_targets(pixels, values, num_keypoints: int,
                         heatmap_size: Tuple[int, int]) -> dict:
    """The dense :data:`ROOT_TARGETS` maps of the packed root targets (numpy or torch, on
    the arrays' device): ``values`` (P, 6K + 4) written at the flat pixels ``pixels`` (P,),
    zero elsewhere.

    Returns:
        dict: name -> (C, h, w) of ``values``' type and dtype.
    """
    w, h = heatmap_size
    out, start = {}, 0
    for name, c in root_target_channels(num_keypoints).items():
        if isinstance(values, np.ndarray):
            dense = np.zeros((c, h * w), values.dtype)
        else:
            dense = values.new_zeros((c, h * w))
        dense[:, pixels] = values[:, start:start + c].T
        out[name] = dense.reshape(c, h, w)
        start += c
    return out


def root_targets(xy: np.ndarray, valid: np.ndarray, kpts_cam: np.ndarray,
                 has_depth: np.ndarray, K: Optional[np.ndarray], codec) -> Dict[str, np.ndarray]:
    """Offsets (Eq. 2), root depth and torso length written within ``codec.root_radius`` of
    each root; the nearer person wins overlapping pixels (:func:`root_priority`).

    Args:
        xy (np.ndarray): (N, K, 2) joints, heatmap px.
        valid (np.ndarray): (N, K) checked ``keypoints_valid``.
        kpts_cam (np.ndarray): (N, K, 3) camera space, mm (0 where unused).
        has_depth (np.ndarray): (N,).
        K (np.ndarray, optional): (3, 3) input intrinsics; without it ``root_depth`` stays 0.
        codec: The :class:`MARCodec` (``heatmap_size``, ``root_radius``, ``offset_norm``,
            ``depth_norm``, root and neck).

    Returns:
        dict: the packed form, ``root_pixels`` (P,) int64 flat heatmap pixels and
        ``root_targets`` (P, 6K + 4) float32, their values (columns: the fields of
        :data:`ROOT_TARGETS`, :func:`root_target_channels`); and the same as dense float32
        maps (:func:`scatter_root_targets`), (3K, h, w) for the offsets and their weights,
        (1, h, w) for the others (see :class:`MARCodec`).
    """
    w, h = codec.heatmap_size
    N, K_ = valid.shape
    r, m = codec.root_index, codec.neck_index
    has_root = valid[:, r] > 0
    px = py = n = np.zeros(0, np.intp)
    if has_root.any():
        priority = root_priority(xy, valid, kpts_cam, has_depth, r)
        px, py, n = root_pixels(xy[:, r], has_root, priority, codec.heatmap_size,
                                codec.root_radius)
    dxy = (xy[n] - np.stack([px, py], -1)[:, None]) / codec.offset_norm
    zrel = (kpts_cam[n, :, 2] - kpts_cam[n, r:r + 1, 2]) / codec.depth_norm
    vn, hd = valid[n], has_depth[n]
    root_depth = kpts_cam[n, r, 2] / focal_of(K) if K is not None else np.zeros(len(n))
    torso = np.linalg.norm(kpts_cam[n, m] - kpts_cam[n, r], axis=-1)
    torso_ok = hd * vn[:, r] * vn[:, m]
    values = np.concatenate([
        dxy[..., 0], dxy[..., 1], zrel,  # offsets
        vn, vn, vn * hd[:, None],  # offset_weights
        np.stack([root_depth, hd, torso * torso_ok, torso_ok], -1)
    ], axis=1).astype(np.float32).reshape(len(n), 6 * K_ + 4)
    pixels = (py * w + px).astype(np.int64)
    return dict(scatter_root_targets(pixels, values, K_, codec.heatmap_size),
                root_pixels=pixels, root_targets=values)
