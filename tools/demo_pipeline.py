"""`make demo`: the main job end to end on the embedded synthetic benchmark (v2).

1. generate the synthetic benchmark v2 (children and adults, 1.5-12 m, 40-90 degree cameras,
   1-10 people; MuPoTS JSON format; train TS11-60, val TS6-10, test TS1-5);
2. evaluate the shipped small model (``demo/checkpoints/``, the second stage of the long
   training: ``configs/mar_hrnet-small_synthetic-v2-16k-256x256.py``, see docs/learning.md) on
   the test split with the MuPoTS protocol, beside the mean-pose guess and the perfect-map
   ceiling;
3. train the same config from scratch for ``--iters`` iterations (a short run: it shows that
   training works on this machine, not a converged result) and evaluate it the same way;
4. run :class:`mmmar.apis.MARInferencer` with the shipped model on held-out images (and on
   ``--images``) and write the 2D overlay + 3D / bird's-eye pictures and the prediction JSON.

Everything lands in ``--work-dir`` (default ``work_dirs/demo``): ``data/``, ``train/``,
``metrics.json`` (both evaluations), ``vis/`` and ``predictions/``. The terminal shows the
steps, a progress line every ``iters / 20`` iterations, the results table and where the files
are; mmengine's full logs (environment, config, per-iteration losses, the MuPoTS tables) go to
the log files under ``train/`` and ``eval_*/`` only. Training is seeded (``randomness.seed``
of the config, one data worker), so the printed numbers repeat.
"""
import argparse
import json
import os
import os.path as osp
import shutil
import sys
import time

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..'))
sys.path.insert(0, ROOT)
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python()

CONFIG = osp.join(ROOT, 'configs', 'mar_hrnet-small_synthetic-v2-256x256.py')
#: The small model shipped with the repository (weights only), trained by its config (the
#: same network as ``CONFIG``, 10.7x the samples, on more synthetic images).
SHIPPED_CONFIG = osp.join(ROOT, 'configs', 'mar_hrnet-small_synthetic-v2-16k-256x256.py')
SHIPPED = osp.join(ROOT, 'demo', 'checkpoints', 'mar_hrnet-small_synthetic-v2-16k-256x256.pth')
#: What the demo reports, in the paper's Table 1 order.
REPORTED = ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all', 'PCK_rel_matched',
            'PCK_abs_matched', 'MPJPE_rel')


def demo_data():
    """The synthetic benchmark v2 (the data the shipped model was trained on)."""
    from mmmar.datasets.synthetic.benchmark import SYNTHETIC_PRESETS
    return dict(SYNTHETIC_PRESETS['v2'])


#: Side (px) of each panel of the demo pictures (2D overlay, 3D view, top view).
PANEL_SIZE = 480
#: What mmengine shows in the terminal; everything (INFO and up) is in the log files.
CONSOLE_LEVEL = 'ERROR'
#: Known harmless Python warnings of the frameworks, kept out of the terminal.
QUIET_WARNINGS = (r'.*pkg_resources is deprecated', r'.*The shape of value will convert',
                  r'.*instance named of visualizer has been created')


def quiet_warnings():
    import warnings
    for message in QUIET_WARNINGS:
        warnings.filterwarnings('ignore', message=message)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'demo'))
    p.add_argument('--iters', type=int, default=300,
                   help='iterations of the short training from scratch')
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--num-test', type=int, default=None,
                   help='evaluate only the first N test images (default: all)')
    p.add_argument('--images', default=None, help='also run the model on these images')
    p.add_argument('--threads', type=int, default=2,
                   help='torch threads of the main process (the data worker is light; '
                   'use 1 when other jobs share a 2-core machine: OpenMP oversubscription '
                   'slows small ops down many times)')
    return p.parse_args(argv)


def make_config(work_dir, data_dir, iters, batch_size, num_test=None):
    from mmengine.config import Config

    from mmmar.utils import check_config
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = osp.join(work_dir, 'train')
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = data_dir + '/'
        cfg[key].num_workers = 1
        cfg[key].persistent_workers = True
    cfg.train_dataloader.batch_size = batch_size
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    cfg.param_scheduler[1].end = iters
    cfg.param_scheduler[1].milestones = [int(iters * 0.8)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=iters, by_epoch=False)
    cfg.default_hooks.logger.interval = max(iters // 20, 1)
    cfg.log_processor.window_size = max(iters // 20, 1)
    cfg.test_dataloader.dataset.indices = num_test
    cfg.test_evaluator = dict(type='MuPoTSMetric')
    cfg.val_evaluator = cfg.test_evaluator
    cfg.log_level = 'INFO'  # into the log files; the terminal shows CONSOLE_LEVEL and up
    check_config(cfg)
    return cfg


def shipped_test_config(cfg):
    """``cfg`` (the demo's copy of ``CONFIG``) with the test-time settings of the shipped
    model's config (``SHIPPED_CONFIG``: the same network, trained longer)."""
    from mmengine.config import Config
    shipped = Config.fromfile(SHIPPED_CONFIG)
    cfg = cfg.copy()
    cfg.model.head.test_scale_fusion = shipped.model.head.test_scale_fusion
    cfg.model.test_cfg = shipped.model.test_cfg
    return cfg


def log_file(runner):
    """The text log file of an mmengine ``runner``."""
    return osp.join(runner.log_dir, f'{runner.timestamp}.log')


def evaluate(cfg, checkpoint, tag, baselines=False):
    """MuPoTS-protocol evaluation of ``checkpoint`` (None: the untrained model); with
    ``baselines`` also the mean-pose guess and the perfect-map ceiling on the same images
    (:mod:`tools.analysis_tools.baselines`) under ``metrics['baselines']``."""
    from mmmar.utils import build_quiet_runner, prints_to_file
    from tools.analysis_tools.baselines import baseline_rows
    cfg = cfg.copy()
    cfg.work_dir = osp.join(osp.dirname(cfg.work_dir), f'eval_{tag}')
    cfg.load_from = checkpoint
    cfg.experiment_name = f'eval_{tag}'
    t0 = time.time()
    runner = build_quiet_runner(cfg, CONSOLE_LEVEL)
    print(f'[demo] evaluating the {tag} model (MuPoTS protocol; log: {log_file(runner)})',
          flush=True)
    with prints_to_file(log_file(runner)):
        metrics = runner.test()
        rows = baseline_rows(runner, cfg) if baselines else []
    metrics = {k.split('/', 1)[-1]: v for k, v in metrics.items()}
    metrics['seconds'] = round(time.time() - t0, 1)
    if rows:
        metrics['baselines'] = {name: {k.split('/', 1)[-1]: v for k, v in m.items()}
                                for name, m in rows}
    return metrics


def prepare_data(data_dir):
    """1. The embedded synthetic benchmark v2 under ``data_dir``, generated again only when
    its stamp differs from :func:`demo_data`."""
    from mmmar.datasets.synthetic import generate_synthetic_dataset
    data = demo_data()
    stamp = osp.join(data_dir, 'demo_data.json')
    if not (osp.isfile(stamp) and json.load(open(stamp)) == json.loads(json.dumps(data))):
        shutil.rmtree(data_dir, ignore_errors=True)
        print('[demo] generating the synthetic benchmark v2 (about a minute)', flush=True)
        info = generate_synthetic_dataset(data_dir, **data)
        print(f'[demo] synthetic data: {info["num_train"]} train / {info["num_test"]} test '
              f'images in {info["seconds"]:.1f} s -> {data_dir}')
        json.dump(data, open(stamp, 'w'))
    return data


def train_from_scratch(cfg, iters):
    """3. The short seeded training (no validation); returns the runner and its seconds."""
    from mmmar.utils import ConsoleProgressHook, build_quiet_runner
    t0 = time.time()
    train_cfg = cfg.copy()
    train_cfg.val_cfg = train_cfg.val_dataloader = train_cfg.val_evaluator = None
    runner = build_quiet_runner(train_cfg, CONSOLE_LEVEL)
    runner.register_hook(
        ConsoleProgressHook(interval=max(iters // 20, 1), prefix='[demo] train'))
    print(f'[demo] training {iters} iterations (log: {log_file(runner)})', flush=True)
    runner.train()
    return runner, time.time() - t0


def results_table(before, after, iters, num_test_sequences):
    """The results of steps 2-3: shipped, from scratch, then the guess and the ceiling rows."""
    from tools.analysis_tools.baselines import format_rows
    rows = [('shipped model', before), (f'from scratch {iters}it', after)]
    rows += [(name, m) for name, m in before.get('baselines', {}).items() if 'error' not in m]
    return '\n'.join([
        '', f'MuPoTS protocol on the synthetic v2 test split (sequences TS1..TS'
        f'{num_test_sequences}; synthetic data: no published MuPoTS-3D rows apply)',
        format_rows(rows, REPORTED, width=17),
        'mean-pose guess: every person found with its true 2D pose and true root, and the '
        'training mean pose;',
        'perfect maps: the ground truth encoded and decoded by the codec (the most a '
        'network can reach here)',
        f'from scratch {iters}it: seeded, but float sums differ between machines and '
        'thread counts: expect a spread of a few points (README: PCK_rel_all 12.6-15.2)'])


def run_inferencer(work_dir, data_dir, images, log):
    """4. The shipped model through ``MARInferencer`` on 4 held-out images (with their
    synthetic cameras) and on ``images``; returns the output folders, the people found and
    the inputs that failed."""
    from mmmar.apis import MARInferencer
    from mmmar.utils import prints_to_file
    with prints_to_file(log):
        inferencer = MARInferencer(pose2d=SHIPPED_CONFIG, pose2d_weights=SHIPPED, device='cpu')
    # one readable panel per view: 2D overlay, camera-space 3D, bird's-eye view
    inferencer.visualizer.min_panel_size = PANEL_SIZE
    inferencer.visualizer.min_overlay_size = PANEL_SIZE
    outputs = dict(vis_out_dir=osp.join(work_dir, 'vis'),
                   pred_out_dir=osp.join(work_dir, 'predictions'))
    test_imgs = osp.join(data_dir, 'images', 'TS1')
    inputs = sorted(osp.join(test_imgs, f) for f in os.listdir(test_imgs))[:4]
    # the synthetic camera of each held-out image (without it: a 60-degree default)
    with open(osp.join(data_dir, 'annotations', 'synthetic_test.json')) as f:
        known_K = {osp.basename(i['file_name']): i['intrinsic'] for i in json.load(f)['images']
                   if i['file_name'].startswith('TS1/')}
    people, failed = 0, []
    for res in inferencer(inputs, intrinsics=known_K, **outputs):
        people += sum(len(p) for p in res['predictions'])
    if images:
        for res in inferencer(images, **outputs):
            people += sum(len(p) for p in res['predictions'])
            failed += res.get('failed', [])
    return outputs, people, failed


def main(argv=None):
    args = parse_args(argv)
    quiet_warnings()
    import torch
    torch.set_num_threads(args.threads)
    from mmmar.utils import register_all_modules
    register_all_modules()

    t_start = time.time()
    work_dir = osp.abspath(args.work_dir)
    data_dir = osp.join(work_dir, 'data')
    os.makedirs(work_dir, exist_ok=True)
    data = prepare_data(data_dir)
    cfg = make_config(work_dir, data_dir, args.iters, args.batch_size, args.num_test)

    # 2-3. the shipped converged model, a short training from scratch
    before = evaluate(shipped_test_config(cfg), SHIPPED, 'shipped', baselines=True)
    runner, train_seconds = train_from_scratch(cfg, args.iters)
    ckpt = osp.join(cfg.work_dir, f'iter_{args.iters}.pth')
    after = evaluate(cfg, ckpt, 'trained')
    print(results_table(before, after, args.iters, data['num_test_sequences']))

    outputs, people, failed = run_inferencer(work_dir, data_dir, args.images, log_file(runner))
    summary = dict(shipped=before, from_scratch=after, train_iters=args.iters,
                   train_seconds=round(train_seconds, 1),
                   total_seconds=round(time.time() - t_start, 1), config=CONFIG,
                   checkpoint=ckpt, vis_dir=outputs['vis_out_dir'],
                   people_found_by_inferencer=people, failed_inputs=failed)
    with open(osp.join(work_dir, 'metrics.json'), 'w') as f:
        json.dump(summary, f, indent=2, default=str)
    print(f'[demo] trained {args.iters} iterations in {train_seconds:.0f} s; total '
          f'{summary["total_seconds"]:.0f} s. Files:\n'
          f'  pictures    {outputs["vis_out_dir"]} (2D overlay | 3D camera space | top view)\n'
          f'  predictions {outputs["pred_out_dir"]}\n'
          f'  metrics     {osp.join(work_dir, "metrics.json")}\n'
          f'  checkpoint  {ckpt}\n'
          f'  logs        {log_file(runner)} and {osp.join(work_dir, "eval_*")}')
    return summary


if __name__ == '__main__':
    main()
