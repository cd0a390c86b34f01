"""``--cfg-options`` of ``tools/test.py`` reach the built head and the built dataloader as
given (nothing rewrites the config); an override that changes the codec alone is refused."""
import importlib.util
import os.path as osp

import pytest
from mmengine.config import Config

from mmmar.utils import check_config

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
MAIN = osp.join(ROOT, 'configs', 'mar_hrnet-w32_muco.py')
SMALL = osp.join(ROOT, 'configs', 'mar_hrnet-small_synthetic-256x256.py')


def _load_tool(name):
    spec = importlib.util.spec_from_file_location(f'_mar_tool_{name}',
                                                  osp.join(ROOT, 'tools', f'{name}.py'))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_decoder_only_overrides_pass_the_check():
    cfg = Config.fromfile(MAIN)
    cfg.merge_from_dict({'model.head.decoder.decode_root_thr': 0.3,
                         'test_dataloader.dataset.pipeline.0.on_corrupt': 'skip'})
    check_config(cfg)
    assert cfg.model.head.decoder.decode_root_thr == 0.3
    assert tuple(cfg.model.head.decoder.input_size) == (832, 512)


def test_codec_only_override_is_refused():
    cfg = Config.fromfile(MAIN)
    cfg.merge_from_dict({'codec.heatmap_size': (104, 64)})
    with pytest.raises(ValueError) as err:
        check_config(cfg)
    assert 'model.head.decoder.heatmap_size=(208, 128)' in str(err.value)
    assert 'codec.heatmap_size=(104, 64)' in str(err.value)


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
