# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""Test (and evaluate) a MAR model: the arguments of mmpose's ``tools/test.py``.

With a MuPoTS-3D evaluator it prints the paper's Table 1 columns (beside the published MAR
and SMAP rows when the test data is MuPoTS-3D itself); ``--dump PRED`` writes the
predictions in the documented offline format that
``tools/analysis_tools/eval_mupots.py PRED GT`` rescores without the model.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..')))
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python()

import mmengine  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from mmengine.hooks import Hook  # noqa: E402
from mmengine.runner import Runner  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a MAR model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save evaluation results')
    parser.add_argument('--out', help='the file to save metric results')
    parser.add_argument(
        '--dump',
        type=str,
        help='dump predictions for offline evaluation '
        '(see tools/analysis_tools/eval_mupots.py)')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='override settings in the config, key=value pairs')
    parser.add_argument(
        '--show-dir', help='directory where visualisations are saved')
    parser.add_argument(
        '--show', action='store_true', help='show predictions in a window')
    parser.add_argument(
        '--interval', type=int, default=1, help='visualise every N samples')
    parser.add_argument(
        '--wait-time', type=float, default=1, help='window display time (s)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument(
        '--fp16',
        action='store_true',
        help='run the network under autocast in half precision (float16 on CUDA, '
        'bfloat16 on CPU; the decode stays float32)')
    parser.add_argument(
        '--batch-size', type=int, default=None,
        help='images per test batch (default: the config\'s test_dataloader); the '
        'results are those of batch size 1')
    parser.add_argument(
        '--no-baselines', action='store_true',
        help='do not print the mean-pose guess and the perfect-map ceiling beside a '
        'MuPoTS-protocol result (tools/analysis_tools/baselines.py)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge CLI arguments into the config."""
    cfg.launcher = args.launcher
    cfg.load_from = args.checkpoint

    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])

    if args.show or (args.show_dir is not None):
        assert 'visualization' in cfg.default_hooks, \
            'set `default_hooks.visualization=dict(type="PoseVisualizationHook")`'
        cfg.default_hooks.visualization.enable = True
        cfg.default_hooks.visualization.show = args.show
        if args.show:
            cfg.default_hooks.visualization.wait_time = args.wait_time
        cfg.default_hooks.visualization.out_dir = args.show_dir
        cfg.default_hooks.visualization.interval = args.interval

    if args.dump is not None:
        dump_metric = dict(type='MARDumpPredictions', out_file_path=args.dump)
        if isinstance(cfg.test_evaluator, (list, tuple)):
            cfg.test_evaluator = [*cfg.test_evaluator, dump_metric]
        else:
            cfg.test_evaluator = [cfg.test_evaluator, dump_metric]

    if args.fp16:
        cfg.test_cfg = dict(cfg.get('test_cfg') or {}, fp16=True)
    if args.batch_size is not None:
        cfg.test_dataloader.batch_size = args.batch_size

    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def data_source_of_test_set(runner):
    """The ``data_source`` of the runner's test dataset ('mupots3d', 'synthetic', ...) or
    None."""
    loop = getattr(runner, '_test_loop', None)
    dataset = getattr(getattr(loop, 'dataloader', None), 'dataset', None)
    meta = getattr(dataset, 'metainfo', None) or {}
    return meta.get('data_source')


class PrintTable1Hook(Hook):
    """Print the paper's Table 1 columns when a MuPoTS metric was computed; the published
    SMAP and MAR rows only when the test data is MuPoTS-3D."""

    def __init__(self, out=None):
        self.out = out
        self.enabled = True  # off for the baselines' own test passes

    def after_test_epoch(self, runner, metrics=None):
        if metrics is None or not self.enabled:
            return
        if self.out:
            mmengine.dump(metrics, self.out)
        if any(k.startswith('mupots/') for k in metrics):
            from mmmar.evaluation.functional import format_table1
            table = format_table1(metrics, dataset=data_source_of_test_set(runner))
            runner.logger.info('\n' + table)


def print_baselines(runner, cfg, metrics):
    """Print the model's row beside the mean-pose guess and the perfect-map ceiling
    (:mod:`tools.analysis_tools.baselines`); returns them as ``baseline/...`` and
    ``ceiling/...`` metrics."""
    from tools.analysis_tools.baselines import baseline_rows, format_rows
    rows = baseline_rows(runner, cfg)
    table = format_rows([('model', metrics)] + [r for r in rows if 'error' not in r[1]])
    notes = [f'{name}: not computed ({m["error"]})' for name, m in rows if 'error' in m]
    runner.logger.info('\nThe model beside a trivial guess (true people and roots, the '
                       'training mean pose) and the codec\'s ceiling (ground truth encoded and '
                       'decoded):\n' + table + ''.join('\n' + n for n in notes))
    out = {}
    for prefix, (_, m) in zip(('baseline', 'ceiling'), rows):
        out.update({f'{prefix}/{k.split("/", 1)[-1]}': v for k, v in m.items()
                    if isinstance(v, (int, float))})
    return out


def main(argv=None):
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)

    from mmmar.utils import prepare_runner_config
    prepare_runner_config(cfg, args.launcher)

    runner = Runner.from_cfg(cfg)
    table1 = PrintTable1Hook(args.out)
    runner.register_hook(table1, 'LOWEST')
    metrics = runner.test()
    if not args.no_baselines and any(k.startswith('mupots/') for k in metrics or {}):
        table1.enabled = False
        metrics = dict(metrics, **print_baselines(runner, cfg, metrics))
        if args.out:
            mmengine.dump(metrics, args.out)
    from mmmar.utils import finalize_process_group
    finalize_process_group()
    return metrics


if __name__ == '__main__':
    main()
