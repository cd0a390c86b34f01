"""The published MuPoTS-3D rows (SMAP, MAR) are printed beside MuPoTS-3D results only."""
import importlib.util
import io
import json
import logging
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest

from mmmar.evaluation import MuPoTSMetric
from mmmar.evaluation.functional import (PUBLISHED_TABLE1, dump_predictions, format_table1,
                                         is_mupots3d, published_rows)
from mmmar.testing import mupots_json, person

ROOT = osp.join(osp.dirname(__file__), '..', '..')
RES = dict(PCK_rel_all=11.0, PCK_abs_all=12.0, PCK_root_all=13.0, PCOD_all=14.0,
           PCK_rel_matched=15.0, PCK_abs_matched=16.0)


def _published_shown(text):
    return 'SMAP (published)' in text or 'MAR (published)' in text or '76.2' in text


def test_is_mupots3d_names():
    for name in ('mupots3d', 'MuPoTS-3D', 'mupots', 'MUPOTS_3D'):
        assert is_mupots3d(name), name
    for name in (None, 'synthetic', 'muco3dhp', 'h36m', 'custom', ''):
        assert not is_mupots3d(name), name
    assert list(published_rows('mupots3d')) == list(PUBLISHED_TABLE1)
    assert published_rows('synthetic') == {}


@pytest.mark.parametrize('dataset', ['synthetic', 'custom', None])
def test_format_table1_hides_published_rows_beside_other_data(dataset):
    text = format_table1(RES, dataset=dataset)
    assert not _published_shown(text)
    lines = text.splitlines()
    assert f'measured on {dataset or "unknown data"}' in lines[0]
    assert lines[-1].startswith('ours')
    assert lines[-1].split('|')[1].split() == ['11.0', '12.0', '13.0', '14.0']
    # data rows: ours only
    assert [ln for ln in lines[3:] if '|' in ln] == [lines[-1]]


def test_format_table1_shows_published_rows_beside_mupots3d():
    for text in (format_table1(RES), format_table1(RES, dataset='mupots3d')):
        assert 'SMAP (published)' in text and 'MAR (published)' in text
        mar = [ln for ln in text.splitlines() if ln.startswith('MAR')][0]
        assert mar.split('|')[1].split() == ['76.2', '36.3', '48.9', '97.1']
        assert 'measured on' not in text


def _logged_table(metric, dataset_meta):
    """Run ``metric`` on one perfect prediction; return what it logged."""
    from mmengine.logging import MMLogger
    a = person(0, 4000)
    ann = dict(keypoints_img=a[1].tolist(), keypoints_cam=a[0].tolist(),
               keypoints_univ=a[0].tolist(), is_valid=1)
    sample = dict(img_id=0, seq_name='TS1', img_path='x/TS1/img_000000.jpg',
                  raw_ann_info=[ann],
                  pred_instances=dict(keypoints_3d=a[0][None].astype(np.float32),
                                      keypoints=a[1][None].astype(np.float32),
                                      bbox_scores=np.ones(1, np.float32)))
    metric.dataset_meta = dataset_meta
    logger = MMLogger.get_current_instance()
    buf = io.StringIO()
    handler = logging.StreamHandler(buf)
    handler.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        metric.process([], [sample])
        out = metric.evaluate(1)
    finally:
        logger.removeHandler(handler)
    assert out['mupots/PCK_rel_all'] == pytest.approx(100.)
    return buf.getvalue()


def test_metric_gates_published_rows_on_the_dataset(tmp_path):
    from mmmar.datasets import MARSyntheticDataset, MuPoTS3DDataset
    from mmmar.datasets.synthetic import generate_synthetic_dataset
    info = generate_synthetic_dataset(str(tmp_path), num_images=2, num_sequences=1,
                                      num_test_sequences=1, img_size=(64, 64), max_people=2)
    kw = dict(ann_file=info['test_json'], data_prefix=dict(img=info['img_dir'] + '/'),
              test_mode=True)
    synth_meta = MARSyntheticDataset(**kw).metainfo
    mupots_meta = MuPoTS3DDataset(**kw).metainfo  # same file read as MuPoTS-3D
    assert synth_meta['data_source'] == 'synthetic'
    assert mupots_meta['data_source'] == 'mupots3d'

    text = _logged_table(MuPoTSMetric(), synth_meta)
    assert 'measured on synthetic' in text and not _published_shown(text)
    text = _logged_table(MuPoTSMetric(), mupots_meta)
    assert 'SMAP (published)' in text and 'MAR (published)' in text
    # an explicit dataset_name wins; unknown data shows no published rows
    assert _published_shown(_logged_table(MuPoTSMetric(dataset_name='MuPoTS-3D'),
                                          synth_meta))
    assert not _published_shown(_logged_table(MuPoTSMetric(), None))


def _module(path, name):
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, path))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_test_tool_hook_gates_on_the_test_dataset():
    mod = _module('tools/test.py', 'mmmar_test_tool')
    logged = []
    for source, shown in (('synthetic', False), ('mupots3d', True)):
        dataset = SimpleNamespace(metainfo=dict(data_source=source))
        runner = SimpleNamespace(
            _test_loop=SimpleNamespace(dataloader=SimpleNamespace(dataset=dataset)),
            logger=SimpleNamespace(info=logged.append))
        assert mod.data_source_of_test_set(runner) == source
        mod.PrintTable1Hook().after_test_epoch(
            runner, metrics={f'mupots/{k}': v for k, v in RES.items()})
        assert _published_shown(logged[-1]) is shown
        assert logged[-1].splitlines()[-1].split('|')[1].split() == [
            '11.0', '12.0', '13.0', '14.0']


def test_offline_tool_on_synthetic_gt_hides_published_rows(tmp_path, capsys):
    from mmmar.datasets.synthetic import generate_synthetic_dataset
    info = generate_synthetic_dataset(str(tmp_path / 'synth'), num_images=2, num_sequences=1,
                                      num_test_sequences=1, img_size=(64, 64), max_people=2)
    gt = json.load(open(info['test_json']))
    recs = []
    for im in gt['images']:
        anns = [a for a in gt['annotations'] if a['image_id'] == im['id']]
        recs.append(dict(img_id=im['id'], seq_name=im['seq_name'], file_name=im['file_name'],
                         keypoints_3d=np.array([a['keypoints_cam'] for a in anns]),
                         keypoints=np.array([a['keypoints_img'] for a in anns])))
    pred = str(tmp_path / 'pred.json')
    dump_predictions(pred, recs)
    tool = _module('tools/analysis_tools/eval_mupots.py', 'mmmar_eval_mupots')
    assert tool.dataset_of_gt(info['test_json']) == 'synthetic'
    res = tool.main([pred, info['test_json']])
    text = capsys.readouterr().out
    assert res['PCK_rel_all'] == pytest.approx(100.)
    assert 'measured on synthetic' in text and not _published_shown(text)
    # --dataset overrides; a MuPoTS-style GT (no synthetic marker) shows them
    tool.main([pred, info['test_json'], '--dataset', 'mupots3d'])
    assert 'SMAP (published)' in capsys.readouterr().out
    other = str(tmp_path / 'mupots.json')
    with open(other, 'w') as f:
        json.dump(mupots_json({'TS1': {}}), f)
    assert tool.dataset_of_gt(other) == 'mupots3d'
