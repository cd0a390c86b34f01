"""Dump format round trip and the offline tool (tools/analysis_tools/eval_mupots.py)."""
import importlib.util
import json
import os.path as osp

import numpy as np
import pytest

from mmmar.evaluation.functional import (dump_predictions, evaluate_mupots, format_table1,
                                         load_mupots_gt, load_predictions, mean_pose_baseline,
                                         predictions_to_frames)
from mmmar.testing import gt_frame, mupots_json, person, pred_frame

TOOL = osp.join(osp.dirname(__file__), '..', '..', 'tools', 'analysis_tools',
                'eval_mupots.py')


def _tool():
    spec = importlib.util.spec_from_file_location('eval_mupots_tool', TOOL)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _scene():
    a, b = person(-800, 4000), person(800, 5200)
    gt = {'TS1': {10: gt_frame([a, b]), 11: gt_frame([a, b], valid=[1, 0])},
          'TS2': {20: gt_frame([a]), 21: gt_frame([b])}}
    preds = {10: [a, (b[0] + [0, 0, 180.0], b[1])], 11: [a, b], 20: [], 21: [b]}
    records = []
    for iid, people in preds.items():
        pf = pred_frame(people)
        records.append(dict(img_id=iid, keypoints=pf['keypoints_2d'],
                            keypoints_3d=pf['keypoints_3d'],
                            scores=np.ones(len(people))))
    return gt, records


def test_load_mupots_gt_prefers_univ():
    gt, _ = _scene()
    data = mupots_json(gt)
    frames, index, sources = load_mupots_gt(data)
    assert list(frames) == ['TS1', 'TS2'] and index[20] == ('TS2', 'TS2/img_000000.jpg')
    assert sources == {'keypoints_univ': 4, 'keypoints_cam': 0}
    np.testing.assert_allclose(frames['TS1'][10]['keypoints_3d'], gt['TS1'][10]['keypoints_3d'])
    assert frames['TS1'][11]['valid'].tolist() == [True, False]
    frames_cam, _, sources = load_mupots_gt(data, prefer_univ=False)
    assert sources['keypoints_cam'] == 4
    np.testing.assert_allclose(frames_cam['TS1'][10]['keypoints_3d'],
                               gt['TS1'][10]['keypoints_3d'] + 7.0)


@pytest.mark.parametrize('suffix', ['.json', '.json.gz'])
def test_dump_round_trip_and_rescore(tmp_path, suffix):
    gt, records = _scene()
    path = str(tmp_path / ('pred' + suffix))
    dump_predictions(path, records, meta=dict(note='test'))
    back = load_predictions(path)
    assert [r['img_id'] for r in back] == [10, 11, 20, 21]
    for r0, r1 in zip(records, back):
        np.testing.assert_array_equal(r0['keypoints_3d'], r1['keypoints_3d'])  # exact
        np.testing.assert_array_equal(r0['keypoints'], r1['keypoints'])
        assert r1['keypoints'].shape == (len(r0['keypoints_3d']), 17, 2)
    frames, index, _ = load_mupots_gt(mupots_json(gt))
    res_file = evaluate_mupots(frames, predictions_to_frames(back, index))
    res_direct = evaluate_mupots(gt, {'TS1': {10: dict(keypoints_3d=records[0]['keypoints_3d'],
                                                       keypoints_2d=records[0]['keypoints']),
                                              11: dict(keypoints_3d=records[1]['keypoints_3d'],
                                                       keypoints_2d=records[1]['keypoints'])},
                                      'TS2': {21: dict(keypoints_3d=records[3]['keypoints_3d'],
                                                       keypoints_2d=records[3]['keypoints'])}})
    for k in ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all', 'PCK_abs_matched'):
        assert res_file[k] == pytest.approx(res_direct[k]), k
    # TS1: 2 people scored (frame 11's B invalid -> its detection is a FP), B 180 mm deep
    # -> abs: A 14/14 twice, B 0 -> TS1 = 2/3; TS2: frame 20 missed, 21 right -> 1/2
    assert res_file['PCK_abs_all'] == pytest.approx((200 / 3 + 50) / 2)


def test_dump_rejects_bad_records(tmp_path):
    a = person()
    with pytest.raises(ValueError, match='17'):
        dump_predictions(str(tmp_path / 'x.json'),
                         [dict(img_id=1, keypoints_3d=np.zeros((1, 16, 3)),
                               keypoints=np.zeros((1, 16, 2)))])
    with pytest.raises(ValueError, match='twice'):
        rec = dict(img_id=1, keypoints_3d=a[0][None], keypoints=a[1][None])
        dump_predictions(str(tmp_path / 'x.json'), [rec, rec])
    (tmp_path / 'other.json').write_text(json.dumps({'foo': 1}))
    with pytest.raises(ValueError, match='not an mmmar prediction dump'):
        load_predictions(str(tmp_path / 'other.json'))


def test_dump_names_and_version_1(tmp_path):
    """Version 2 names the 2D joints ``keypoints`` and the 3D ones ``keypoints_3d`` (those of
    pred_instances and the inferencer's JSON); a version-1 file (3D ``keypoints``, 2D
    ``keypoints_2d``) is read with the fields renamed, a record in version-1 naming and an
    unknown version are refused with messages that name the field / the file."""
    gt, records = _scene()
    path = tmp_path / 'v2.json'
    dump_predictions(str(path), records)
    data = json.loads(path.read_text())
    assert data['version'] == 2
    assert data['units'] == dict(keypoints='px, original image',
                                 keypoints_3d='mm, camera space of the original image')
    first = data['predictions'][0]
    assert np.asarray(first['keypoints']).shape == (2, 17, 2)
    assert np.asarray(first['keypoints_3d']).shape == (2, 17, 3)
    v1 = dict(data, version=1, units=dict(keypoints='mm, camera space of the original image',
                                          keypoints_2d='px, original image'))
    v1['predictions'] = [
        {**{k: v for k, v in r.items() if k not in ('keypoints', 'keypoints_3d')},
         'keypoints': r['keypoints_3d'], 'keypoints_2d': r['keypoints']}
        for r in data['predictions']]
    (tmp_path / 'v1.json').write_text(json.dumps(v1))
    old, new = load_predictions(str(tmp_path / 'v1.json')), load_predictions(str(path))
    for a, b in zip(old, new):
        assert set(a) == set(b)
        for k in ('keypoints', 'keypoints_3d'):
            np.testing.assert_array_equal(a[k], b[k])
    with pytest.raises(KeyError, match='keypoints_2d'):
        dump_predictions(str(tmp_path / 'x.json'),
                         [dict(img_id=1, keypoints=np.zeros((0, 17, 3)),
                               keypoints_2d=np.zeros((0, 17, 2)))])
    (tmp_path / 'v9.json').write_text(json.dumps(dict(data, version=9)))
    with pytest.raises(ValueError, match=r'v9\.json: unsupported dump version 9'):
        load_predictions(str(tmp_path / 'v9.json'))


def test_prediction_for_unknown_image_raises():
    gt, records = _scene()
    _, index, _ = load_mupots_gt(mupots_json(gt))
    bad = records + [dict(img_id=999, keypoints=records[0]['keypoints'],
                          keypoints_3d=records[0]['keypoints_3d'])]
    with pytest.raises(ValueError, match='ground truth lacks'):
        predictions_to_frames(bad, index)


def test_offline_tool_prints_table1(tmp_path, capsys):
    gt, records = _scene()
    pred_path, gt_path = str(tmp_path / 'pred.json'), str(tmp_path / 'gt.json')
    dump_predictions(pred_path, records)
    with open(gt_path, 'w') as f:
        json.dump(mupots_json(gt), f)
    out_path = str(tmp_path / 'rep' / 'report.json')
    res = _tool().main([pred_path, gt_path, '--out', out_path])
    text = capsys.readouterr().out
    assert 'MAR (published)' in text and 'SMAP (published)' in text and 'ours' in text
    assert '76.2' in text and '73.5' in text and '39.5' in text
    assert f'{res["PCK_abs_all"]:.1f}' in text
    rep = json.load(open(out_path))
    assert rep['PCK_abs_all'] == pytest.approx(res['PCK_abs_all'])
    assert set(rep['per_sequence']) == {'TS1', 'TS2'}
    assert 'head_top' in rep['per_joint']['PCK_rel_all']
    no_rescale = _tool().main([pred_path, gt_path, '--no-rescale'])
    assert no_rescale['config']['rescale_bones'] is False


def test_offline_tool_baseline_and_keypoint_ap(tmp_path, capsys):
    """--train-gt prints the mean-pose guess (= the functional baseline); --keypoint-ap the 2D
    AP: the 5 predicted people have the exact 2D pose of 5 of the 6 annotated people, so
    recall is 5/6 at every OKS threshold and precision 1 up to it (AP = 84 of COCO's 101
    recall points)."""
    gt, records = _scene()
    pred_path, gt_path = str(tmp_path / 'pred.json'), str(tmp_path / 'gt.json')
    dump_predictions(pred_path, records)
    with open(gt_path, 'w') as f:
        json.dump(mupots_json(gt), f)
    res = _tool().main([pred_path, gt_path, '--train-gt', gt_path, '--keypoint-ap'])
    text = capsys.readouterr().out
    assert 'mean-pose guess' in text and 'COCO keypoint AP' in text
    frames = load_mupots_gt(gt_path)[0]
    ref = mean_pose_baseline(frames, frames)
    for k in ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'MPJPE_rel'):
        assert res['mean_pose_guess'][k] == pytest.approx(ref[k]), k
    assert res['keypoint_ap_2d']['AR'] == pytest.approx(100 * 5 / 6)
    assert res['keypoint_ap_2d']['AP'] == pytest.approx(100 * 84 / 101)


def test_format_table1_layout():
    res = dict(PCK_rel_all=1.0, PCK_abs_all=2.0, PCK_root_all=3.0, PCOD_all=4.0,
               PCK_rel_matched=5.0, PCK_abs_matched=6.0)
    lines = format_table1(res).splitlines()
    assert lines[-1].split('|')[1].split() == ['1.0', '2.0', '3.0', '4.0']
    assert lines[-1].split('|')[2].split() == ['5.0', '6.0']
    mar = [ln for ln in lines if ln.startswith('MAR')][0]
    assert mar.split('|')[1].split() == ['76.2', '36.3', '48.9', '97.1']
    assert mar.split('|')[2].split() == ['81.5', '39.5']


def test_format_table1_accepts_mmengine_metric_dict():
    metrics = {'mupots/PCK_rel_all': 11.0, 'mupots/PCK_abs_all': 12.0,
               'mupots/PCK_root_all': 13.0, 'mupots/PCOD_all': 14.0,
               'mupots/PCK_rel_matched': 15.0}
    last = format_table1(metrics).splitlines()[-1]
    assert last.split('|')[1].split() == ['11.0', '12.0', '13.0', '14.0']
    assert last.split('|')[2].split() == ['15.0', 'n/a']
