# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""Batched throughput and half-precision comparison of MAR (issue 12), used by
``tools/analysis_tools/benchmark.py`` (``--batch-sizes``, ``--fp16``).

* **Throughput**: images/s of forward (data preprocessor + network, under autocast for
  fp16) + decode (``MARHead.predict_from_outputs`` + ``add_pred_to_datasample``) of a
  batch of B images; the batch cycles through the benchmark's crowd images and decodes
  their perfect maps (see ``benchmark.py``), so that the decode has the images' people.
* **fp16 vs fp32**: the same images through the network in fp32 and in half precision
  (float16 on CUDA, bfloat16 on CPU), both outputs decoded (float32 decode); people are
  matched by their 2D root (nearest, within ``match_px``), and the largest keypoint
  difference (px, original image) and root-depth difference (mm) over matched people are
  reported with the counts. Meaningful with trained weights (``--checkpoint``).
"""
import copy

import numpy as np
import torch
from timing import autocast


def _batch(method, preps, size):
    from mmpose.structures import PoseDataSample
    sel = [preps[i % len(preps)] for i in range(size)]
    data = dict(inputs=[p['data']['inputs'][0] for p in sel],
                data_samples=[PoseDataSample(metainfo=copy.deepcopy(p['sample'].metainfo))
                              for p in sel])
    perfect = {k: torch.cat([p['perfect'][k] for p in sel]) for k in sel[0]['perfect']}
    return data, perfect


@torch.no_grad()
def _forward(method, data, precision):
    batch = method.model.data_preprocessor(copy.copy(data), False)
    with autocast(method.device, precision):
        feats = method.model.extract_feat(batch['inputs'])
        out = method.model.head.forward_test(feats, method.test_cfg)
    return {k: v.float() for k, v in out.items() if isinstance(v, torch.Tensor)}, batch


@torch.no_grad()
def _decode(method, outputs, samples):
    preds = method.model.head.predict_from_outputs(outputs, samples, method.test_cfg)
    return method.model.add_pred_to_datasample(preds, None, samples)


def throughput(method, preps, batch_sizes, runs, clock, log):
    """Rows ``dict(batch, images_per_s, forward_ms, decode_ms)`` (medians over ``runs``
    after one warm-up batch) for ``method.precision``."""
    rows = []
    for bs in batch_sizes:
        data, perfect = _batch(method, preps, bs)
        fwd, dec = [], []
        for r in range(runs + 1):
            _, t_f = clock(_forward, method, data, method.precision)
            samples = [copy.deepcopy(s) for s in data['data_samples']]
            _, t_d = clock(_decode, method, perfect, samples)
            if r:  # the first run warms up
                fwd.append(t_f)
                dec.append(t_d)
        f, d = float(np.median(fwd)), float(np.median(dec))
        rows.append(dict(batch=bs, images_per_s=bs / (f + d), forward_ms=1e3 * f,
                         decode_ms=1e3 * d, runs=runs))
        log(f'  throughput: batch {bs} done ({bs / (f + d):.2f} images/s)')
    return rows


def compare_precisions(method, preps, match_px=8.):
    """fp32 against half precision on each image; see the module docstring."""
    from mmmar.structures.skeleton import ROOT
    rows = []
    for prep in preps:
        data, _ = _batch(method, [prep], 1)
        res = {}
        for prec in ('fp32', 'fp16'):
            out, _ = _forward(method, data, prec)
            samples = [copy.deepcopy(s) for s in data['data_samples']]
            res[prec] = _decode(method, out, samples)[0].pred_instances
        a, b = res['fp32'], res['fp16']
        ka, kb = np.asarray(a.keypoints), np.asarray(b.keypoints)
        kp_diff, matched, kp_all, z_all = 0., 0, [], []
        if len(ka) and len(kb):
            d = np.linalg.norm(ka[:, None, ROOT] - kb[None, :, ROOT], axis=-1)
            for i in np.argsort(d.min(1)):
                j = int(d[i].argmin())
                if d[i, j] <= match_px and np.isfinite(d[i, j]):
                    matched += 1
                    kp_diff = max(kp_diff, float(np.abs(ka[i] - kb[j]).max()))
                    kp_all.append(np.linalg.norm(ka[i] - kb[j], axis=-1))
                    z_all.append(float(abs(a.root_depth[i] - b.root_depth[j])))
                    d[:, j] = np.inf
        rows.append(dict(people=prep['sample'].metainfo['img_path'], fp32=len(ka),
                         fp16=len(kb), matched=matched,
                         max_keypoint_diff_px=kp_diff,
                         max_root_depth_diff_mm=max(z_all, default=0.),
                         median_root_depth_diff_mm=float(np.median(z_all)) if z_all else 0.,
                         median_keypoint_diff_px=float(np.median(np.concatenate(kp_all)))
                         if kp_all else 0.))
    return rows


def print_throughput(results):
    for prec, rows in results.get('throughput', {}).items():
        print(f'**MAR throughput, {prec}** (forward + decode of a batch; medians of '
              f'{rows[0]["runs"]} runs after a warm-up batch)\n')
        print('| batch | images/s | forward (ms / batch) | decode (ms / batch) |')
        print('|---|---|---|---|')
        for r in rows:
            print(f'| {r["batch"]} | {r["images_per_s"]:.2f} | {r["forward_ms"]:.1f} | '
                  f'{r["decode_ms"]:.1f} |')
        print()
    rows = results.get('fp16_vs_fp32')
    if rows:
        half = 'float16' if str(results['device']).startswith('cuda') else 'bfloat16'
        print(f'**fp32 vs half precision ({half} autocast)**, weights: '
              f'{results.get("checkpoint") or "random"}\n')
        print('| image | found fp32 | found half | matched | max keypoint diff (px) '
              '| median keypoint diff (px) | max root depth diff (mm) '
              '| median root depth diff (mm) |')
        print('|---|---|---|---|---|---|---|---|')
        for r in rows:
            print(f'| {r["people"]} | {r["fp32"]} | {r["fp16"]} | {r["matched"]} | '
                  f'{r["max_keypoint_diff_px"]:.2f} | {r["median_keypoint_diff_px"]:.2f} | '
                  f'{r["max_root_depth_diff_mm"]:.1f} | '
                  f'{r.get("median_root_depth_diff_mm", float("nan")):.1f} |')
        print()
