"""Plot the MuPoTS-protocol validation metrics and the training losses of mmengine runs.

Reads ``<work_dir>/<timestamp>/vis_data/scalars.json`` (mmengine's LocalVisBackend: one JSON
object per line, ``step`` = iteration) of one or more work dirs and writes one PNG:

    python tools/analysis_tools/plot_learning_curves.py work_dirs/abl_d \
        --out docs/images/learning_curves_v2.png
"""
import argparse
import glob
import json
import os.path as osp

METRICS = ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all')
LOSSES = ('loss_heatmap', 'loss_paf', 'loss_offset', 'loss_geo', 'loss_reg')


def read_scalars(work_dir, val_interval):
    """(val rows, train rows) of the runs in ``work_dir`` in time order (a run resumed with
    ``--resume`` writes a new timestamped folder); each row a dict with ``step``. mmengine logs
    validation of an iteration-based loop at step 0, so the k-th validation row gets
    ``step = k * val_interval`` (a run is resumed from a validated checkpoint).
    Train rows logged again after a resume replace the earlier ones of the same step."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'{work_dir}: no */vis_data/scalars.json (mmengine '
                                'LocalVisBackend output) found')
    val, train = [], {}
    for name in files:
        with open(name) as f:
            for line in f:
                row = json.loads(line)
                if any(k.startswith('mupots/') for k in row):
                    row['step'] = (len(val) + 1) * val_interval
                    val.append(row)
                else:
                    train[row['step']] = row
    return val, [train[k] for k in sorted(train)]


def plot(work_dirs, labels, out, val_interval=250):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(METRICS) + 1, figsize=(4 * (len(METRICS) + 1), 3.6))
    for wd, label in zip(work_dirs, labels):
        val, train = read_scalars(wd, val_interval)
        for ax, m in zip(axes, METRICS):
            pts = [(r['step'], r[f'mupots/{m}']) for r in val if f'mupots/{m}' in r]
            if pts:
                ax.plot(*zip(*pts), marker='o', label=label)
            ax.set_title(m)
            ax.set_xlabel('iteration')
            ax.grid(alpha=0.3)
        for loss in LOSSES:
            pts = [(r['step'], r[loss]) for r in train if loss in r]
            if pts and (len(labels) == 1 or wd == work_dirs[0]):
                axes[-1].plot(*zip(*pts), label=loss, lw=1)
    axes[-1].set_yscale('log')
    axes[-1].set_title(f'training losses ({labels[0]})')
    axes[-1].set_xlabel('iteration')
    axes[-1].legend(fontsize=7)
    if len(labels) > 1:
        axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    print(f'wrote {out}')


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('work_dirs', nargs='+')
    p.add_argument('--labels', nargs='*', default=None)
    p.add_argument('--out', default='learning_curves.png')
    p.add_argument('--val-interval', type=int, default=250,
                   help="the config's train_cfg.val_interval")
    args = p.parse_args(argv)
    labels = args.labels or [osp.basename(osp.normpath(w)) for w in args.work_dirs]
    plot(args.work_dirs, labels, args.out, args.val_interval)


if __name__ == '__main__':
    main()
