"""The training-data record of a release checkpoint (tools/misc/publish_model.py) and the
inferencer's warning when a synthetic-only model meets other images."""
import json

import numpy as np
import pytest
import torch

from mmmar.apis.domain import is_synthetic_benchmark_image, synthetic_only_warning, training_data_of
from tools.misc.publish_model import publish

SYNTHETIC = dict(kind='synthetic', description='capsule figures')


def _synthetic_layout(root):
    """The generator's layout: <root>/annotations/synthetic_test.json, images/TS1/img.jpg."""
    (root / 'annotations').mkdir(parents=True)
    (root / 'annotations' / 'synthetic_test.json').write_text(json.dumps({'images': []}))
    (root / 'images' / 'TS1').mkdir(parents=True)
    img = root / 'images' / 'TS1' / 'img_000000.jpg'
    img.write_bytes(b'\xff\xd8')
    return str(img)


def test_synthetic_benchmark_images_are_recognised(tmp_path):
    img = _synthetic_layout(tmp_path / 'synthetic_v2')
    other = tmp_path / 'photos' / 'IMG_1.jpg'
    other.parent.mkdir()
    other.write_bytes(b'\xff\xd8')
    assert is_synthetic_benchmark_image(img)
    assert not is_synthetic_benchmark_image(str(other))
    assert not is_synthetic_benchmark_image(np.zeros((4, 4, 3), np.uint8))
    assert not is_synthetic_benchmark_image(str(tmp_path / 'missing.jpg'))
    # the warning: only for a synthetic-only model on other inputs
    assert synthetic_only_warning(SYNTHETIC, img) is None
    assert 'capsule figures' in synthetic_only_warning(SYNTHETIC, str(other))
    assert 'synthetic' in synthetic_only_warning(SYNTHETIC, np.zeros((4, 4, 3), np.uint8))
    assert synthetic_only_warning(dict(kind='real'), str(other)) is None
    assert synthetic_only_warning(None, str(other)) is None


def test_publish_keeps_weights_and_records_the_data(tmp_path):
    src, dst = str(tmp_path / 'iter_10.pth'), str(tmp_path / 'release.pth')
    state = {'w': torch.arange(6.).reshape(2, 3)}
    torch.save(dict(state_dict=state, optimizer={'state': {0: torch.ones(3)}},
                    meta=dict(iter=10, dataset_meta={'num_keypoints': 17}, hook_msgs={},
                              cfg=f"work_dir = '{tmp_path}/work'")), src)
    publish(src, dst, 'synthetic', 'capsule figures', config='configs/x.py')
    out = torch.load(dst, weights_only=False)
    assert set(out) == {'state_dict', 'meta'}
    # no machine path: the run's config dump is left out, the config named relatively
    assert 'cfg' not in out['meta'] and out['meta']['config'] == 'configs/x.py'
    assert str(tmp_path) not in repr(out['meta'])
    with pytest.raises(ValueError, match='relative'):
        publish(src, dst, 'synthetic', config='/abs/x.py')
    assert torch.equal(out['state_dict']['w'], state['w'])
    assert out['meta']['iter'] == 10 and out['meta']['dataset_meta'] == {'num_keypoints': 17}
    assert training_data_of(out) == SYNTHETIC
    assert training_data_of(dict(state_dict=state)) is None
    with pytest.raises(ValueError, match='training_data'):
        publish(src, dst, 'cartoons')


def test_inferencer_warns_once_for_a_synthetic_only_model(setup, tmp_path, monkeypatch):
    import mmmar.apis.inferencer as inferencer_module
    from mmmar.apis import MARInferencer
    logged = []
    monkeypatch.setattr(inferencer_module, 'print_log',
                        lambda msg, *a, **k: logged.append(str(msg)))
    ckpt = torch.load(setup['ckpt'], weights_only=False)
    ckpt['meta'] = dict(training_data=SYNTHETIC)
    path = str(tmp_path / 'synthetic_only.pth')
    torch.save(ckpt, path)
    inferencer = MARInferencer(model=setup['cfg'], weights=path, device='cpu')
    assert inferencer.training_data == SYNTHETIC
    for _ in inferencer([setup['people'], setup['nobody']]):
        pass
    for _ in inferencer(setup['people']):
        pass
    assert sum('trained only on synthetic' in m for m in logged) == 1
    # a model without the record: no warning
    logged.clear()
    plain = MARInferencer(model=setup['cfg'], weights=setup['ckpt'], device='cpu')
    for _ in plain(setup['people']):
        pass
    assert not any('trained only on synthetic' in m for m in logged)
