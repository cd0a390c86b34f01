"""Sanity check: can the model overfit a handful of training images?

Trains a config on ``--num-images`` synthetic images without augmentation and evaluates it on
the *same* images with the MuPoTS protocol, then prints, per matched person, the error of the
regression depth (Z_reg), the geometry depth (Z_geo, Eq. 7-8) and the fused depth (Eq. 12)
against the true pelvis depth, with the predicted sigmas. A model that cannot get near-perfect
scores here has a wrong target, loss, normalisation or decode step.

    python tools/analysis_tools/overfit_check.py --iters 400 --num-images 8
"""
import argparse
import json
import os.path as osp
import sys
import time

import numpy as np
from mmengine.config import DictAction

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)
from tools.analysis_tools.baselines import (no_aug_pipeline, perfect_map_predictions,  # noqa: E402
                                            target_maps)

DEFAULT_CONFIG = osp.join(ROOT, 'configs', 'mar_hrnet-small_synthetic-256x256.py')
#: The images (v1 synthetic set at 256 px, up to 6 people) the check overfits.
DATA = dict(img_size=(256, 256), min_people=1, max_people=6, depth_range=(3000., 8000.),
            focal_range=(200., 420.), seed=0)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--config', default=DEFAULT_CONFIG)
    p.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'overfit_check'))
    p.add_argument('--num-images', type=int, default=8)
    p.add_argument('--iters', type=int, default=400)
    p.add_argument('--batch-size', type=int, default=8)
    p.add_argument('--lr', type=float, default=None)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--data', default=None, help='existing synthetic data dir (skips generation)')
    p.add_argument('--max-people', type=int, default=DATA['max_people'],
                   help='most people per generated image')
    p.add_argument('--data-seed', type=int, default=DATA['seed'])
    p.add_argument('--perfect-maps', action='store_true',
                   help='no training: only the scores of the images decoded from their own '
                   'training targets (printed after every run: the most a network can reach)')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='key=value config overrides (as tools/train.py)')
    return p.parse_args(argv)


def build_cfg(args, data_dir):
    from mmengine.config import Config

    from mmmar.utils import check_config
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    cfg.randomness = dict(seed=args.seed, deterministic=False)
    ann = 'annotations/synthetic_train.json'
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[key].dataset.data_root = data_dir + '/'
        cfg[key].dataset.ann_file = ann
        cfg[key].num_workers = 0
        cfg[key].persistent_workers = False
    cfg.train_pipeline = no_aug_pipeline(cfg.get('train_pipeline',
                                                 cfg.train_dataloader.dataset.pipeline))
    cfg.train_dataloader.dataset.pipeline = cfg.train_pipeline
    cfg.train_dataloader.batch_size = args.batch_size
    # a few images: repeat them so that the iterator is not restarted every iteration
    cfg.train_dataloader.dataset = dict(type='RepeatDataset', times=100,
                                        dataset=cfg.train_dataloader.dataset)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=args.iters, val_interval=10 ** 9)
    if args.lr:
        cfg.optim_wrapper.optimizer.lr = args.lr
    cfg.param_scheduler = [
        dict(type='LinearLR', begin=0, end=min(50, args.iters), start_factor=0.01,
             by_epoch=False),
        dict(type='MultiStepLR', begin=0, end=args.iters, milestones=[int(args.iters * 0.8)],
             gamma=0.1, by_epoch=False)]
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook', interval=args.iters, by_epoch=False)
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=max(args.iters // 10, 1))
    cfg.log_processor = dict(by_epoch=False, window_size=max(args.iters // 10, 1))
    cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    cfg.test_evaluator = dict(type='MuPoTSMetric')
    check_config(cfg)
    return cfg


def depth_table(model, dataloader, ann_file):
    """Per matched person: true pelvis depth and Z_reg, Z_geo, fused, sigmas."""
    import torch

    from mmmar.evaluation.functional.mupots_protocol import match_people
    with open(ann_file) as f:
        gt = json.load(f)
    by_img = {}
    for a in gt['annotations']:
        by_img.setdefault(a['image_id'], []).append(a)
    rows = []
    model.eval()
    with torch.no_grad():
        for batch in dataloader:
            for ds in model.test_step(batch):
                anns = by_img.get(int(ds.metainfo['img_id']), [])
                if not anns:
                    continue
                pred = ds.pred_instances
                g2 = np.array([a['keypoints_img'] for a in anns])
                g3 = np.array([a['keypoints_cam'] for a in anns])
                p2 = np.asarray(pred.keypoints)
                if len(p2) == 0:
                    continue
                match = match_people(g2, p2)
                for gi, pi in enumerate(np.asarray(match).reshape(-1)):
                    if pi < 0:
                        continue
                    rows.append([g3[gi, 14, 2], pred.root_depth_reg[pi], pred.root_depth_geo[pi],
                                 pred.root_depth[pi], pred.sigma_reg[pi], pred.sigma_geo[pi],
                                 float(pred.geo_valid[pi])])
    return np.array(rows, np.float64).reshape(-1, 7), sum(len(v) for v in by_img.values())


def main(argv=None):
    args = parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    from mmengine.runner import Runner

    from mmmar.datasets.synthetic import generate_synthetic_dataset
    from mmmar.utils import register_all_modules
    register_all_modules()

    data_dir = args.data or osp.join(args.work_dir, 'data')
    if args.data is None:
        d = dict(DATA, num_images=args.num_images, num_sequences=1, num_test_sequences=0,
                 max_people=args.max_people, seed=args.data_seed)
        generate_synthetic_dataset(data_dir, **d)
    cfg = build_cfg(args, data_dir)
    t0 = time.time()
    runner = Runner.from_cfg(cfg)
    if not args.perfect_maps:
        runner.train()
    train_s = time.time() - t0
    metrics = {} if args.perfect_maps else runner.test()
    ann_file = osp.join(data_dir, 'annotations', 'synthetic_train.json')
    rows, n_gt = ([], 0) if args.perfect_maps else depth_table(
        runner.model, runner.test_dataloader, ann_file)
    # the ceiling: the same images decoded from their own training targets
    maps = target_maps(runner.train_dataloader.dataset.dataset)  # inside the RepeatDataset
    with perfect_map_predictions(runner.model.head, maps):
        ceiling = runner.test()
    what = 'no training' if args.perfect_maps else f'{args.iters} iterations in {train_s:.0f} s'
    print(f'\n[overfit] {what} on {args.num_images} images (MuPoTS protocol on the same '
          'images; "perfect maps" = decoded from their own training targets, the most a '
          'network can reach here)')
    print(f'  {"":14s} {"trained":>8s} {"perfect maps":>13s}')
    for k in ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all', 'MPJPE_rel',
              'MPJPE_abs'):
        v = [m.get(f'mupots/{k}') for m in (metrics, ceiling)]
        v = ['-' if x is None else f'{float(x):.1f}' for x in v]
        print(f'  {k:14s} {v[0]:>8s} {v[1]:>13s}')
    if len(rows):
        z = rows[:, 0]
        for name, col in (('Z_reg', 1), ('Z_geo', 2), ('fused', 3)):
            e = rows[:, col] - z
            rel = np.mean(np.abs(e) / z) * 100
            print(f'  {name:6s} mean |err| {np.abs(e).mean():7.0f} mm ({rel:5.1f} %)'
                  f'  mean signed {e.mean():+7.0f} mm')
        print(f'  sigma_reg median {np.median(rows[:, 4]):.0f} mm, sigma_geo median '
              f'{np.median(rows[:, 5]):.0f} mm, geo_valid {rows[:, 6].mean() * 100:.0f} %, '
              f'matched {len(rows)} of {n_gt}')
    metrics.update({f'perfect/{k}': v for k, v in ceiling.items()})
    return metrics, rows


if __name__ == '__main__':
    main()
