"""Time one training step (forward + backward + Adam) of a config's model in float32 and in
mixed precision, on random inputs (no data loading), as the issue-21 measurements.

    OMP_NUM_THREADS=2 python tools/analysis_tools/train_step_bench.py \\
        configs/mar_hrnet-small_synthetic-v2-256x256.py --batch-size 8 --runs 8
    python tools/analysis_tools/train_step_bench.py configs/mar_hrnet-w32_muco.py \\
        --device cuda --batch-size 8 --precisions fp32 fp16 --out step.json

Precisions: ``fp32``; ``bf16`` (bfloat16 autocast, no loss scaling: what ``tools/train.py
--amp`` does on a CPU); ``fp16`` (float16 autocast with a dynamic ``GradScaler``: what
``--amp`` does on a CUDA GPU through mmengine's ``AmpOptimWrapper``; CUDA only). Prints the
median step time of each precision and, on CUDA, the peak memory allocated by the step
(``torch.cuda.max_memory_allocated``, model and Adam state included). Run it on an otherwise
idle machine: with OpenMP, another busy process on one of the two cores slows every step
several times.
"""
import argparse
import json
import os.path as osp
import sys
import time

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

DTYPES = {'fp32': None, 'bf16': 'bfloat16', 'fp16': 'float16'}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--runs', type=int, default=8)
    p.add_argument('--warmup', type=int, default=2)
    p.add_argument('--device', default='cpu', help='cpu or cuda')
    p.add_argument('--precisions', nargs='+', choices=sorted(DTYPES), default=None,
                   help='default: fp32 bf16 on a CPU, fp32 fp16 on CUDA')
    p.add_argument('--input-size', type=int, nargs=2, metavar=('W', 'H'), default=None,
                   help="default: the config's codec input_size")
    p.add_argument('--out', default=None, help='also write the results as JSON here')
    args = p.parse_args(argv)
    cuda = args.device.startswith('cuda')
    if args.precisions is None:
        args.precisions = ['fp32', 'fp16'] if cuda else ['fp32', 'bf16']
    if 'fp16' in args.precisions and not cuda:
        p.error('--precisions fp16 needs --device cuda (float16 autocast with a GradScaler is '
                "what `--amp` does on a GPU; on a CPU it uses bf16)")
    return args


def _sync(device):
    import torch
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def step_times(model, x, precision: str, runs: int, warmup: int):
    """Seconds of ``runs`` steps after ``warmup``, sorted (the loss: a mean square of every
    output), and the peak memory of the steps in MiB on CUDA (None elsewhere)."""
    import torch
    device = x.device
    dtype = DTYPES[precision]
    opt = torch.optim.Adam(model.parameters(), 1e-4)
    scaler = torch.amp.GradScaler(device.type) if precision == 'fp16' else None
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    times = []
    for i in range(warmup + runs):
        _sync(device)
        t = time.perf_counter()
        with torch.autocast(device.type, dtype=getattr(torch, dtype or 'float32'),
                            enabled=dtype is not None):
            out = model.head.forward(model.extract_feat(x))
        loss = sum(v.float().square().mean() for k, v in out.items() if k != 'aux')
        opt.zero_grad()
        if scaler is not None:
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
        else:
            loss.backward()
            opt.step()
        _sync(device)
        if i >= warmup:
            times.append(time.perf_counter() - t)
    peak = (torch.cuda.max_memory_allocated(device) / 2**20
            if device.type == 'cuda' else None)
    return sorted(times), peak


def main(argv=None):
    import torch
    from mmengine.config import Config
    from mmpose.registry import MODELS

    from mmmar.utils import register_all_modules
    args = parse_args(argv)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    device = torch.device(args.device)
    w, h = args.input_size or cfg.codec['input_size']
    res = dict(config=args.config, device=args.device, batch_size=args.batch_size,
               input_size=[w, h], threads=torch.get_num_threads(), steps={})
    if device.type == 'cuda':
        res['gpu'] = torch.cuda.get_device_name(device)
    for name in args.precisions:
        torch.manual_seed(0)  # the same weights and input for every precision
        model = MODELS.build(cfg.model).to(device).train()
        x = torch.randn(args.batch_size, 3, h, w, device=device)
        t, peak = step_times(model, x, name, args.runs, args.warmup)
        res['steps'][name] = dict(median_s=t[len(t) // 2], min_s=t[0], max_s=t[-1],
                                  peak_mem_mib=peak)
        mem = f', peak memory {peak:.0f} MiB' if peak is not None else ''
        print(f'{name}: median {t[len(t) // 2] * 1000:.0f} ms per step (batch '
              f'{args.batch_size}, {w}x{h}, {args.device}'
              + (f', {res["threads"]} threads' if device.type == 'cpu' else '')
              + f'; min {t[0] * 1000:.0f}, max {t[-1] * 1000:.0f}){mem}', flush=True)
        del model, x
    base = res['steps'].get('fp32')
    for name, r in res['steps'].items():
        if base and name != 'fp32':
            print(f'{name} / fp32 = {r["median_s"] / base["median_s"]:.2f}')
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(res, f, indent=1)
    return res


if __name__ == '__main__':
    main()
