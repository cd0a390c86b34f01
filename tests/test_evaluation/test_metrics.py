"""MuPoTSMetric / H36MMetric through mmengine's BaseMetric interface."""
import json
import os.path as osp

import numpy as np
import pytest

from mmmar.evaluation import H36MMetric, MuPoTSMetric  # noqa: E402
from mmmar.evaluation.functional import load_predictions  # noqa: E402
from mmmar.testing import mupots_json, person  # noqa: E402


def _anns(people, valid=None, univ=True):
    valid = [1] * len(people) if valid is None else valid
    out = []
    for (p3, p2), v in zip(people, valid):
        a = dict(keypoints_img=p2.tolist(), keypoints_cam=(p3 + 7.0).tolist(), is_valid=v)
        if univ:
            a['keypoints_univ'] = p3.tolist()
        out.append(a)
    return out


def _sample(img_id, seq, gt_people, pred_people, univ=True, valid=None, with_gt=True):
    k3 = np.stack([p[0] for p in pred_people]) if pred_people else np.zeros((0, 17, 3))
    k2 = np.stack([p[1] for p in pred_people]) if pred_people else np.zeros((0, 17, 2))
    ds = dict(img_id=img_id, seq_name=seq, img_path=f'/data/MultiPersonTestSet/{seq}/'
              f'img_{img_id:06d}.jpg',
              pred_instances=dict(keypoints_3d=k3.astype(np.float32),
                                  keypoints=k2.astype(np.float32),
                                  bbox_scores=np.ones(len(k3), np.float32),
                                  root_depth=k3[:, 14, 2] if len(k3) else np.zeros(0)))
    if with_gt:
        ds['raw_ann_info'] = _anns(gt_people, valid, univ)
    return ds


def _run(metric, samples):
    metric.process([], samples)
    return metric.evaluate(len(samples))


def test_mupots_metric_raw_ann_info(tmp_path):
    a, b = person(-800, 4000), person(800, 5000)
    b_deep = (b[0] + [0, 0, 200.0], b[1])
    samples = [_sample(0, 'TS1', [a, b], [a, b_deep]),
               _sample(1, 'TS1', [a, b], [a]),
               _sample(2, 'TS2', [a, b], [a, b])]
    dump = str(tmp_path / 'dump' / 'pred.json')
    m = MuPoTSMetric(outfile_prefix=str(tmp_path / 'res'), dump_file=dump)
    out = _run(m, samples)
    for k in ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all', 'PCK_rel_matched',
              'PCK_abs_matched', 'AUC_rel_all', 'MPJPE_rel', 'MPJPE_abs'):
        assert f'mupots/{k}' in out, k
    # TS1: 4 people, 1 missed; abs: a, a right, b_deep wrong -> 2/4; TS2: 2/2
    assert out['mupots/PCK_rel_all'] == pytest.approx((75 + 100) / 2, rel=1e-5)
    assert out['mupots/PCK_abs_all'] == pytest.approx((50 + 100) / 2, rel=1e-5)
    assert out['mupots/PCK_abs_matched'] == pytest.approx((200 / 3 + 100) / 2, rel=1e-5)
    assert out['mupots/PCK_root_all'] == pytest.approx(100 * 4 / 6, rel=1e-5)
    rep = json.load(open(str(tmp_path / 'res') + '.mupots_eval.json'))
    assert set(rep['per_sequence']) == {'TS1', 'TS2'}
    assert rep['config']['gt_3d_source']['keypoints_univ'] == 3
    recs = load_predictions(dump)
    assert [r['img_id'] for r in recs] == [0, 1, 2]
    assert recs[0]['seq_name'] == 'TS1' and recs[0]['file_name'] == 'TS1/img_000000.jpg'


def test_mupots_metric_uses_univ_else_cam():
    a = person(0, 4000)
    # keypoints_cam = univ + 7 mm: with univ the score is exact, with cam MPJPE_abs = 7*sqrt3
    out = _run(MuPoTSMetric(), [_sample(0, 'TS1', [a], [a], univ=True)])
    assert out['mupots/MPJPE_abs'] == pytest.approx(0, abs=1e-3)
    out = _run(MuPoTSMetric(), [_sample(0, 'TS1', [a], [a], univ=False)])
    assert out['mupots/MPJPE_abs'] == pytest.approx(7 * np.sqrt(3), rel=1e-4)


def test_mupots_metric_ann_file_counts_frames_without_prediction(tmp_path):
    a, b = person(-800, 4000), person(800, 5000)
    gt = {'TS1': {0: dict(keypoints_3d=np.stack([a[0], b[0]]),
                          keypoints_2d=np.stack([a[1], b[1]])),
                  1: dict(keypoints_3d=a[0][None], keypoints_2d=a[1][None])}}
    ann = str(tmp_path / 'mupots.json')
    with open(ann, 'w') as f:
        json.dump(mupots_json(gt), f)
    m = MuPoTSMetric(ann_file=ann, work_dir=str(tmp_path / 'wd'))
    out = _run(m, [_sample(0, 'TS1', None, [a, b], with_gt=False)])  # frame 1 never seen
    assert out['mupots/PCK_rel_all'] == pytest.approx(100 * 2 / 3, rel=1e-5)
    assert out['mupots/PCK_rel_matched'] == pytest.approx(100, rel=1e-5)
    assert osp.exists(str(tmp_path / 'wd' / 'mupots_eval.json'))
    assert m.last_results['counts']['num_frames_without_prediction'] == 1
    # an image id the ground truth lacks
    m = MuPoTSMetric(ann_file=ann)
    with pytest.raises(ValueError, match='ground truth lacks'):
        _run(m, [_sample(7, 'TS1', None, [a], with_gt=False)])


def test_mupots_metric_bad_inputs():
    a = person()
    bad = _sample(0, 'TS1', [a], [a])
    bad['pred_instances']['keypoints_3d'] = np.zeros((1, 15, 3))
    bad['pred_instances']['keypoints'] = np.zeros((1, 15, 2))
    with pytest.raises(ValueError, match='17'):
        MuPoTSMetric().process([], [bad])
    # 3D joints under 'keypoints' (the naming before issue 22): refused, naming the field
    old = _sample(0, 'TS1', [a], [a])
    old['pred_instances']['keypoints'] = old['pred_instances'].pop('keypoints_3d')
    with pytest.raises(ValueError, match=r'pred_instances\.keypoints must be \(N, 17, 2\)'):
        MuPoTSMetric().process([], [old])
    nan = _sample(0, 'TS1', [a], [a])
    nan['pred_instances']['keypoints_3d'][0, 3, 0] = np.nan
    m = MuPoTSMetric()
    m.process([], [nan])
    with pytest.raises(ValueError, match='NaN'):
        m.evaluate(1)
    no_gt = _sample(0, 'TS1', [a], [a], with_gt=False)
    with pytest.raises(KeyError, match='raw_ann_info'):
        MuPoTSMetric().process([], [no_gt])


def test_mupots_metric_nobody_matched_no_nan():
    a = person()
    out = _run(MuPoTSMetric(), [_sample(0, 'TS1', [a], [])])
    assert out['mupots/PCK_rel_all'] == 0
    assert 'mupots/PCK_rel_matched' not in out  # undefined: left out, reason logged
    assert all(np.isfinite(v) for v in out.values())


def test_rescale_option_off():
    a3, a2 = person(0, 4000)
    big = a3[14] + 1.5 * (a3 - a3[14])
    s = [_sample(0, 'TS1', [(a3, a2)], [(big, a2)])]
    assert _run(MuPoTSMetric(), s)['mupots/PCK_rel_all'] == pytest.approx(100)
    s = [_sample(0, 'TS1', [(a3, a2)], [(big, a2)])]
    assert _run(MuPoTSMetric(rescale_bones=False), s)['mupots/PCK_rel_all'] == \
        pytest.approx(100 * 4 / 14, rel=1e-5)


def test_h36m_metric():
    g3, g2 = person(0, 4000)
    near = (g3 + [3.0, 4.0, 12.0], g2 + 1)
    far = (g3 + [500.0, 0, 0], g2 + 400)
    ds = dict(img_id=0, raw_ann_info=[dict(keypoints_cam=g3.tolist(),
                                           keypoints_img=g2.tolist())],
              pred_instances=dict(keypoints_3d=np.stack([far[0], near[0]]),
                                  keypoints=np.stack([far[1], near[1]]),
                                  bbox_scores=np.array([0.9, 0.5])))
    ds_gi = dict(img_id=1, gt_instances=dict(keypoints_cam=g3[None], keypoints=g2[None]),
                 pred_instances=dict(keypoints_3d=near[0][None],
                                     keypoints=near[1][None]))
    empty = dict(img_id=2, gt_instances=dict(keypoints_cam=g3[None], keypoints=g2[None]),
                 pred_instances=dict(keypoints_3d=np.zeros((0, 17, 3)),
                                     keypoints=np.zeros((0, 17, 2))))
    m = H36MMetric()
    m.process([], [ds, ds_gi, empty])
    out = m.evaluate(3)
    assert out['h36m/MRPE'] == pytest.approx(13.0)
    assert out['h36m/MRPE_x'] == pytest.approx(3.0)
    assert out['h36m/MRPE_y'] == pytest.approx(4.0)
    assert out['h36m/MRPE_z'] == pytest.approx(12.0)
    assert out['h36m/MPJPE'] == pytest.approx(0.0, abs=1e-6)
    assert out['h36m/miss_rate'] == pytest.approx(100 / 3)


def test_h36m_metric_gt_instances_in_input_pixels_two_predictions():
    """gt_instances.keypoints are network-input px; the predictions' 2D are original px.
    The input affine (2048x2048 -> 832x512 fit, centred pad: scale 1/4, shift 160 px) puts
    the GT person's input-px pose right onto another predicted person's original-px pose."""
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample
    g3, g2 = person(0, 4000)  # pelvis at original px (1000, 1000)
    A = np.array([[0.25, 0., 160.], [0., 0.25, -0.375]])
    g2_input = g2 @ A[:, :2].T + A[:, 2]  # pelvis at input px (410, 249.625)
    near = (g3 + [3.0, 4.0, 12.0], g2 + 1)  # the GT person, original px
    other = person(-2360, 4000, -3000)  # a second person; pelvis at original px (410, 250)
    assert np.abs(other[1][14] - g2_input[14]).max() < 1
    for order in ((other, near), (near, other)):
        k3 = np.stack([p[0] for p in order]).astype(np.float32)
        k2 = np.stack([p[1] for p in order]).astype(np.float32)
        sample = PoseDataSample(metainfo=dict(img_id=0, input_affine=A))
        sample.gt_instances = InstanceData(keypoints_cam=g3[None], keypoints=g2_input[None])
        sample.pred_instances = InstanceData(keypoints_3d=k3, keypoints=k2,
                                             bbox_scores=np.ones(2, np.float32))
        # both forms: the data sample itself and mmengine's Evaluator's to_dict() form
        for ds in (sample, sample.to_dict()):
            m = H36MMetric()
            m.process([], [ds])
            out = m.evaluate(1)
            assert out['h36m/MRPE'] == pytest.approx(13.0, abs=1e-3)
            assert (out['h36m/MRPE_x'], out['h36m/MRPE_y'], out['h36m/MRPE_z']) == \
                pytest.approx((3.0, 4.0, 12.0), abs=1e-3)
            assert out['h36m/miss_rate'] == 0


def test_registered():
    from mmpose.registry import METRICS
    assert METRICS.get('MuPoTSMetric') is MuPoTSMetric
    assert METRICS.get('H36MMetric') is H36MMetric


def test_dump_metric_for_tools_test(tmp_path):
    from mmpose.registry import METRICS

    from mmmar.evaluation import MARDumpPredictions
    a, b = person(-800, 4000), person(800, 5000)
    path = str(tmp_path / 'out' / 'pred.json')
    m = METRICS.build(dict(type='MARDumpPredictions', out_file_path=path))
    assert isinstance(m, MARDumpPredictions)
    samples = [_sample(3, 'TS1', [a, b], [a, b], with_gt=False),
               _sample(4, 'TS1', [a], [], with_gt=False)]
    assert _run(m, samples) == {}
    recs = load_predictions(path)
    assert [r['img_id'] for r in recs] == [3, 4]
    assert recs[0]['keypoints_3d'].shape == (2, 17, 3)
    assert recs[1]['keypoints_3d'].shape == (0, 17, 3)
    assert recs[0]['keypoints'].shape == (2, 17, 2) and recs[1]['keypoints'].shape == (0, 17, 2)
    np.testing.assert_allclose(recs[0]['keypoints'], np.stack([a[1], b[1]]), rtol=1e-6)
    with pytest.raises(ValueError, match='.json'):
        MARDumpPredictions(out_file_path=str(tmp_path / 'x.pkl'))
