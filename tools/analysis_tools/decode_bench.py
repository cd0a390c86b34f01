# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""The MAR decode (torch, where the maps are) against the numpy reference of
:mod:`mmmar.testing` (every map copied to the host first), on the same perfect maps: bytes
moved to the host, times, equality of the people; used by
``tools/analysis_tools/benchmark.py`` (``MARMethod.compare_decoders``). The numbers of the
decode before issue 12 (removed since) are kept in ``docs/benchmark.md``.
"""
import numpy as np
from timing import fmt, summary

#: the timed variants of ``MARMethod.compare_decoders``
TIMED = ('torch', 'numpy', 'torch_codec')


def bench_decoders(method, items, runs, clock, log):
    """Per crowd size, the decode vs the numpy reference (alternating, ``runs`` times each),
    bytes to the host, equality of the results."""
    preps = [method.prepare(it) for it in items]
    method.compare_decoders(preps[0], clock)  # warm-up
    rows = []
    for it, prep in zip(items, preps):
        t = {k: [] for k in TIMED}
        for _ in range(runs):
            res = method.compare_decoders(prep, clock)
            for k in t:
                t[k].append(res[k])
        a, b = res['torch_pred'], res['numpy_pred']
        same = len(a.keypoints) == len(b.keypoints)
        diff = float(np.abs(np.asarray(a.keypoints) - np.asarray(b.keypoints)).max()) \
            if same and len(a.keypoints) else 0.
        zdiff = float(np.abs(np.asarray(a.root_depth) - np.asarray(b.root_depth)).max()) \
            if same and len(a.keypoints) else 0.
        rows.append(dict(people=it['people'], found=len(a.keypoints), found_numpy=len(
            b.keypoints), same_people=same, max_keypoint_diff_px=diff if same else None,
            max_root_depth_diff_mm=zdiff if same else None, bytes_maps=res['bytes_maps'],
            bytes_moved=res['bytes_moved'], **{k: summary(v) for k, v in t.items()}))
        log(f'  decoders: {it["people"]} people done')
    return rows


def print_decoders(rows, device):
    print(f'**Decode, {device}**: `predict_from_outputs` + `add_pred_to_datasample` on the '
          'same perfect maps; "numpy" = the reference of `mmmar.testing` (every map copied to '
          'the host, numpy dense stages), "torch" = the decode (dense stages in torch where '
          'the maps are, one copy of the per-person evidence to the host). "codec only" = '
          '`MARCodec.decode_batch` alone (no depth fusion, no `InstanceData` bookkeeping). '
          'ms: median (min-max); "same people" and the differences: torch vs numpy.\n')
    print('| people | maps (MB) | moved to host (kB) | numpy | torch | torch / numpy | '
          'codec only | same people | max keypoint diff (px) | max root depth diff (mm) |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for r in rows:
        ratio = r['torch']['median'] / r['numpy']['median']
        kd = '-' if r['max_keypoint_diff_px'] is None else f'{r["max_keypoint_diff_px"]:.2e}'
        zd = '-' if r['max_root_depth_diff_mm'] is None else \
            f'{r["max_root_depth_diff_mm"]:.2e}'
        print(f'| {r["people"]} | {r["bytes_maps"] / 1e6:.2f} | {r["bytes_moved"] / 1e3:.1f} | '
              f'{fmt(r["numpy"], 2)} | {fmt(r["torch"], 2)} | {ratio:.3f} | '
              f'{fmt(r["torch_codec"], 2)} | {"yes" if r["same_people"] else "NO"} '
              f'({r["found"]}) | {kd} | {zd} |')
    print()


def decoder_targets(rows):
    by_n = {r['people']: r for r in rows}
    out = []
    if 20 in by_n:
        r = by_n[20]
        mb = r['bytes_moved'] / 1e6
        out.append(f'bytes moved to the host per image at 20 people: {r["bytes_moved"]} '
                   f'({mb:.3f} MB; all maps: {r["bytes_maps"] / 1e6:.2f} MB) '
                   f'(target < 1 MB: {"met" if mb < 1 else "MISSED"})')
        out.append(f'decode at 20 people: torch {r["torch"]["median"]:.2f} ms, codec only '
                   f'{r["torch_codec"]["median"]:.2f} ms, numpy reference '
                   f'{r["numpy"]["median"]:.2f} ms (medians)')
    ok = all(r['same_people'] and (r['max_keypoint_diff_px'] or 0.) <= 1e-3 for r in rows)
    out.append('decode = numpy reference (same people, keypoints within 1e-3 px) at '
               f'every crowd size: {"met" if ok else "MISSED"}')
    return out
