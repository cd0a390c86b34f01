"""Evaluate ablation rows (config + checkpoint) on one split and print the table of
docs/ablation.md: the paper's Table 1 columns, MPJPE_abs and the mean absolute root-depth
error (mm, matched people).

    python tools/analysis_tools/ablation_table.py \
        "d full=configs/ablations/mar_small-v2_d_full.py::work_dirs/abl_d/iter_2000.pth" \
        "b geo only=configs/ablations/mar_small-v2_b_geo-only.py::work_dirs/abl_d/iter_2000.pth"

Each row runs the config's test loop (``test_dataloader`` / MuPoTSMetric) with the checkpoint;
``--cfg-options`` apply to every row. The root-depth error is computed from the dumped
predictions against the split's ``keypoints_cam`` pelvis depth, people matched with the
official MuPoTS 2D matching.
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
from mmengine.config import DictAction

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

COLUMNS = ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all', 'PCK_rel_matched',
           'PCK_abs_matched', 'MPJPE_rel', 'MPJPE_abs')


def root_depth_error(dump_file, ann_file, root=14):
    """Mean |Z_root pred - Z_root gt| (mm) over matched people, and the count."""
    from mmmar.evaluation.functional.dump import load_predictions
    from mmmar.evaluation.functional.mupots_protocol import match_people
    with open(ann_file) as f:
        gt = json.load(f)
    anns = {}
    for a in gt['annotations']:
        anns.setdefault(a['image_id'], []).append(a)
    errs = []
    for rec in load_predictions(dump_file):
        people = anns.get(rec['img_id'], [])
        if not people or len(rec['keypoints']) == 0:
            continue
        g2 = np.array([a['keypoints_img'] for a in people], np.float64)
        g3 = np.array([a['keypoints_cam'] for a in people], np.float64)
        for gi, pi in enumerate(match_people(g2, rec['keypoints'])):
            if pi >= 0:
                errs.append(abs(rec['keypoints_3d'][pi, root, 2] - g3[gi, root, 2]))
    return (float(np.mean(errs)) if errs else None), len(errs)


def run_row(config, checkpoint, cfg_options, work_dir, baselines=False):
    """One row's metrics (and, with ``baselines``, the mean-pose guess and the perfect-map
    ceiling on the same split, :mod:`tools.analysis_tools.baselines`, under
    ``'baselines'``)."""
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmmar.utils import check_config
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(cfg_options)
    check_config(cfg)
    cfg.work_dir = work_dir
    cfg.load_from = checkpoint
    cfg.log_level = 'WARNING'
    dump = osp.join(work_dir, 'preds.json')
    cfg.test_evaluator = [dict(type='MuPoTSMetric'),
                          dict(type='MARDumpPredictions', out_file_path=dump)]
    runner = Runner.from_cfg(cfg)
    metrics = runner.test()
    out = {k.split('/', 1)[-1]: v for k, v in metrics.items()}
    if baselines:
        from tools.analysis_tools.baselines import baseline_rows
        out['baselines'] = [(name, {k.split('/', 1)[-1]: v for k, v in m.items()})
                            for name, m in baseline_rows(runner, cfg)]
    ds = cfg.test_dataloader.dataset
    ann = osp.join(ds.data_root, ds.ann_file)
    out['root_err_mm'], out['root_n'] = root_depth_error(dump, ann)
    return out


def fmt(v):
    return 'n/a' if v is None else f'{v:.1f}'


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('rows', nargs='+', help='"label=config::checkpoint"')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='key=value config overrides for every row (as tools/test.py)')
    p.add_argument('--out', default=None, help='also write the rows as JSON here')
    p.add_argument('--no-baselines', action='store_true',
                   help='leave out the mean-pose guess and the perfect-map ceiling (computed '
                   'with the first row\'s config on the same split)')
    p.add_argument('--work-dir', default='work_dirs/ablation_table',
                   help='one sub-folder per row (logs, dumped predictions)')
    args = p.parse_args(argv)
    from mmmar.utils import register_all_modules
    register_all_modules()
    options = args.cfg_options
    table, results = [], {}
    baselines = []
    for i, row in enumerate(args.rows):
        label, spec = row.split('=', 1)
        config, checkpoint = spec.split('::')
        row_dir = osp.join(args.work_dir, ''.join(c if c.isalnum() else '_' for c in label))
        res = run_row(config, checkpoint, options, row_dir,
                      baselines=i == 0 and not args.no_baselines)
        baselines = res.pop('baselines', baselines)
        results[label] = dict(res, config=config, checkpoint=checkpoint)
        table.append(f'| {label} | ' + ' | '.join(fmt(res.get(c)) for c in COLUMNS) +
                     f' | {fmt(res["root_err_mm"])} |')
        print(table[-1], flush=True)
    for name, res in baselines:
        results[name] = res
        table.append(f'| {name} | ' + ' | '.join(fmt(res.get(c)) for c in COLUMNS) + ' | |')
    head = '| row | ' + ' | '.join(COLUMNS) + ' | root depth err (mm) |'
    print('\n'.join([head, '|' + '---|' * (len(COLUMNS) + 2)] + table))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(results, f, indent=1, default=float)


if __name__ == '__main__':
    main()
