# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""The GPU goals of issue 12, checked on the JSON of ``benchmark.py --out`` (as written by
``tools/analysis_tools/gpu_check.sh``):

- batch 1, fp16, 832x512: forward + decode (sum of the stage medians) under 10 ms at 3 and at
  20 people;
- at least 300 images/s at batch 32 (forward + decode);
- decode share (decode median / total) at most 5 % at batch 1 (20 people).

    python tools/analysis_tools/gpu_goals.py work_dirs/gpu_check/gpu_bench.json
"""
import json
import sys

MAR = 'MAR (ours)'


def goals(results):
    lines = []
    timings = results.get('timings', {})
    for prec in ('fp16', 'fp32'):
        rows = {r['people']: r for r in timings.get(prec, {}).get(MAR, [])}
        for n in (3, 20):
            if n not in rows:
                continue
            total = rows[n]['total_median_of_stages']
            dec = rows[n]['stages']['decode']['median']
            goal = f'{total:.2f} ms' + (f' (goal < 10 ms: {"met" if total < 10 else "MISSED"})'
                                        if prec == 'fp16' else '')
            lines.append(f'{prec}, batch 1, {n} people: forward + decode {goal}; decode '
                         f'{dec:.2f} ms = {100 * dec / total:.1f} % of the total'
                         + (f' (goal <= 5 %: {"met" if dec / total <= 0.05 else "MISSED"})'
                            if n == 20 else ''))
    for prec, rows in results.get('throughput', {}).items():
        for r in rows:
            if r['batch'] == 32:
                ips = r['images_per_s']
                lines.append(f'{prec}, batch 32: {ips:.0f} images/s (goal >= 300: '
                             f'{"met" if ips >= 300 else "MISSED"})')
    for prec, rows in results.get('decoders', {}).items():
        for r in rows:
            lines.append(f'{prec}, {r["people"]} people: {r["bytes_moved"] / 1e3:.1f} kB to the '
                         f'host (all maps: {r["bytes_maps"] / 1e6:.1f} MB); device decode '
                         f'{r["torch"]["median"]:.2f} ms, numpy reference '
                         f'{r["numpy"]["median"]:.2f} ms; same people: {r["same_people"]}')
    return lines


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    with open(argv[0]) as f:
        results = json.load(f)
    print(f'## Goals of issue 12 on {results.get("machine")}\n')
    for line in goals(results):
        print(f'- {line}')


if __name__ == '__main__':
    main()
