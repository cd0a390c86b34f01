"""Every shipped config (configs/ and projects/*/configs/) is right as plain mmengine reads it:
its codec, model (head decoder included) and dataloaders (pipelines included) are those that
``sync_config`` of commit ff50cda made of the same config before it was removed
(``tests/data/configs/synced_ff50cda.json``, see ``tests/data/SOURCE.md``), and the built
decoder and transforms use the codec's input size."""
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config

from mmmar.testing import SHARED_DATA
from mmmar.utils import check_config

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
CONFIGS = sorted(
    osp.relpath(p, ROOT)
    for pattern in ('configs/*.py', 'configs/ablations/*.py', 'projects/*/configs/*.py')
    for p in glob.glob(osp.join(ROOT, pattern)))
PARTS = ('codec', 'model', 'train_dataloader', 'val_dataloader', 'test_dataloader')


def _reference():
    with open(osp.join(SHARED_DATA, 'configs', 'synced_ff50cda.json')) as f:
        return json.load(f)


def _as_json(cfg):
    return json.loads(json.dumps({k: cfg.to_dict().get(k) for k in PARTS}))


def test_the_reference_covers_every_shipped_config():
    assert sorted(_reference()) == CONFIGS


@pytest.mark.parametrize('path', CONFIGS)
def test_plain_config_is_the_formerly_synced_one(path):
    cfg = Config.fromfile(osp.join(ROOT, path), import_custom_modules=False)
    check_config(cfg)
    plain, synced = _as_json(cfg), _reference()[path]
    for part in PARTS:
        assert plain[part] == synced[part], (path, part)


@pytest.mark.parametrize('path', [
    'configs/mar_hrnet-small_synthetic-v2-256x256.py',
    'configs/ablations/mar_small-v2_probe_320.py',
])
def test_built_decoder_and_transforms_use_the_codec_size(path):
    """The issue's case: the 256x256 (320x320) configs built by plain mmengine / mmpose
    registries decode, encode and resize at their own size, not the base's 832x512."""
    from mmpose.registry import KEYPOINT_CODECS, TRANSFORMS

    from mmmar.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, path))
    size = tuple(cfg.codec.input_size)
    assert size != (832, 512)
    assert KEYPOINT_CODECS.build(cfg.model.head.decoder).input_size == size
    built = [TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline +
             cfg.test_dataloader.dataset.pipeline]
    sizes = {tuple(t.input_size) for t in built if hasattr(t, 'input_size')}
    sizes |= {tuple(t.encoder.input_size) for t in built if hasattr(t, 'encoder')}
    assert sizes == {size}
