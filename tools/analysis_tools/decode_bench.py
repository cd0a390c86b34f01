# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""Issue 12: the MAR decode on the maps' device against the numpy reference and against the
decode before issue 12, on the same perfect maps (bytes moved to the host, times, equality of
the people); used by ``tools/analysis_tools/benchmark.py`` (``MARMethod.compare_decoders``).
"""
import numpy as np
from timing import fmt, summary


def bench_decoders(method, items, runs, clock, log):
    """Issue 12: per crowd size, the decode on the maps' device vs the numpy reference
    (alternating, ``runs`` times each), bytes to the host, equality of the results."""
    preps = [method.prepare(it) for it in items]
    method.compare_decoders(preps[0], clock)  # warm-up
    rows = []
    for it, prep in zip(items, preps):
        t = {'torch': [], 'numpy': [], 'legacy': [], 'torch_codec': [], 'legacy_codec': []}
        for r in range(runs):
            res = method.compare_decoders(prep, clock)
            for k in t:
                t[k].append(res[k])
        a, b = res['torch_pred'], res['numpy_pred']
        same = len(a.keypoints) == len(b.keypoints)
        diff = float(np.abs(np.asarray(a.keypoints_2d) - np.asarray(b.keypoints_2d)).max()) \
            if same and len(a.keypoints) else 0.
        zdiff = float(np.abs(np.asarray(a.root_depth) - np.asarray(b.root_depth)).max()) \
            if same and len(a.keypoints) else 0.
        rows.append(dict(people=it['people'], found=len(a.keypoints), found_numpy=len(
            b.keypoints), same_people=same, max_keypoint_diff_px=diff if same else None,
            max_root_depth_diff_mm=zdiff if same else None, bytes_maps=res['bytes_maps'],
            bytes_moved=res['bytes_moved'], torch=summary(t['torch']),
            numpy=summary(t['numpy']), legacy=summary(t['legacy']),
            torch_codec=summary(t['torch_codec']), legacy_codec=summary(t['legacy_codec']),
            found_legacy=len(res['legacy_pred'].keypoints)))
        log(f'  decoders: {it["people"]} people done')
    return rows


def print_decoders(rows, device):
    print(f'**Decode on the maps\' device (issue 12), {device}**: `predict_from_outputs` + '
          '`add_pred_to_datasample` on the same perfect maps; "before" = the decode before '
          'issue 12 (every map copied to the host, numpy, greedy grouping; '
          '`legacy_decode.py`), "numpy" = the current numpy reference (every map copied to '
          'the host, numpy dense stages), "device" = the dense stages where the maps are '
          '(torch; for CPU maps their numpy twin on the same memory), one copy of the '
          'per-person evidence to the host. "codec only" = the same without the depth fusion '
          'and the `InstanceData` bookkeeping that both share (`MARCodec.decode_batch` vs '
          '`legacy_decode`). ms: median (min-max); "same people" and the differences: device '
          'vs numpy reference.\n')
    print('| people | maps (MB) | moved to host (kB) | before | numpy | device | '
          'device / before | device / numpy | codec only: before | codec only: device | '
          'codec only: device / before | same people | max keypoint diff (px) | '
          'max root depth diff (mm) |')
    print('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        ratio = r['torch']['median'] / r['numpy']['median']
        ratio_old = r['torch']['median'] / r['legacy']['median']
        kd = '-' if r['max_keypoint_diff_px'] is None else f'{r["max_keypoint_diff_px"]:.2e}'
        zd = '-' if r['max_root_depth_diff_mm'] is None else \
            f'{r["max_root_depth_diff_mm"]:.2e}'
        tc, lc = r.get('torch_codec'), r.get('legacy_codec')
        rc = f'{tc["median"] / lc["median"]:.3f}' if tc and lc else '-'
        print(f'| {r["people"]} | {r["bytes_maps"] / 1e6:.2f} | {r["bytes_moved"] / 1e3:.1f} | '
              f'{fmt(r["legacy"], 2)} | {fmt(r["numpy"], 2)} | {fmt(r["torch"], 2)} | '
              f'{ratio_old:.3f} | {ratio:.3f} | {fmt(lc, 2)} | {fmt(tc, 2)} | {rc} | '
              f'{"yes" if r["same_people"] else "NO"} ({r["found"]}) | {kd} | {zd} |')
    print()


def decoder_targets(rows):
    by_n = {r['people']: r for r in rows}
    out = []
    if 20 in by_n:
        r = by_n[20]
        mb = r['bytes_moved'] / 1e6
        out.append(f'bytes moved to the host per image at 20 people: {r["bytes_moved"]} '
                   f'({mb:.3f} MB; before: all maps, {r["bytes_maps"] / 1e6:.2f} MB) '
                   f'(target < 1 MB: {"met" if mb < 1 else "MISSED"})')
        for key, what in (('legacy', 'the numpy decode before issue 12'),
                          ('numpy', 'the current numpy reference')):
            ratio = r['torch']['median'] / r[key]['median']
            out.append(f'decode at 20 people: device {r["torch"]["median"]:.2f} ms / {what} '
                       f'{r[key]["median"]:.2f} ms = {ratio:.3f} (medians; target <= 1/3: '
                       f'{"met" if ratio <= 1 / 3 else "MISSED"})')
        if r.get('torch_codec') and r.get('legacy_codec'):
            tc, lc = r['torch_codec']['median'], r['legacy_codec']['median']
            out.append(f'codec decode alone at 20 people (no fusion / bookkeeping): device '
                       f'{tc:.2f} ms / before {lc:.2f} ms = {tc / lc:.3f} (medians; target '
                       f'<= 1/3: {"met" if tc / lc <= 1 / 3 else "MISSED"})')
    ok = all(r['same_people'] and (r['max_keypoint_diff_px'] or 0.) <= 1e-3 for r in rows)
    out.append('device decode = numpy reference (same people, keypoints within 1e-3 px) at '
               f'every crowd size: {"met" if ok else "MISSED"}')
    return out
