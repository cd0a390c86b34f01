"""tools/analysis_tools/legacy_decode.py, the pre-issue-12 decode that benchmark.py times as
its baseline: with the configs' fusion (Eq. 7-8 on the root-offset torso) it runs and, on the
codec's own perfect maps of well-separated people, finds the people the current decode finds."""
import os.path as osp
import sys

import numpy as np
import torch
from mmengine.config import Config
from mmpose.structures import PoseDataSample

from mmmar.testing import load_script, make_K, make_people

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
TOOLS = osp.join(REPO, 'tools', 'analysis_tools')


def _legacy():
    if TOOLS not in sys.path:
        sys.path.insert(0, TOOLS)
    return load_script('tools/analysis_tools/legacy_decode.py')


def test_legacy_decode_runs_with_the_offset_torso_fusion_and_agrees():
    from mmpose.registry import MODELS

    from mmmar.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'mar_hrnet-small_synthetic-256x256.py'))
    assert cfg.model.head.fusion.geo_torso == 'offsets'
    torch.manual_seed(0)
    head = MODELS.build(cfg.model).head.eval()
    W, H = cfg.codec['input_size']
    K = make_K(w=W, h=H, f=0.9 * W)
    cams, kpts = make_people(3, K, w=W, h=H, seed=1, z_range=(3000, 3200))
    kpts = kpts.copy()
    kpts[:, :, 0] += np.array([-60., 0., 60.])[:, None] - (kpts[:, 14:15, 0] - W / 2)
    cams[..., 0] = (kpts[..., 0] - K[0, 2]) * cams[..., 2] / K[0, 0]  # keep 2D and 3D consistent
    enc = head.decoder.encode(
        keypoints=kpts, keypoints_visible=np.ones(kpts.shape[:2], np.float32),
        keypoints_cam=cams, keypoints_valid=np.ones(kpts.shape[:2], np.float32),
        has_depth=np.ones(3, np.float32), cam_param=dict(K=K))
    h, w = enc['heatmaps'].shape[-2:]
    outputs = {k: torch.from_numpy(np.ascontiguousarray(enc[k]))[None].float()
               for k in ('heatmaps', 'pafs', 'offsets', 'root_depth')}
    outputs['log_sigma_reg'] = torch.zeros(1, 1, h, w)
    outputs['log_sigma_geo'] = torch.zeros(1, 1, h, w)
    samples = [PoseDataSample(metainfo=dict(img_path='scene', cam_param=dict(K=K)))]
    old = _legacy().legacy_predict(head, outputs, samples)[0]
    new = head.predict_from_outputs(outputs, samples, {})[0]
    assert len(old.keypoints) == len(new.keypoints) == 3
    order = lambda p: np.argsort(np.asarray(p.keypoints_2d)[:, 14, 0])  # noqa: E731
    a, b = np.asarray(old.keypoints_2d)[order(old)], np.asarray(new.keypoints_2d)[order(new)]
    np.testing.assert_allclose(a, b, atol=1e-3)
    # the geometry depth came from the root-offset torso in both (finite, same)
    za, zb = np.asarray(old.depth_geo)[order(old)], np.asarray(new.depth_geo)[order(new)]
    assert np.all(np.isfinite(za)) and np.allclose(za, zb, rtol=1e-4)
    np.testing.assert_allclose(np.sort(np.asarray(new.keypoints_2d)[:, 14, 0]),
                               np.sort(kpts[:, 14, 0]), atol=1.0)
    # the codec-only baseline the benchmark times (no fusion): the same people as the codec
    only = _legacy().legacy_decode_maps(head.decoder, outputs, K)
    cur = head.decoder.decode_batch(outputs, [K])[0]
    o1, o2 = np.argsort(only['roots'][:, 0]), np.argsort(cur['roots'][:, 0])
    np.testing.assert_allclose(only['keypoints'][o1], cur['keypoints'][o2], atol=1e-3)
    np.testing.assert_allclose(only['root_depth'][o1], cur['root_depth'][o2], rtol=1e-6)
