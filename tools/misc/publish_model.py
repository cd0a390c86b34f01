"""Turn a training checkpoint into a release checkpoint (as mmpose's ``publish_model.py``):
weights only (no optimizer / scheduler state) plus ``meta``: the dataset meta, the iteration,
the repository-relative config path (``--config``; not the training run's config dump, which
holds the machine's paths), and ``training_data``, a record of what the model was trained on, which
:class:`mmmar.apis.MARInferencer` reads (it warns once when a model trained on synthetic data
only is run on other images).

    python tools/misc/publish_model.py work_dirs/v2_long/iter_15000.pth \\
        demo/checkpoints/mar_hrnet-small_synthetic-v2-256x256.pth \\
        --training-data synthetic --description "synthetic benchmark v2 (capsule figures), ..." \
        --config configs/mar_hrnet-small_synthetic-v2-long-256x256.py
"""
import argparse
import os.path as osp
import sys

import torch

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))

#: the kinds of training data a release checkpoint can record
DATA_KINDS = ('synthetic', 'real', 'mixed')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('in_file')
    p.add_argument('out_file')
    p.add_argument('--training-data', required=True, choices=DATA_KINDS,
                   help='what the model saw in training (synthetic: rendered figures only)')
    p.add_argument('--description', default='', help='one line on the training data / recipe')
    p.add_argument('--config', default=None,
                   help='the config that trained it, relative to the repository root')
    return p.parse_args(argv)


def publish(in_file: str, out_file: str, training_data: str, description: str = '',
            config: str = None) -> dict:
    """Write ``out_file`` from ``in_file`` (see the module doc); returns its ``meta``."""
    if training_data not in DATA_KINDS:
        raise ValueError(f'training_data must be one of {DATA_KINDS}, got {training_data!r}')
    ckpt = torch.load(in_file, map_location='cpu', weights_only=False)
    if 'state_dict' not in ckpt:
        raise KeyError(f'{in_file}: no "state_dict" (not an mmengine checkpoint?)')
    old = ckpt.get('meta') or {}
    if config is not None and osp.isabs(config):
        raise ValueError(f'--config must be relative to the repository root, got {config!r}')
    meta = {k: old[k] for k in ('dataset_meta', 'iter', 'epoch', 'seed', 'mmengine_version')
            if k in old}
    meta['training_data'] = dict(kind=training_data, description=description)
    if config is not None:
        meta['config'] = config
    state = {k: v.detach().clone() for k, v in ckpt['state_dict'].items()}
    torch.save(dict(state_dict=state, meta=meta), out_file)
    return meta


def main(argv=None):
    a = parse_args(argv)
    meta = publish(a.in_file, a.out_file, a.training_data, a.description, a.config)
    print(f'{a.out_file}: {osp.getsize(a.out_file) / 2**20:.1f} MB, iteration '
          f'{meta.get("iter")}, training data: {meta["training_data"]}')


if __name__ == '__main__':
    main()
