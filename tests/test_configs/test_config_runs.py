"""The shipped configs run: the Human3.6M config's test loop on the real Human3.6M frames
of tests/data (paper-size HRNet-w32 at 832x512, random weights, no download)."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmmar.structures.skeleton import ROOT as ROOT_JOINT
from mmmar.testing import SHARED_DATA
from mmmar.utils import register_all_modules

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
H36M = osp.join(SHARED_DATA, 'h36m')


def test_h36m_config_test_loop_on_real_frames(tmp_path):
    assert osp.isdir(H36M), f'test fixture missing: {H36M}'
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'mar_hrnet-w32_h36m.py'))
    cfg.model.backbone.init_cfg = None
    cfg.work_dir = str(tmp_path)
    ds = cfg.test_dataloader.dataset
    ds.data_root = H36M
    ds.ann_file = 'test_h36m_body3d.npz'
    ds.camera_param_file = 'cameras.pkl'
    ds.data_prefix = dict(img='')
    ds.subjects = ['S1', 'S5', 'S7', 'S8']
    ds.frame_stride = 1
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    # an untrained model: accept every root peak, so that predictions exist to be scored
    cfg.model.head.decoder.decode_root_thr = 0.0
    cfg.model.head.fusion = dict(type='MARDepthFusion', mode='reg')  # Z_root = Z_reg
    cfg.randomness = dict(seed=0)  # the Runner seeds before it builds (random init)
    runner = Runner.from_cfg(cfg)
    assert len(runner.test_dataloader.dataset) == 4
    # random weights often regress Z <= 0 (such people are dropped): a constant 5 m instead
    # (channel 0 = Z / focal of the input image, ~585 px for these cameras at 832x512)
    depth_conv = runner.model.head.depth_layers[1]
    with torch.no_grad():
        depth_conv.weight.zero_()
        depth_conv.bias.zero_()
        depth_conv.bias[0] = 5000. / 585.
        # random weights can put the whole root heatmap below 0 (nobody decoded): lift the
        # root channel of every scale by 1 and damp its random part, so that its local
        # maxima (the people) are >= decode_root_thr whatever the init
        for layer in runner.model.head.heatmap_layers:
            layer[-1].weight[ROOT_JOINT] *= 1e-2
            layer[-1].bias[ROOT_JOINT] = 1.
    metrics = runner.test()
    assert {'h36m/MRPE', 'h36m/MRPE_x', 'h36m/MRPE_y', 'h36m/MRPE_z'} <= set(metrics)
    assert all(np.isfinite(v) and v >= 0 for k, v in metrics.items() if 'MRPE' in k)
    # |e| >= each |e_i|, and the components are means of absolute errors
    assert metrics['h36m/MRPE'] >= max(metrics['h36m/MRPE_x'], metrics['h36m/MRPE_y'],
                                       metrics['h36m/MRPE_z']) - 1e-6
    # the depth branch outputs Z / focal_of(K_input) = 5000 / 585 everywhere, so each image's
    # predicted root depth is that times its own input focal (after the 832x512 resize):
    # MRPE_z is then fixed by the ground truth alone
    from mmmar.geometry import focal_of
    dataset = runner.test_dataloader.dataset
    expected = []
    for i in range(len(dataset)):
        sample = dataset[i]['data_samples']
        z_pred = 5000. / 585. * float(focal_of(np.asarray(sample.metainfo['cam_param']['K'])))
        z_gt = float(dataset.get_data_info(i)['keypoints_cam'][0, 14, 2])
        expected.append(abs(z_pred - z_gt))
    assert metrics['h36m/MRPE_z'] == pytest.approx(np.mean(expected), rel=1e-4)
