"""The two rows to print beside a MAR model's MuPoTS-protocol scores.

* **mean-pose guess** (:func:`mmmar.evaluation.functional.mean_pose_baseline`): every person
  found with its true 2D pose and true root, and the training split's mean root-relative
  pose. A model whose PCK_rel / MPJPE_rel is not clearly better has learned no 3D pose.
* **perfect maps** (the codec's ceiling): the test images' ground truth encoded by the
  config's codec (the training pipeline without augmentation, i.e. the test geometry) and
  decoded, fused and scored exactly like network outputs. People whose root is hidden
  behind another person have no root peak in their own targets: no network can find them.

Used by ``tools/test.py`` (printed under the model's table), ``tools/demo_pipeline.py``,
``tools/analysis_tools/overfit_check.py`` and ``tools/analysis_tools/ablation_table.py``::

    python tools/analysis_tools/baselines.py configs/mar_hrnet-small_synthetic-v2-256x256.py
"""
import argparse
import contextlib
import copy
import os.path as osp
import sys
from typing import Dict, Optional

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

#: the columns of :func:`format_rows` (the paper's Table 1 order, then the root-relative error)
ROW_KEYS = ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all', 'PCK_rel_matched',
            'PCK_abs_matched', 'MPJPE_rel')
#: the keys of the maps a perfect-map prediction feeds the head's decode
MAP_KEYS = ('heatmaps', 'pafs', 'offsets', 'root_depth')


def ann_file_of(dataset_cfg) -> Optional[str]:
    """The annotation file of a dataset config (``data_root`` + ``ann_file``), looking inside
    wrappers (``dataset``, ``datasets``: the first that has one); None if there is none."""
    if not isinstance(dataset_cfg, dict):
        return None
    if dataset_cfg.get('ann_file'):
        return osp.join(dataset_cfg.get('data_root') or '', dataset_cfg['ann_file'])
    for key in ('dataset', 'datasets'):
        inner = dataset_cfg.get(key)
        for d in (inner if isinstance(inner, (list, tuple)) else [inner]):
            found = ann_file_of(d)
            if found:
                return found
    return None


def no_aug_pipeline(pipeline):
    """A training pipeline with neutral augmentation (no scale / rotation / shift / flip): its
    input geometry is the test pipeline's (``MARRandomAffine`` draws around the test fit)."""
    pipe = []
    for t in pipeline:
        t = dict(t)
        if t['type'] == 'MARRandomAffine':
            t.update(scale_prob=0., rotate_prob=0., shift_prob=0.)
        if t['type'] == 'MARRandomFlip':
            continue
        pipe.append(t)
    return pipe


def target_maps(dataset) -> Dict[int, dict]:
    """``{img_id: {key: (C, h, w) tensor}}``: the targets (:data:`MAP_KEYS`) of every sample
    of ``dataset`` (a built dataset whose pipeline ends with ``GenerateTarget`` and
    ``PackPoseInputs``)."""
    from mmmar.models.utils.ops import stack_targets
    maps = {}
    for i in range(len(dataset)):
        ds = dataset[i]['data_samples']
        maps[int(ds.metainfo['img_id'])] = {
            k: v[0] for k, v in stack_targets([ds], MAP_KEYS, ()).items()}
    return maps


@contextlib.contextmanager
def perfect_map_predictions(head, maps: Dict[int, dict]):
    """Within the context, ``head.predict`` decodes each image's ``maps`` (by ``img_id``)
    instead of the network's outputs. The regression depth target is exact, so the sigmas
    say so (log sigma_reg at the lower clip, log sigma_geo 0): Eq. 12 then keeps Z_reg."""
    import torch

    def predict(feats, batch_data_samples, test_cfg={}):
        out = {k: torch.stack([maps[int(d.metainfo['img_id'])][k] for d in batch_data_samples])
               for k in MAP_KEYS}
        zeros = torch.zeros_like(out['root_depth'])
        out.update(log_sigma_reg=zeros + head.log_sigma_range[0], log_sigma_geo=zeros)
        return head.predict_from_outputs(out, batch_data_samples, test_cfg)

    head.predict = predict
    try:
        yield head
    finally:
        del head.predict  # the class's method again


def perfect_map_metrics(runner, cfg) -> Dict[str, float]:
    """The codec's ceiling on the runner's test set: ``runner.test()`` with every image
    decoded from its own ground-truth targets (:func:`perfect_map_predictions`)."""
    from mmpose.registry import DATASETS
    ds_cfg = copy.deepcopy(cfg.test_dataloader.dataset)
    train_pipe = cfg.get('train_pipeline') or cfg.train_dataloader.dataset.pipeline
    ds_cfg['pipeline'] = no_aug_pipeline(train_pipe)
    ds_cfg.pop('indices', None)
    maps = target_maps(DATASETS.build(ds_cfg))
    from mmmar.evaluation.metrics import MuPoTSMetric
    evaluator = runner.test_loop.evaluator  # only the MuPoTS metric (no second dump)
    kept = evaluator.metrics
    evaluator.metrics = [m for m in kept if isinstance(m, MuPoTSMetric)]
    # no second set of pictures (--show-dir)
    shown = [h for h in runner.hooks if 'Visualization' in type(h).__name__ and
             getattr(h, 'enable', False)]
    for hook in shown:
        hook.enable = False
    try:
        with perfect_map_predictions(runner.model.head, maps):
            return runner.test()
    finally:
        evaluator.metrics = kept
        for hook in shown:
            hook.enable = True


def mean_pose_metrics(cfg) -> Dict[str, float]:
    """:func:`~mmmar.evaluation.functional.mean_pose_baseline` of the config's training split
    (the first annotation file of ``train_dataloader``) on its test split, as
    ``{'mupots/<key>': value}`` like the metric's."""
    from mmmar.evaluation.functional import load_mupots_gt, mean_pose_baseline
    train_file = ann_file_of(cfg.train_dataloader.dataset)
    test_file = ann_file_of(cfg.test_dataloader.dataset)
    for what, f in (('train_dataloader', train_file), ('test_dataloader', test_file)):
        if not f or not osp.isfile(f):
            raise FileNotFoundError(f'mean-pose baseline: the {what} annotation file {f!r} '
                                    'does not exist')
    test_frames, _, _ = load_mupots_gt(test_file)
    indices = cfg.test_dataloader.dataset.get('indices')
    if isinstance(indices, int):  # the first N images, as the dataset's `indices`
        keep = {iid for frames in test_frames.values() for iid in frames}
        keep = set(sorted(keep)[:indices])
        test_frames = {s: {i: f for i, f in fr.items() if i in keep}
                       for s, fr in test_frames.items()}
    res = mean_pose_baseline(load_mupots_gt(train_file)[0], test_frames)
    return {f'mupots/{k}': v for k, v in res.items() if isinstance(v, (int, float))}


def format_rows(rows, keys=ROW_KEYS, width=16) -> str:
    """A table of ``rows = [(name, metrics), ...]`` (metrics with or without the
    ``'mupots/'`` prefix; missing values print as n/a)."""
    def get(m, k):
        v = m.get(k, m.get(f'mupots/{k}')) if m else None
        return f'{"n/a":>{width}}' if v is None else f'{float(v):{width}.1f}'
    w0 = max(24, max(len(n) for n, _ in rows) + 2)
    lines = [f'{"":{w0}s}' + ''.join(f'{k:>{width}s}' for k in keys)]
    lines += [f'{n:{w0}s}' + ''.join(get(m, k) for k in keys) for n, m in rows]
    return '\n'.join(lines)


def baseline_rows(runner, cfg):
    """``[('mean-pose guess', metrics), ('perfect maps (ceiling)', metrics)]`` for the
    runner's test set; a row that cannot be computed carries ``{'error': reason}``."""
    rows = []
    for name, fn in (('mean-pose guess', lambda: mean_pose_metrics(cfg)),
                     ('perfect maps (ceiling)', lambda: perfect_map_metrics(runner, cfg))):
        try:
            rows.append((name, fn()))
        except (FileNotFoundError, KeyError, ValueError) as e:
            rows.append((name, {'error': str(e)}))
    return rows


def parse_args(argv=None):
    from mmengine.config import DictAction
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('--work-dir', default=osp.join('work_dirs', 'baselines'))
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                   help='key=value config overrides (as tools/test.py)')
    return p.parse_args(argv)


def main(argv=None):
    from mmengine.config import Config
    from mmengine.runner import Runner

    from mmmar.utils import prepare_runner_config, register_all_modules
    register_all_modules()
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    cfg.work_dir = args.work_dir
    prepare_runner_config(cfg, 'none')
    rows = baseline_rows(Runner.from_cfg(cfg), cfg)
    print(format_rows(rows))
    return rows


if __name__ == '__main__':
    main()
