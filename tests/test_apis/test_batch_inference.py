"""Issue 12: batched inference gives the results of batch size 1 (the inferencer and the
test dataloader), and the half-precision path (bfloat16 on this CPU) stays close to fp32.

The model is the small config with seeded random weights (as in
``test_inferencer_model.py``): the decoder's thresholds are set so low that every heatmap
peak is a person, so that the batched decode has many people of different images to keep
apart.
"""
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from .conftest import decoder_thr

FIELDS = ('keypoints_3d', 'keypoints', 'keypoint_scores', 'root_depth', 'root_depth_reg',
          'root_depth_geo', 'sigma_reg', 'sigma_geo', 'bbox', 'bbox_score')


def _inputs(setup, tmp):
    """Six inputs: the two fixture images, three noise images of other sizes and a
    broken file in the middle."""
    rng = np.random.default_rng(0)
    files = [setup['people'], setup['nobody']]
    for i, (w, h) in enumerate(((200, 150), (96, 128), (160, 120))):
        img = cv2.GaussianBlur(rng.integers(0, 255, (h, w, 3), dtype=np.uint8), (9, 9), 3)
        path = str(tmp / f'noise{i}.png')
        cv2.imwrite(path, img)
        files.append(path)
    broken = str(tmp / 'broken.jpg')
    with open(broken, 'wb') as f:
        f.write(b'not an image')
    return files[:3] + [broken] + files[3:]


def _same(a, b, atol=1e-4):
    assert a['failed'] == b['failed']
    assert a['img_paths'] == b['img_paths']
    assert len(a['predictions']) == len(b['predictions'])
    for pa, pb in zip(a['predictions'], b['predictions']):
        assert len(pa) == len(pb)
        for x, y in zip(pa, pb):
            for k in FIELDS:
                np.testing.assert_allclose(x[k], y[k], rtol=1e-5, atol=atol, err_msg=k)


def test_inferencer_batch_size_gives_the_results_of_batch_one(setup, tmp_path):
    from mmmar.apis import MARInferencer
    files = _inputs(setup, tmp_path)
    opts = decoder_thr(0.02)
    one = list(MARInferencer(setup['cfg'], setup['ckpt'], device='cpu',
                             cfg_options=opts)(files))
    inf3 = MARInferencer(setup['cfg'], setup['ckpt'], device='cpu', cfg_options=opts,
                         batch_size=3)
    sizes, test_step = [], inf3.model.test_step

    def recording_test_step(data):
        sizes.append(len(data['inputs']))
        return test_step(data)

    inf3.model.test_step = recording_test_step
    three = list(inf3(files))
    assert sizes == [3, 2]  # the broken 4th input flushes the first batch
    four = list(MARInferencer(setup['cfg'], setup['ckpt'], device='cpu',
                              cfg_options=opts)(files, batch_size=4))
    assert len(one) == len(three) == len(four) == len(files)
    assert [bool(r['failed']) for r in one] == [False] * 3 + [True] + [False] * 2
    assert sum(len(r['predictions'][0]) for r in one if r['predictions']) > 10
    for a, b, c in zip(one, three, four):
        _same(a, b)
        _same(a, c)
    with pytest.raises(ValueError, match='batch_size'):
        MARInferencer(setup['cfg'], setup['ckpt'], device='cpu', batch_size=0)


def _people(model, loader):
    out = {}
    with torch.no_grad():
        for batch in loader:
            for ds in model.test_step(batch):
                p = ds.pred_instances
                out[ds.metainfo['img_path']] = {
                    k: np.asarray(p.get(k)) for k in ('keypoints', 'keypoints_3d',
                                                      'keypoint_scores', 'root_depth')}
    return out


def test_test_dataloader_batch_gives_the_results_of_batch_one(tmp_path):
    from mmengine.runner import Runner
    from mmpose.registry import MODELS

    from mmmar.datasets.synthetic import generate_synthetic_dataset
    from mmmar.testing import restate_codec
    from mmmar.utils import register_all_modules
    register_all_modules(init_default_scope=True)
    root = str(tmp_path / 'synthetic') + '/'
    generate_synthetic_dataset(root, num_images=10, num_sequences=2, num_test_sequences=1,
                               img_size=(128, 96), min_people=1, max_people=3, seed=5)
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    cfg = Config.fromfile(osp.join(repo, 'configs', 'mar_hrnet-small_synthetic-256x256.py'))
    restate_codec(cfg, input_size=(96, 96), heatmap_size=(24, 24), decode_root_thr=0.02,
                  decode_candidate_thr=0.02, decode_keypoint_thr=0.02)
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    head = model.head
    head.depth_layers[1].weight.data.zero_()  # a constant, positive root depth
    head.depth_layers[1].bias.data.zero_()
    head.depth_layers[1].bias.data[0] = 40.
    results = {}
    for bs in (1, 2, 5):
        dl = dict(cfg.test_dataloader, batch_size=bs, num_workers=0,
                  persistent_workers=False)
        dl['dataset'] = dict(dl['dataset'], data_root=root)
        results[bs] = _people(model, Runner.build_dataloader(dl))
    assert len(results[1]) == 5
    assert sum(len(v['keypoints']) for v in results[1].values()) > 5
    for bs in (2, 5):
        assert results[bs].keys() == results[1].keys()
        for name, ref in results[1].items():
            for k, v in ref.items():
                np.testing.assert_allclose(results[bs][name][k], v, rtol=1e-5, atol=1e-4,
                                           err_msg=f'{name} {k} (batch {bs})')


def test_half_precision_path(setup):
    """bfloat16 autocast on this CPU: the network really runs in half precision, its maps
    stay within bfloat16 rounding of fp32, and the inferencer decodes them (float32)."""
    from mmmar.apis import MARInferencer
    from mmmar.utils.precision import autocast_context, half_dtype
    assert half_dtype('cpu') == torch.bfloat16 and half_dtype('cuda') == torch.float16
    inf = MARInferencer(setup['cfg'], setup['ckpt'], device='cpu',
                        cfg_options=decoder_thr(0.02), fp16=True)
    img = cv2.imread(setup['people'])
    data = inf.collate_fn([inf._pipeline_one(img, setup['people'], None)])
    model = inf.model
    with torch.no_grad():
        batch = model.data_preprocessor(data, False)
        ref = model.head.forward_test(model.extract_feat(batch['inputs']))
        with autocast_context('cpu'):
            feats = model.extract_feat(batch['inputs'])
            half = model.head.forward_test(feats)
    assert feats[0].dtype == torch.bfloat16
    for k in ('heatmaps', 'pafs', 'offsets', 'root_depth'):
        scale = ref[k].abs().max()
        err = (half[k].float() - ref[k]).abs().max()
        assert 0 < err <= 0.05 * scale, (k, float(err), float(scale))
    res = next(inf(setup['people']))
    assert len(res['predictions'][0]) > 0
    for p in res['predictions'][0]:
        assert np.isfinite(p['keypoints_3d']).all() and np.isfinite(p['root_depth'])


def test_test_tool_fp16_and_batch_size_options():
    import sys
    repo = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    sys.path.insert(0, osp.join(repo, 'tools'))
    try:
        import test as test_tool
    finally:
        sys.path.pop(0)
    cfg = Config.fromfile(osp.join(repo, 'configs', 'mar_hrnet-small_synthetic-256x256.py'))
    args = test_tool.parse_args(['cfg.py', 'ckpt.pth', '--fp16', '--batch-size', '3'])
    cfg = test_tool.merge_args(cfg, args)
    assert cfg.test_cfg.fp16 is True and cfg.test_dataloader.batch_size == 3
    cfg = Config.fromfile(osp.join(repo, 'configs', 'mar_hrnet-small_synthetic-256x256.py'))
    cfg = test_tool.merge_args(cfg, test_tool.parse_args(['cfg.py', 'ckpt.pth']))
    assert not cfg.test_cfg.get('fp16', False)
