"""tools/analysis_tools/overfit_check.py: its ceiling, the images decoded from their own training
targets through the whole predict path (codec decode, fusion, back-projection, MuPoTS metric),
must give back the ground truth where every person is visible."""
import json
import os.path as osp

import numpy as np

from mmmar.testing import load_script


def test_perfect_maps_give_back_the_ground_truth(tmp_path):
    tool = load_script('tools/analysis_tools/overfit_check.py')
    # data seed 2: 8 images, 14 people, all with a visible root (1 to 3 per image)
    metrics, rows = tool.main(['--perfect-maps', '--threads', '1', '--data-seed', '2',
                               '--num-images', '8', '--work-dir', str(tmp_path)])
    with open(osp.join(tmp_path, 'data', 'annotations', 'synthetic_train.json')) as f:
        gt = json.load(f)
    assert len(gt['images']) == 8 and len(gt['annotations']) == 14
    assert max(np.bincount([a['image_id'] for a in gt['annotations']])) >= 3
    assert len(rows) == 0  # nothing trained
    for k in ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all'):
        assert metrics[f'perfect/mupots/{k}'] == 100.
    # 2D from quarter-pixel refined heatmap peaks: errors far below the 150 mm threshold
    assert metrics['perfect/mupots/MPJPE_rel'] < 30.
    assert metrics['perfect/mupots/MPJPE_abs'] < 30.
