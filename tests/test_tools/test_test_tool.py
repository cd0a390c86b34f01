"""tools/test.py end to end: MuPoTS metric, Table 1, --out, --dump, --show-dir, and the dump
rescored offline by tools/analysis_tools/eval_mupots.py gives the same numbers."""
import json
import os
import os.path as osp

import pytest

from mmmar.evaluation.functional import load_mupots_gt, mean_pose_baseline
from .conftest import MAX_ITERS, python_exe, run_tool

KEYS = ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all', 'PCK_rel_matched',
        'PCK_abs_matched')


def test_test_tool_dump_and_offline_rescoring(tiny_setup, single_run, tmp_path):
    ckpt = osp.join(single_run, f'iter_{MAX_ITERS}.pth')
    out, dump, show = (str(tmp_path / 'metrics.json'), str(tmp_path / 'preds.json'),
                       str(tmp_path / 'vis'))
    proc = run_tool([
        python_exe(), 'tools/test.py', tiny_setup['config'], ckpt, '--work-dir',
        str(tmp_path / 'work'), '--out', out, '--dump', dump, '--show-dir', show,
        '--cfg-options',
        # an almost untrained model: accept every root peak so that people are predicted
        'model.head.decoder.decode_root_thr=0.0', 'log_level=INFO'
    ], tiny_setup['env'])
    # Table 1 of synthetic results: without the published MuPoTS-3D rows (other data)
    assert 'PCK_rel' in proc.stdout and 'measured on synthetic' in proc.stdout
    assert 'SMAP (published)' not in proc.stdout and '76.2' not in proc.stdout

    metrics = json.load(open(out))
    assert all(f'mupots/{k}' in metrics or k.endswith('matched') for k in KEYS)

    # beside the model: the mean-pose guess (= the functional baseline on the two splits)
    # and the codec's ceiling, printed and saved in --out
    assert 'mean-pose guess' in proc.stdout and 'perfect maps (ceiling)' in proc.stdout
    gt_file = osp.join(tiny_setup['data_root'], 'annotations', 'synthetic_test.json')
    train_file = osp.join(tiny_setup['data_root'], 'annotations', 'synthetic_train.json')
    ref = mean_pose_baseline(load_mupots_gt(train_file)[0], load_mupots_gt(gt_file)[0])
    for k in KEYS + ('MPJPE_rel', ):
        assert metrics[f'baseline/{k}'] == pytest.approx(ref[k]), k
    assert metrics['baseline/PCK_root_all'] == pytest.approx(100)
    # an almost untrained network is far below what perfect maps give
    assert metrics['ceiling/PCK_rel_all'] > metrics['mupots/PCK_rel_all'] + 20

    preds = json.load(open(dump))
    gt = json.load(open(gt_file))
    assert len(preds['predictions']) == len(gt['images'])
    assert sum(len(p['keypoints']) for p in preds['predictions']) > 0
    assert len(os.listdir(show)) == len(gt['images'])

    # rescoring the dump without the model reproduces the online numbers
    proc = run_tool([python_exe(), 'tools/analysis_tools/eval_mupots.py', dump, gt_file,
                     '--out', str(tmp_path / 'offline.json')], tiny_setup['env'])
    offline = json.load(open(tmp_path / 'offline.json'))
    for k in KEYS:
        online = metrics.get(f'mupots/{k}')
        if online is None:
            assert offline.get(k) is None
        else:
            assert offline[k] == pytest.approx(online, abs=1e-6), k
