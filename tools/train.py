# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""Train a MAR model: the arguments of mmpose's ``tools/train.py``."""
import argparse
import os
import os.path as osp
import sys

# work from a source checkout without installing
sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python()

from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a MAR pose model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, with no value, from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        default=False,
        help='mixed precision: float16 with loss scaling (mmengine AmpOptimWrapper) on a '
        'GPU, bfloat16 autocast (AutocastOptimWrapper) on a CPU')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--auto-scale-lr',
        action='store_true',
        help='scale the learning rate by the actual batch size')
    parser.add_argument(
        '--show-dir', help='directory where visualisations are saved')
    parser.add_argument(
        '--show', action='store_true', help='show predictions in a window')
    parser.add_argument(
        '--interval', type=int, default=1, help='visualise every N samples')
    parser.add_argument(
        '--wait-time', type=float, default=1, help='window display time (s)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value pairs')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def set_amp(cfg):
    """``--amp``: mmengine's ``AmpOptimWrapper`` (float16, dynamic loss scale) where CUDA is
    available, else mmmar's ``AutocastOptimWrapper`` (bfloat16 autocast, no scaling: CPUs
    with AVX-512 BF16 train the small model about 2x faster)."""
    import torch
    from mmengine.optim import AmpOptimWrapper, OptimWrapper
    optim_wrapper = cfg.optim_wrapper.get('type', OptimWrapper)
    allowed = (OptimWrapper, AmpOptimWrapper, 'OptimWrapper', 'AmpOptimWrapper',
               'AutocastOptimWrapper')
    assert optim_wrapper in allowed, \
        f'`--amp` is not supported by optimizer wrapper `{optim_wrapper}`'
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.pop('dtype', None)
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        import mmmar.engine  # noqa: F401  (registers AutocastOptimWrapper for any config)
        cfg.optim_wrapper.type = 'AutocastOptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)
        cfg.optim_wrapper.dtype = 'bfloat16'


def merge_args(cfg, args):
    """Merge CLI arguments into the config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None

    cfg.launcher = args.launcher

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.amp is True:
        set_amp(cfg)

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume

    if args.auto_scale_lr:
        cfg.auto_scale_lr.enable = True

    if args.show or (args.show_dir is not None):
        assert 'visualization' in cfg.default_hooks, \
            'set `default_hooks.visualization=dict(type="PoseVisualizationHook")`'
        cfg.default_hooks.visualization.enable = True
        cfg.default_hooks.visualization.show = args.show
        if args.show:
            cfg.default_hooks.visualization.wait_time = args.wait_time
        cfg.default_hooks.visualization.out_dir = args.show_dir
        cfg.default_hooks.visualization.interval = args.interval

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)

    from mmmar.utils import prepare_runner_config
    prepare_runner_config(cfg, args.launcher)

    runner = Runner.from_cfg(cfg)
    runner.train()
    from mmmar.utils import finalize_process_group
    finalize_process_group()
    return runner


if __name__ == '__main__':
    main()
