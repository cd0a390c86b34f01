"""COCO crowd regions get zero loss weight in the paper configs (issue 10, item 3).

A real COCO image with an added crowd annotation (uncompressed RLE, as COCO stores
``iscrowd=1``) goes through ``CocoMARDataset`` and the config's own training pipeline (random
affine, flip, colour jitter, targets, packing); the head's loss must not see the region.
"""
import copy
import json
import os.path as osp
import random

import numpy as np
import pytest
import torch
from mmengine.config import Config

from mmmar.models.utils.ops import stack_targets
from mmmar.testing import SHARED_DATA
from mmmar.utils import register_all_modules

torch.set_num_threads(1)
ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
IMG_ID, IMG_W, IMG_H = 785, 640, 425
CROWD = (150, 150, 270, 300)  # x0, y0, x1, y1 (exclusive) left of the person


def coco_rle(h, w, box):
    """Uncompressed COCO RLE (column-major runs, starting with a run of 0s) of a box."""
    m = np.zeros((h, w), np.uint8)
    x0, y0, x1, y1 = box
    m[y0:y1, x0:x1] = 1
    flat = m.T.ravel()
    bounds = np.r_[0, np.flatnonzero(np.diff(flat)) + 1, flat.size]
    counts = np.diff(bounds).tolist()
    return dict(counts=([0] if flat[0] else []) + counts, size=[h, w])


def crowd_dataset(tmp_path, pipeline):
    from mmmar.datasets import CocoMARDataset
    src = copy.deepcopy(json.load(open(osp.join(SHARED_DATA, 'coco', 'test_coco.json'))))
    src['images'] = [i for i in src['images'] if i['id'] == IMG_ID]
    x0, y0, x1, y1 = CROWD
    src['annotations'] = [a for a in src['annotations'] if a['image_id'] == IMG_ID] + [
        dict(id=900001, image_id=IMG_ID, category_id=1, iscrowd=1, num_keypoints=0,
             keypoints=[0] * 51, bbox=[x0, y0, x1 - x0, y1 - y0],
             area=float((x1 - x0) * (y1 - y0)),
             segmentation=coco_rle(IMG_H, IMG_W, CROWD))]
    ann_file = tmp_path / 'coco_crowd.json'
    ann_file.write_text(json.dumps(src))
    return CocoMARDataset(ann_file=str(ann_file),
                          data_prefix=dict(img=osp.join(SHARED_DATA, 'coco') + '/'),
                          filter_cfg=dict(filter_empty_gt=True), pipeline=pipeline)


def crowd_heatmap_pixels(A, stride=4., inset=4):
    """Heatmap pixels whose sampling point is inside the crowd box after the input affine
    ``A`` (original -> input px): the box's points ``inset`` px inside its border,
    mapped and rounded."""
    x0, y0, x1, y1 = CROWD
    X, Y = np.meshgrid(np.arange(x0 + inset, x1 - inset), np.arange(y0 + inset, y1 - inset))
    uv = np.stack([X.ravel(), Y.ravel(), np.ones(X.size)], 1) @ np.asarray(A).T
    px = np.unique(np.rint(uv / stride).astype(int), axis=0)
    inside = (px[:, 0] >= 0) & (px[:, 0] < 208) & (px[:, 1] >= 0) & (px[:, 1] < 128)
    return px[inside]


def _head():
    from mmpose.registry import MODELS
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'mar_hrnet-w32_muco.py'))
    return MODELS.build(dict(type='MARHead', in_channels=(8, 16, 32, 64), branch_channels=16,
                             init_cfg=None, decoder=cfg.codec))


def _outputs(sample, seed, crowd_px=None, bump=0.):
    """The sample's targets + seeded noise as network outputs (4 scales); ``bump`` added to
    every heatmap and PAF channel at ``crowd_px``."""
    g = torch.Generator().manual_seed(seed)
    gt = stack_targets([sample], ('heatmaps', 'pafs', 'offsets'))

    def t(key):
        v = gt[key].clone()
        v += 0.01 * torch.randn(v.shape, generator=g)
        if crowd_px is not None and key in ('heatmaps', 'pafs'):
            v[0, :, crowd_px[:, 1], crowd_px[:, 0]] += bump
        return v

    aux = [(t('heatmaps'), t('pafs')) for _ in range(4)]
    z = torch.zeros(1, 1, *aux[0][0].shape[-2:])
    return dict(heatmaps=aux[0][0], pafs=aux[0][1], offsets=t('offsets'), root_depth=z,
                log_sigma_reg=z, log_sigma_geo=z, aux=aux)


@pytest.mark.parametrize('config', ['mar_hrnet-w32_muco.py', 'mar_hrnet-w32_h36m.py'])
def test_crowd_region_has_zero_loss_weight_through_the_config_pipeline(tmp_path, config):
    register_all_modules(init_default_scope=True)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    pipeline = copy.deepcopy(cfg.train_dataloader.dataset.pipeline)
    assert [t['type'] for t in pipeline][-1] == 'PackPoseInputs'
    # also pack where the (random) input affine put the original image
    pipeline[-1]['meta_keys'] = tuple(pipeline[-1]['meta_keys']) + ('input_affine', )
    ds = crowd_dataset(tmp_path, pipeline)
    assert len(ds) == 1
    head = _head()
    for seed in range(3):
        np.random.seed(seed)
        random.seed(seed)
        sample = ds[0]['data_samples']
        px = crowd_heatmap_pixels(sample.metainfo['input_affine'])
        assert len(px) > 100, seed  # the crowd is in the input
        gt = sample.gt_fields
        for key in ('heatmap_weights', 'paf_weights'):
            w = np.asarray(gt.get(key))
            assert w[:, px[:, 1], px[:, 0]].max() == 0, (seed, key)
            assert w.max() == 1
        # the loss of a network that is wrong inside the crowd region only is unchanged;
        # the same error at the person's pelvis peak counts
        pelvis = np.unravel_index(np.asarray(gt.get('heatmaps')[14]).argmax(), (128, 208))
        losses = []
        for crowd_px, bump in ((None, 0.), (px, 1.), (np.array([pelvis[::-1]]), 1.)):
            head.forward = lambda feats, o=_outputs(sample, seed, crowd_px, bump): o
            losses.append({k: v.item() for k, v in head.loss(None, [sample]).items()})
        base, in_crowd, outside = losses
        for k in ('loss_heatmap', 'loss_paf'):
            assert in_crowd[k] == base[k], (seed, k)
            assert outside[k] > base[k], (seed, k)  # the same error elsewhere counts
