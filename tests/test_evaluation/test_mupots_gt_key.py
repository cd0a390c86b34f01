"""The MuPoTS universal 3D ground truth: ``keypoints_univ`` in the data contract, MuPoTS's own
``univ_annot3`` accepted on input by the dataset and the metric alike."""
import json

import numpy as np
import pytest

from mmmar.evaluation import MuPoTSMetric
from mmmar.evaluation.functional import gt_frame_from_anns, load_mupots_gt
from mmmar.testing import person


def _ann(p3, p2, key, aid=0, image_id=0):
    # keypoints_cam = universal + 7 mm, so that the scored 3D source is visible in MPJPE_abs
    a = dict(id=aid, image_id=image_id, keypoints_img=p2.tolist(),
             keypoints_cam=(p3 + 7.0).tolist(), bbox=[0, 0, 10, 10])
    if key:
        a[key] = p3.tolist()
    return a


def _sample(img_id, people, anns=None):
    k3 = np.stack([p[0] for p in people]).astype(np.float32)
    k2 = np.stack([p[1] for p in people]).astype(np.float32)
    ds = dict(img_id=img_id, seq_name='TS1', img_path=f'TS1/img_{img_id:06d}.jpg',
              pred_instances=dict(keypoints_3d=k3, keypoints=k2,
                                  bbox_scores=np.ones(len(k3), np.float32),
                                  root_depth=k3[:, 14, 2]))
    if anns is not None:
        ds['raw_ann_info'] = anns
    return ds


@pytest.mark.parametrize('key', ['keypoints_univ', 'univ_annot3'])
def test_metric_scores_either_universal_key_from_raw_ann_info(key):
    a, b = person(-800, 4000), person(800, 5000)
    m = MuPoTSMetric()
    # the two people carry different names: still "universal" for the whole frame
    other = 'univ_annot3' if key == 'keypoints_univ' else 'keypoints_univ'
    m.process([], [_sample(0, [a, b], [_ann(*a, key), _ann(*b, other, aid=1)])])
    out = m.evaluate(1)
    assert out['mupots/MPJPE_abs'] == pytest.approx(0, abs=1e-3)  # not the +7 mm of cam
    assert m.last_results['config']['gt_3d_source'] == {'keypoints_univ': 1,
                                                        'keypoints_cam': 0}


def test_metric_without_universal_joints_uses_cam():
    a = person(0, 4000)
    m = MuPoTSMetric()
    m.process([], [_sample(0, [a], [_ann(*a, None)])])
    assert m.evaluate(1)['mupots/MPJPE_abs'] == pytest.approx(7 * np.sqrt(3), rel=1e-4)


def test_ann_file_with_univ_annot3(tmp_path):
    """The metric's ann_file path and MuPoTS3DDataset read the same univ_annot3 file."""
    a, b = person(-800, 4000), person(800, 5000)
    data = dict(images=[dict(id=0, file_name='TS1/img_000000.jpg', width=2048, height=2048,
                             f=[1000., 1000.], c=[1000., 1000.], frame_idx=0)],
                annotations=[_ann(*a, 'univ_annot3'), _ann(*b, 'univ_annot3', aid=1)])
    ann_file = str(tmp_path / 'mupots.json')
    with open(ann_file, 'w') as f:
        json.dump(data, f)
    gt, _, sources = load_mupots_gt(ann_file)
    assert sources == {'keypoints_univ': 1, 'keypoints_cam': 0}
    np.testing.assert_allclose(gt['TS1'][0]['keypoints_3d'], np.stack([a[0], b[0]]))
    m = MuPoTSMetric(ann_file=ann_file)
    m.process([], [_sample(0, [a, b])])
    assert m.evaluate(1)['mupots/MPJPE_abs'] == pytest.approx(0, abs=1e-3)
    from mmmar.datasets import MuPoTS3DDataset
    ds = MuPoTS3DDataset(ann_file=ann_file, data_prefix=dict(img=str(tmp_path) + '/'),
                         test_mode=True)
    info = ds.get_data_info(0)
    np.testing.assert_allclose(info['keypoints_univ'], np.stack([a[0], b[0]]), atol=1e-3)
    # the metric scores the dataset's raw_ann_info the same way
    frame, src = gt_frame_from_anns(info['raw_ann_info'])
    assert src == 'keypoints_univ'
    np.testing.assert_allclose(frame['keypoints_3d'], np.stack([a[0], b[0]]))
