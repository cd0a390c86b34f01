"""Config inheritance, mmpose's way: a child that changes the codec states what depends on it;
one that does not is refused by :func:`mmmar.utils.check_config` (naming both values) and, at
run time, by the head."""
import os.path as osp

import pytest
from mmengine.config import Config

from mmmar.utils import check_config

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
MAIN = osp.join(ROOT, 'configs', 'mar_hrnet-w32_muco.py')


def _transforms(pipeline, type_name):
    return [t for t in pipeline if t['type'] == type_name]


def _all_input_sizes(cfg):
    """Every input size a data pipeline or the head's decoder of ``cfg`` will use."""
    sizes = {tuple(cfg.model.head.decoder.input_size)}
    pipelines = [
        cfg.train_dataloader.dataset.pipeline,
        cfg.val_dataloader.dataset.pipeline,
        cfg.test_dataloader.dataset.pipeline,
    ]
    for p in pipelines:
        for t in p:
            if 'input_size' in t:
                sizes.add(tuple(t['input_size']))
            if t['type'] == 'GenerateTarget':
                sizes.add(tuple(t['encoder']['input_size']))
    return sizes


def test_main_config_is_self_consistent():
    cfg = Config.fromfile(MAIN)
    check_config(cfg)
    assert cfg.default_scope == 'mmpose'
    assert 'mmmar.models' in cfg.custom_imports['imports']
    assert _all_input_sizes(cfg) == {(832, 512)}
    # paper setting
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.optim_wrapper.optimizer.lr == 5e-4
    assert cfg.optim_wrapper.optimizer.weight_decay == 1e-6
    assert cfg.train_cfg.max_iters == 50000
    assert cfg.train_dataloader.batch_size * 4 == 32
    assert cfg.train_dataloader.sampler.source_ratio == [1, 1]
    assert cfg.model.backbone.init_cfg.checkpoint.endswith('hrnet_w32-36af842e.pth')


def test_child_changing_only_the_codec_is_refused(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(f"_base_ = ['{MAIN}']\n"
                     'codec = dict(input_size=(640, 384), heatmap_size=(160, 96))\n')
    raw = Config.fromfile(str(child))
    # what mmengine gives: the merged codec, the base's copies elsewhere
    assert tuple(raw.codec.input_size) == (640, 384)
    assert (832, 512) in _all_input_sizes(raw)
    with pytest.raises(ValueError) as err:
        check_config(raw)
    msg = str(err.value)
    assert 'model.head.decoder.input_size=(832, 512)' in msg
    assert 'codec.input_size=(640, 384)' in msg


def test_child_stating_the_codec_everywhere_resolves(tmp_path):
    child = tmp_path / 'child.py'
    child.write_text(
        f"_base_ = ['{MAIN}']\n"
        "codec = dict(type='MARCodec', input_size=(640, 384), heatmap_size=(160, 96))\n"
        'model = dict(head=dict(decoder=codec))\n'
        'train_pipeline = [dict(type="MARLoadImage"), '
        'dict(type="MARRandomAffine", input_size=codec["input_size"]), '
        'dict(type="GenerateTarget", encoder=codec), dict(type="PackPoseInputs")]\n'
        'val_pipeline = [dict(type="MARLoadImage"), '
        'dict(type="MARResizePad", input_size=codec["input_size"]), '
        'dict(type="PackPoseInputs")]\n'
        'train_dataloader = dict(dataset=dict(pipeline=train_pipeline))\n'
        'val_dataloader = dict(dataset=dict(pipeline=val_pipeline))\n'
        'test_dataloader = val_dataloader\n')
    cfg = Config.fromfile(str(child))
    check_config(cfg)
    assert _all_input_sizes(cfg) == {(640, 384)}
    gen = _transforms(cfg.train_dataloader.dataset.pipeline, 'GenerateTarget')[0]
    assert tuple(gen['encoder']['heatmap_size']) == (160, 96)
    assert gen['encoder']['type'] == 'MARCodec'
    assert tuple(cfg.model.head.decoder.heatmap_size) == (160, 96)
    # untouched keys keep the base values
    assert cfg.optim_wrapper.optimizer.lr == 5e-4


def test_child_with_a_stale_pipeline_is_refused_with_its_place(tmp_path):
    child = tmp_path / 'child_pipe.py'
    child.write_text(
        f"_base_ = ['{MAIN}']\n"
        "val_pipeline = [dict(type='MARLoadImage'), "
        "dict(type='MARResizePad', input_size=(100, 100)), dict(type='PackPoseInputs')]\n")
    cfg = Config.fromfile(str(child))
    with pytest.raises(ValueError, match=r'val_pipeline\[1\]\(MARResizePad\)\.input_size'):
        check_config(cfg)


def test_small_cpu_config_inherits_and_resolves():
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'mar_hrnet-small_synthetic-256x256.py'))
    check_config(cfg)
    assert _all_input_sizes(cfg) == {(256, 256)}
    assert cfg.model.backbone.init_cfg is None
    # inherited unchanged from the paper setting
    assert cfg.optim_wrapper.optimizer.type == 'Adam'
    assert cfg.model.head.type == 'MARHead'
    assert cfg.train_dataloader.dataset.type == 'MARSyntheticDataset'


def test_h36m_config_swaps_data_and_metric_only():
    main = Config.fromfile(MAIN)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'mar_hrnet-w32_h36m.py'))
    check_config(cfg)
    types = [d['type'] for d in cfg.train_dataloader.dataset.datasets]
    assert types == ['H36MMARDataset', 'CocoMARDataset']
    assert cfg.train_dataloader.sampler.source_ratio == [1, 1]
    assert cfg.test_dataloader.dataset.type == 'H36MMARDataset'
    assert cfg.test_dataloader.dataset.test_mode is True
    assert cfg.test_evaluator.type == 'H36MMetric'
    assert _all_input_sizes(cfg) == {(832, 512)}
    assert cfg.model == main.model and cfg.optim_wrapper == main.optim_wrapper
