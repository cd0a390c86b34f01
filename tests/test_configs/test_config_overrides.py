"""Explicit overrides win over what :func:`mmmar.utils.sync_config` propagates: a
``--cfg-options`` of ``tools/test.py`` reaches the built head and the built dataloader."""
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config

from mmmar.utils import sync_config

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
MAIN = osp.join(ROOT, 'configs', 'mar_hrnet-w32_muco.py')
SMALL = osp.join(ROOT, 'configs', 'mar_hrnet-small_synthetic-256x256.py')


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(f'_mar_tool_{name}',
                                                  osp.join(ROOT, 'tools', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_sync_config_keeps_explicit_overrides():
    cfg = Config.fromfile(MAIN)
    overrides = {'model.head.decoder.decode_root_thr': 0.3,
                 'test_dataloader.dataset.pipeline.0.on_corrupt': 'skip',
                 'val_pipeline.2.pad_val': 7}
    cfg.merge_from_dict(overrides)  # what tools/test.py's merge_args does first
    sync_config(cfg, overrides)
    assert cfg.model.head.decoder.decode_root_thr == 0.3
    # the codec is still propagated into the decoder
    assert tuple(cfg.model.head.decoder.input_size) == (832, 512)
    assert cfg.model.head.decoder.type == 'MARCodec'
    assert cfg.test_dataloader.dataset.pipeline[0]['on_corrupt'] == 'skip'
    # an override of a top-level pipeline reaches its dataloader
    assert cfg.val_dataloader.dataset.pipeline[2]['pad_val'] == 7
    assert cfg.val_dataloader.dataset.pipeline[0]['on_corrupt'] == 'raise'
    # an overridden codec still reaches every derived place, next to the explicit ones
    cfg = Config.fromfile(MAIN)
    overrides = {'codec.input_size': (640, 384), 'codec.heatmap_size': (160, 96),
                 'model.head.decoder.decode_root_thr': 0.3}
    cfg.merge_from_dict(overrides)
    sync_config(cfg, overrides)
    assert tuple(cfg.model.head.decoder.input_size) == (640, 384)
    assert cfg.model.head.decoder.decode_root_thr == 0.3
    for t in cfg.test_dataloader.dataset.pipeline:
        if 'input_size' in t:
            assert tuple(t['input_size']) == (640, 384)


def test_child_config_decoder_option_survives_sync(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(f"_base_ = ['{MAIN}']\n"
                     'model = dict(head=dict(decoder=dict(decode_root_thr=0.25)))\n'
                     'codec = dict(input_size=(640, 384), heatmap_size=(160, 96))\n')
    cfg = sync_config(Config.fromfile(str(child)))
    assert cfg.model.head.decoder.decode_root_thr == 0.25
    assert tuple(cfg.model.head.decoder.input_size) == (640, 384)


def test_tools_test_cfg_options_reach_head_and_dataloader(tmp_path, monkeypatch):
    """``tools/test.py`` up to the built Runner (its ``test()`` is replaced: no checkpoint,
    no loop); the head and the dataloader are built from the final config."""
    from mmengine.runner import Runner

    from mmmar.datasets.synthetic import generate_synthetic_dataset
    data_root = str(tmp_path / 'synthetic') + '/'
    generate_synthetic_dataset(data_root, num_images=2, num_sequences=2, num_test_sequences=1,
                               img_size=(64, 64), min_people=1, max_people=1, seed=0)
    seen = {}

    def fake_test(runner):
        seen['thr'] = runner.model.head.decoder.decode_root_thr
        loader = runner.build_dataloader(runner._test_dataloader)
        seen['load'] = loader.dataset.pipeline.transforms[0]
        return {}

    monkeypatch.setattr(Runner, 'test', fake_test)
    tool = _load_tool('test')
    tool.main([SMALL, 'no_checkpoint.pth', '--work-dir', str(tmp_path / 'work'),
               '--cfg-options', 'model.head.decoder.decode_root_thr=0.3',
               'test_dataloader.dataset.pipeline.0.on_corrupt=skip',
               f'test_dataloader.dataset.data_root={data_root}',
               'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
               'randomness.seed=0'])
    assert seen['thr'] == pytest.approx(0.3)
    assert type(seen['load']).__name__ == 'MARLoadImage'
    assert seen['load'].on_corrupt == 'skip'
