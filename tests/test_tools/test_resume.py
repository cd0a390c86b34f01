"""Issue 7.6: a run stopped mid-way and restarted with ``--resume`` continues with the same
iteration, weights, optimizer and scheduler state as an uninterrupted run; ``--amp``.
"""
import importlib.util
import os.path as osp
import subprocess

import pytest
import torch

from .conftest import (CKPT_INTERVAL, MAX_ITERS, REPO, TOTAL_BATCH, python_exe, read_trajectory,
                       run_tool, shrink_options)


def _load(path):
    return torch.load(path, map_location='cpu', weights_only=False)


def _assert_tree_close(a, b, path='', rtol=1e-5, atol=1e-6):
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (path, set(a) ^ set(b))
        for k in a:
            _assert_tree_close(a[k], b[k], f'{path}.{k}', rtol, atol)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_tree_close(x, y, f'{path}[{i}]', rtol, atol)
    elif isinstance(a, torch.Tensor):
        assert a.shape == b.shape, path
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol, msg=path)
    elif isinstance(a, float):
        assert a == pytest.approx(b, rel=rtol, abs=atol), path
    else:
        assert a == b, (path, a, b)


def test_resume_continues_identically(tiny_setup, single_run):
    work_dir = str(tiny_setup['root'] / 'resume')
    cmd = [python_exe(), 'tools/train.py', tiny_setup['config']]
    opts = shrink_options(work_dir, TOTAL_BATCH)

    # 1. killed right after the checkpoint of iteration CKPT_INTERVAL (of MAX_ITERS)
    env = dict(tiny_setup['env'], LOSS_RECORDER_CRASH_AFTER=str(CKPT_INTERVAL),
               OMP_NUM_THREADS='1')
    proc = subprocess.run(cmd + opts, cwd=REPO, env={**__import__('os').environ, **env},
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=600)
    assert proc.returncode == 3, proc.stdout[-4000:]
    assert osp.isfile(osp.join(work_dir, f'iter_{CKPT_INTERVAL}.pth'))
    assert not osp.exists(osp.join(work_dir, f'iter_{MAX_ITERS}.pth'))
    assert len(read_trajectory(work_dir)) == CKPT_INTERVAL

    # 2. restarted with --resume (latest checkpoint of the work dir)
    run_tool(cmd + ['--resume'] + opts, tiny_setup['env'])

    resumed = read_trajectory(work_dir)
    reference = read_trajectory(single_run)
    assert [r['iter'] for r in resumed] == list(range(MAX_ITERS))
    for r, ref in zip(resumed, reference):
        # same iteration numbers, same scheduled learning rate, same losses
        assert r['iter'] == ref['iter']
        assert r['lr'] == pytest.approx(ref['lr'], rel=1e-6), r
        assert r['loss'] == pytest.approx(ref['loss'], rel=1e-4), (r, ref)
    # the schedule really moves during these iterations (warm-up), so this checks it
    assert len({round(r['lr'], 12) for r in resumed}) == MAX_ITERS

    a = _load(osp.join(work_dir, f'iter_{MAX_ITERS}.pth'))
    b = _load(osp.join(single_run, f'iter_{MAX_ITERS}.pth'))
    assert a['meta']['iter'] == b['meta']['iter'] == MAX_ITERS
    _assert_tree_close(a['state_dict'], b['state_dict'], 'state_dict', rtol=1e-4, atol=1e-5)
    _assert_tree_close(a['optimizer'], b['optimizer'], 'optimizer', rtol=1e-4, atol=1e-6)
    _assert_tree_close(a['param_schedulers'], b['param_schedulers'], 'param_schedulers')


def _train_module():
    spec = importlib.util.spec_from_file_location('mmmar_tools_train',
                                                  osp.join(REPO, 'tools', 'train.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_amp_flag_sets_amp_optim_wrapper(tiny_setup):
    from mmengine.config import Config
    train = _train_module()
    args = train.parse_args([tiny_setup['config'], '--amp', '--resume'])
    cfg = train.merge_args(
        Config.fromfile(tiny_setup['config'], import_custom_modules=False), args)
    if torch.cuda.is_available():
        assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
        assert cfg.optim_wrapper.loss_scale == 'dynamic'
    else:  # bfloat16 autocast, no loss scaling
        assert cfg.optim_wrapper.type == 'AutocastOptimWrapper'
        assert cfg.optim_wrapper.dtype == 'bfloat16' and 'loss_scale' not in cfg.optim_wrapper
    assert cfg.resume is True and cfg.load_from is None


def test_amp_train_on_cpu_in_bfloat16(tiny_setup):
    """`--amp` without CUDA trains under bfloat16 autocast: the run ends, its weights are
    float32 and finite and moved from the initial ones, no loss scaler is saved."""
    work_dir = str(tiny_setup['root'] / 'amp_cpu')
    run_tool([python_exe(), 'tools/train.py', tiny_setup['config'], '--amp'] +
             shrink_options(work_dir, TOTAL_BATCH, max_iters=CKPT_INTERVAL),
             tiny_setup['env'])
    ckpt = _load(osp.join(work_dir, f'iter_{CKPT_INTERVAL}.pth'))
    assert 'loss_scaler' not in ckpt['optimizer']
    weights = [v for k, v in ckpt['state_dict'].items() if k.endswith('weight')]
    assert all(w.dtype == torch.float32 and torch.isfinite(w).all() for w in weights)
    assert ckpt['meta']['iter'] == CKPT_INTERVAL


@pytest.mark.skipif(not torch.cuda.is_available(),
                    reason='mmengine AmpOptimWrapper needs CUDA (or NPU/MLU/MUSA)')
def test_amp_train_on_gpu(tiny_setup):
    work_dir = str(tiny_setup['root'] / 'amp')
    run_tool([python_exe(), 'tools/train.py', tiny_setup['config'], '--amp'] +
             shrink_options(work_dir, TOTAL_BATCH, max_iters=CKPT_INTERVAL),
             tiny_setup['env'])
    ckpt = _load(osp.join(work_dir, f'iter_{CKPT_INTERVAL}.pth'))
    assert 'loss_scaler' in ckpt['optimizer'] or any(
        'scale' in k for k in ckpt['optimizer'])
    traj = read_trajectory(work_dir)
    assert all(torch.isfinite(torch.tensor(r['loss'])) for r in traj)
