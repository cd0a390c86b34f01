# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""The MAR decode as it was before issue 12 (numpy, every map copied to the host, greedy
grouping by PAF line integral), kept only as the baseline that
``tools/analysis_tools/benchmark.py`` times against the current decode in the same run
("today's numpy decode" of issue 12). Not used by the package.
"""
import numpy as np
import torch

from mmmar.codecs.grouping import structured_pose
from mmmar.codecs.paf import greedy_match, paf_line_scores
from mmmar.codecs.reference_decode import heatmap_peaks_nms, refine_peaks
from mmmar.geometry import focal_of


def _to_numpy(x):
    if x is None:
        return None
    if isinstance(x, torch.Tensor):
        return x.detach().float().cpu().numpy()
    return np.asarray(x)


def legacy_decode(self, heatmaps, pafs, offsets, root_depth=None, K=None,
                  log_sigma_reg=None, log_sigma_geo=None, torso_length=None):
    """``MARCodec.decode`` before issue 12 (``self`` is the codec)."""
    heatmaps = _to_numpy(heatmaps).astype(np.float32, copy=False)
    pafs = _to_numpy(pafs).astype(np.float32, copy=False)
    offsets = _to_numpy(offsets).astype(np.float32, copy=False)
    K_, h, w = heatmaps.shape
    r = self.root_index

    # heatmap peaks (max-pool NMS) of every joint, sorted by joint
    peaks = heatmap_peaks_nms(heatmaps, self.decode_nms_kernel)
    peaks &= heatmaps >= min(self.decode_candidate_thr,
                             self.decode_root_thr)
    cj, cy, cx = np.nonzero(peaks)
    cval = heatmaps[cj, cy, cx]

    # people = root peaks
    is_root = (cj == r) & (cval >= self.decode_root_thr)
    ry, rx, rs = cy[is_root], cx[is_root], cval[is_root]
    order = np.argsort(-rs, kind='stable')[:self.decode_max_instances]
    ry, rx, rs = ry[order], rx[order], rs[order]
    N = len(ry)

    # offsets read at the root pixel (Eq. 2)
    off = offsets.reshape(3, K_, h, w)[:, :, ry, rx]  # (3, K, N)
    off_xy = np.stack([rx[:, None] + off[0].T * self.offset_norm,
                       ry[:, None] + off[1].T * self.offset_norm], -1)
    zrel = off[2].T * self.depth_norm  # (N, K)
    zrel[:, r] = 0.

    # refined joint candidates; joint j's are [bounds[j], bounds[j + 1])
    keep = cval >= self.decode_candidate_thr
    cj, cval = cj[keep], cval[keep]
    fx, fy = refine_peaks(heatmaps, cj, cx[keep], cy[keep])
    cand_xy = np.stack([fx, fy], -1)
    bounds = np.searchsorted(cj, np.arange(K_ + 1))

    pos = np.zeros((N, K_, 2))
    hm_xy = np.zeros((N, K_, 2))
    hm_score = np.zeros((N, K_))
    rfx, rfy = refine_peaks(heatmaps, np.full_like(rx, r), rx, ry)
    pos[:, r] = hm_xy[:, r] = np.stack([rfx, rfy], -1)
    hm_score[:, r] = rs
    from_hm = np.zeros((N, K_), dtype=bool)
    from_hm[:, r] = True
    if N > 0:
        # PAF assembly along the tree, parents first: one step per limb
        for l, (p, c) in enumerate(self._limbs):  # noqa: E741
            cand = cand_xy[bounds[c]:bounds[c + 1]]
            start = pos[:, p]
            if len(cand):
                gate = np.maximum(
                    self.decode_gate_px, self.decode_gate_ratio *
                    np.linalg.norm(off_xy[:, c] - start, axis=-1))
                dist = np.linalg.norm(
                    cand[None] - off_xy[:, c][:, None], axis=-1)
                score = paf_line_scores(
                    pafs[2 * l:2 * l + 2],
                    start,
                    cand,
                    self.decode_paf_samples,
                    pair_mask=dist <= gate[:, None])
                match = greedy_match(score,
                                     score >= self.decode_paf_thr)
                got = match >= 0
                hm_xy[got, c] = cand[match[got]]
                hm_score[got, c] = cval[bounds[c] + match[got]]
            pos[:, c], from_hm[:, c] = structured_pose(
                off_xy[:, c], hm_xy[:, c], hm_score[:, c],
                self.decode_keypoint_thr)

    # scores: matched peak value, else the heatmap at the offset location
    ix = np.clip(np.rint(pos[..., 0]), 0, w - 1).astype(np.intp)
    iy = np.clip(np.rint(pos[..., 1]), 0, h - 1).astype(np.intp)
    kscore = np.where(from_hm, hm_score,
                      heatmaps[np.arange(K_)[None], iy, ix])
    results = dict(
        keypoints=(pos * self.scale_factor).astype(np.float32),
        keypoint_scores=kscore.astype(np.float32),
        keypoints_rel_depth=zrel.astype(np.float32),
        from_heatmap=from_hm,
        roots=(pos[:, r] * self.scale_factor).astype(np.float32),
        # the root-offset pose, as the current decode returns it for the geometry depth
        # (MARDepthFusion(geo_torso='offsets'), the configs' default since issue 11)
        keypoints_offset=(off_xy * self.scale_factor).astype(np.float32),
        root_scores=rs.astype(np.float32),
        scores=kscore.mean(1).astype(np.float32)
        if N else np.zeros(0, np.float32))

    def read(m):
        m = _to_numpy(m)
        return m.reshape(h, w)[ry, rx].astype(np.float32)

    results['root_depth_norm'] = read(root_depth) if root_depth \
        is not None else np.zeros(N, np.float32)
    if K is not None:
        results['root_depth'] = (results['root_depth_norm'] *
                                 focal_of(_to_numpy(K).astype(
                                     np.float64))).astype(np.float32)
    for name, m in (('log_sigma_reg', log_sigma_reg),
                    ('log_sigma_geo', log_sigma_geo), ('torso_length',
                                                       torso_length)):
        if m is not None:
            results[name] = read(m)
    return results


def legacy_decode_maps(codec, outputs, K, index=0):
    """:func:`legacy_decode` of image ``index`` of a network output dict (B, C, h, w): every
    map copied to the host as numpy first, as before issue 12 (no depth fusion)."""
    maps = {k: v[index].detach().float().cpu().numpy()
            for k, v in outputs.items() if isinstance(v, torch.Tensor)}
    return legacy_decode(codec, maps['heatmaps'], maps['pafs'], maps['offsets'],
                         maps.get('root_depth'), K, maps.get('log_sigma_reg'),
                         maps.get('log_sigma_geo'), maps.get('torso_length'))


def legacy_predict(head, outputs, batch_data_samples):
    """``MARHead.predict_from_outputs`` before issue 12: every map of every image copied to
    the host as numpy, :func:`legacy_decode` per image, then the depth fusion."""
    from mmmar.models.utils import get_intrinsics
    results = []
    for i, data_sample in enumerate(batch_data_samples):
        K = get_intrinsics(data_sample)
        decoded = legacy_decode_maps(head.decoder, outputs, K, i)
        for k in ('log_sigma_reg', 'log_sigma_geo'):
            # clipping the read values = clipping the maps
            decoded[k] = np.clip(decoded[k], *head.log_sigma_range)
        results.append(head.fusion(decoded, K))
    return results
