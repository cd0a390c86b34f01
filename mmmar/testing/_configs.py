"""Small model configs for the tests."""


def _branches(num, block, channels, **kwargs):
    """One HRNet stage of one module with ``num`` branches of one block each."""
    return dict(num_modules=1, num_branches=num, block=block, num_blocks=(1, ) * num,
                num_channels=channels, **kwargs)


def tiny_hrnet(channels=(8, 16, 32, 64)):
    """A tiny 4-branch HRNet backbone config (random init, CPU-fast).

    Args:
        channels (tuple[int]): Channels of the four branches.

    Returns:
        dict: The ``backbone`` config.
    """
    c = channels
    return dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=_branches(1, 'BOTTLENECK', (8, )),
            stage2=_branches(2, 'BASIC', c[:2]),
            stage3=_branches(3, 'BASIC', c[:3]),
            stage4=_branches(4, 'BASIC', c, multiscale_output=True)),
        init_cfg=None)


def _walk_pipelines(cfg):
    """Every pipeline list of ``cfg``: the top-level ``*_pipeline`` and those of the
    dataloaders' datasets (wrapped datasets included)."""
    def of_dataset(ds):
        if not isinstance(ds, dict):
            return
        if isinstance(ds.get('pipeline'), list):
            yield ds['pipeline']
        for key in ('dataset', 'datasets'):
            inner = ds.get(key)
            for d in (inner if isinstance(inner, list) else [inner]):
                yield from of_dataset(d)

    for key in ('train_pipeline', 'val_pipeline', 'test_pipeline'):
        if isinstance(cfg.get(key), list):
            yield cfg[key]
    for key in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if isinstance(cfg.get(key), dict):
            yield from of_dataset(cfg[key].get('dataset'))


def restate_codec(cfg, **changes):
    """Change a loaded MAR config's codec and state it again wherever it is used, in place.

    What a child config does by hand (``docs/design.md``): ``changes`` (e.g. ``input_size``,
    ``heatmap_size``, decode thresholds) go into ``cfg.codec``, ``model.head.decoder`` and every
    ``GenerateTarget`` encoder; a new ``input_size`` into every transform that has one.

    Args:
        cfg (Config): A loaded config with ``codec`` and ``model.head.decoder``.
        **changes: Codec fields and their new values.

    Returns:
        Config: ``cfg``.
    """
    cfg.codec.update(changes)
    cfg.model.head.decoder.update(changes)
    for pipeline in _walk_pipelines(cfg):
        for t in pipeline:
            if t.get('type') == 'GenerateTarget':
                t['encoder'].update(changes)
            if 'input_size' in t and 'input_size' in changes:
                t['input_size'] = tuple(changes['input_size'])
    return cfg
