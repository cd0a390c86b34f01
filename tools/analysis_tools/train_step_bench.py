"""Time one training step (forward + backward + Adam) of a config's model in float32 and in
bfloat16 autocast, on random inputs (no data loading), as the issue-21 measurements.

    OMP_NUM_THREADS=2 python tools/analysis_tools/train_step_bench.py \\
        configs/mar_hrnet-small_synthetic-v2-256x256.py --batch-size 8 --runs 8

Prints the median step time of each precision. Run it on an otherwise idle machine: with
OpenMP, another busy process on one of the two cores slows every step several times.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--runs', type=int, default=8)
    p.add_argument('--warmup', type=int, default=2)
    return p.parse_args(argv)


def step_times(model, x, bf16: bool, runs: int, warmup: int):
    """Seconds of ``runs`` steps after ``warmup`` (the loss: a mean square of every output)."""
    import torch
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    times = []
    for i in range(warmup + runs):
        t = time.perf_counter()
        with torch.autocast('cpu', dtype=torch.bfloat16, enabled=bf16):
            out = model.head.forward(model.extract_feat(x))
        loss = sum(v.float().square().mean() for k, v in out.items() if k != 'aux')
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i >= warmup:
            times.append(time.perf_counter() - t)
    return sorted(times)


def main(argv=None):
    import torch
    from mmengine.config import Config
    from mmpose.registry import MODELS

    from mmmar.utils import register_all_modules
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).train()
    w, h = cfg.codec['input_size']
    x = torch.randn(args.batch_size, 3, h, w)
    res = {}
    for name, bf16 in (('fp32', False), ('bf16', True)):
        t = step_times(model, x, bf16, args.runs, args.warmup)
        res[name] = t[len(t) // 2]
        print(f'{name}: median {res[name] * 1000:.0f} ms per step (batch {args.batch_size}, '
              f'{w}x{h}, {torch.get_num_threads()} threads; min {t[0] * 1000:.0f}, max '
              f'{t[-1] * 1000:.0f})', flush=True)
    print(f'bf16 / fp32 = {res["bf16"] / res["fp32"]:.2f}')
    return res


if __name__ == '__main__':
    main()
