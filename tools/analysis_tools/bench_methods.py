# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""The methods that ``tools/analysis_tools/benchmark.py`` times, on the same synthetic images
(:func:`make_images`): each has ``prepare(item)`` and ``run(prep, clock)``.

What is timed (batch 1, input 832x512 unless ``--input-size``; weights are random: speed does
not depend on them, except where a stage's work depends on what the network outputs, which is
handled as described):

* **MAR forward**: ``data_preprocessor`` (normalisation, on the device) + HRNet-w32 +
  ``MARHead.forward_test`` (all branches, the four heatmap/PAF scales averaged).
* **MAR decode**: ``MARHead.predict_from_outputs`` (device -> host copy of the maps, heatmap
  NMS, PAF grouping, structured 2.5D pose, Eq. 7-8 geometry depth, Eq. 12 fusion, Eq. 1
  back-projection) + ``MARPoseEstimator.add_pred_to_datasample`` (mapping to the original
  image). An untrained network's maps contain no people (or noise), so the decode is fed the
  maps a *perfect* network would output for the image: the codec-encoded ground truth of the
  image (heatmaps, PAFs, offsets, root depth; log-sigmas 0; every joint inside the image
  treated as visible, so that occluded people are in the maps too), as device tensors of the
  network's output shapes. Its cost then grows with the real number of people; the decoded
  count is reported (column ``found``) to show that the people were really assembled.
  MAR total = median forward + median decode (measured separately, same images).
* **DEKR** (mmpose ``dekr_hrnet-w32_8xb10-140e_coco-512x512`` at the same input size, no
  flip, rescoring net on): ``model.test_step`` on the pipeline output; its decode
  (``DEKRHead.decode``: centre NMS, pose grouping, rescoring) is timed inside by wrapping it;
  forward = total - decode. Untrained, its cost is bounded by ``decode_max_instances`` (30).
* **Top-down**: detector = mmdet Faster R-CNN R50-FPN (``--detector``; RTMDet-tiny also
  available), ``inference_detector`` on the image resized to the same input size (its own
  NMS included); pose = mmpose ``td-hm_hrnet-w32_8xb64-210e_coco-256x192`` (no flip) run by
  ``inference_topdown`` on each ground-truth person box, one person per call
  (``--topdown-mode per-person``, as the top-down methods of Table 3) or all boxes in one
  batch (``batched``). Ground-truth boxes are used because an untrained detector finds
  nobody: the pose stage then does the real per-person work.
"""
import os.path as osp

import numpy as np
import torch
from get_flops import build_model, load_config
from timing import Clock, autocast

MMPOSE_DEKR = 'body_2d_keypoint/dekr/coco/dekr_hrnet-w32_8xb10-140e_coco-512x512.py'
MMPOSE_TOPDOWN = ('body_2d_keypoint/topdown_heatmap/coco/'
                  'td-hm_hrnet-w32_8xb64-210e_coco-256x192.py')
MMDET_DETECTORS = {
    'faster-rcnn': 'faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
    'rtmdet-tiny': 'rtmdet/rtmdet_tiny_8xb32-300e_coco.py',
}


# ------------------------------------------------------------------------- images
def make_images(people, size, seed=0):
    """One synthetic image per crowd size (the mmmar generator's renderer), with its camera,
    3D / 2D ground truth and person boxes (xyxy)."""
    from mmmar.datasets.synthetic.generator import make_K, project, render_image
    from mmmar.structures.skeleton import ROOT
    W, H = size
    f = 1.2 * W  # a normal lens (about 50 deg horizontal field of view)
    K = make_K(f, f, W / 2., H / 2.)
    items = []
    for n in people:
        img, poses, vis = render_image([seed, n, 17], K, (W, H), n)
        uv = project(poses, K)
        pad = f * 120. / poses[:, ROOT, 2]
        lo = np.clip(uv.min(1) - pad[:, None], 0, [W - 1, H - 1])
        hi = np.clip(uv.max(1) + pad[:, None], 0, [W - 1, H - 1])
        items.append(dict(people=n, actual=len(poses), img=img, K=K, poses=poses,
                          vis=vis, uv=uv, bboxes=np.concatenate([lo, hi], 1).astype(
                              np.float32)))
    return items


# ------------------------------------------------------------------------- methods
class MARMethod:
    name = 'MAR (ours)'

    def __init__(self, config, size, device, precision, checkpoint=None):
        from mmmar.testing import restate_codec
        W, H = size
        cfg = restate_codec(load_config(config), input_size=(W, H),
                            heatmap_size=(W // 4, H // 4))
        cfg.model.backbone.init_cfg = None
        self.model = build_model(cfg, device)
        if checkpoint:
            from mmengine.runner import load_checkpoint
            load_checkpoint(self.model, checkpoint, map_location=device)
        from mmpose.registry import KEYPOINT_CODECS
        self.codec = KEYPOINT_CODECS.build(cfg.codec)
        self.device, self.precision, self.size = device, precision, size
        self.test_cfg = self.model.test_cfg or {}

    def prepare(self, item):
        from mmpose.structures import PoseDataSample
        W, H = self.size
        img = item['img']
        meta = dict(
            img_path=f'synthetic_{item["people"]}_people', img_id=0,
            ori_shape=img.shape[:2], img_shape=img.shape[:2], input_size=(W, H),
            cam_param=dict(K=item['K'].astype(np.float32)),
            ori_cam_param=dict(K=item['K'].astype(np.float32)),
            input_affine=np.array([[1., 0., 0.], [0., 1., 0.]]))
        sample = PoseDataSample(metainfo=meta)
        data = dict(inputs=[torch.from_numpy(img).permute(2, 0, 1).contiguous()],
                    data_samples=[sample])
        # every joint inside the image counts as visible (a network that also finds the
        # occluded people): the decode then has all the people of the image to assemble
        W_, H_ = self.size
        uv = item['uv']
        inside = ((uv[..., 0] >= 0) & (uv[..., 0] <= W_ - 1) & (uv[..., 1] >= 0) &
                  (uv[..., 1] <= H_ - 1)).astype(np.float32)
        enc = self.codec.encode(
            keypoints=item['uv'].astype(np.float32),
            keypoints_visible=inside,
            keypoints_cam=item['poses'].astype(np.float32),
            keypoints_valid=np.ones(item['vis'].shape, np.float32),
            has_depth=np.ones(len(item['poses']), np.float32),
            cam_param=dict(K=item['K']))
        h, w = enc['heatmaps'].shape[-2:]
        dev = self.device
        outputs = {
            k: torch.from_numpy(np.ascontiguousarray(enc[k]))[None].float().to(dev)
            for k in ('heatmaps', 'pafs', 'offsets', 'root_depth')
        }
        outputs['log_sigma_reg'] = torch.zeros(1, 1, h, w, device=dev)
        outputs['log_sigma_geo'] = torch.zeros(1, 1, h, w, device=dev)
        return dict(data=data, perfect=outputs, sample=sample)

    @torch.no_grad()
    def forward(self, prep):
        data = self.model.data_preprocessor(prep['data'], False)
        with autocast(self.device, self.precision):
            feats = self.model.extract_feat(data['inputs'])
            return self.model.head.forward_test(feats, self.test_cfg)

    @torch.no_grad()
    def decode(self, prep, samples, backend='torch'):
        if backend == 'numpy':  # every map copied to the host, the numpy reference
            from mmmar.models.utils import get_intrinsics
            from mmmar.testing import reference_decode
            head, maps = self.model.head, prep['perfect']
            Ks = [get_intrinsics(ds) for ds in samples]
            decoded = [reference_decode(head.decoder, K=K, **{k: v[i] for k, v in maps.items()})
                       for i, K in enumerate(Ks)]
            preds = [head.fusion(d, K) for d, K in zip(decoded, Ks)]
        else:
            preds = self.model.head.predict_from_outputs(prep['perfect'], samples,
                                                         self.test_cfg)
        samples = self.model.add_pred_to_datasample(preds, None, samples)
        return len(samples[0].pred_instances.keypoints)

    def compare_decoders(self, prep, clock):
        """The decode against the numpy reference (all maps copied to the host first), on
        the same perfect maps: times, bytes moved to the host, and the people of both."""
        from mmpose.structures import PoseDataSample
        out = {}
        for backend in ('torch', 'numpy'):
            samples = [PoseDataSample(metainfo=prep['sample'].metainfo)]
            _, out[backend] = clock(self.decode, prep, samples, backend)
            out[backend + '_pred'] = samples[0].pred_instances
        maps = prep['perfect']
        # the codec's decode alone (no depth fusion / InstanceData bookkeeping)
        K = prep['sample'].metainfo['cam_param']['K']
        _, out['torch_codec'] = clock(self.codec.decode_batch, maps, [K])
        out['bytes_maps'] = sum(v.numel() * v.element_size() for v in maps.values())
        from mmmar.codecs.dense_decode import dense_evidence, transferred_bytes
        out['bytes_moved'] = transferred_bytes(dense_evidence(
            maps['heatmaps'], maps['pafs'], maps['offsets'], self.codec,
            {k: maps[k] for k in ('root_depth', 'log_sigma_reg', 'log_sigma_geo')}))
        return out

    def run(self, prep, clock):
        _, t_fwd = clock(self.forward, prep)
        from mmpose.structures import PoseDataSample
        samples = [PoseDataSample(metainfo=prep['sample'].metainfo)]  # a fresh one per run
        found, t_dec = clock(self.decode, prep, samples)
        return dict(forward=t_fwd, decode=t_dec), found


def _mmpose_config(rel):
    import mmpose
    from mmengine.config import Config
    return Config.fromfile(osp.join(osp.dirname(mmpose.__file__), '.mim', 'configs', rel))


class DEKRMethod:
    name = 'DEKR HRNet-w32 (2D)'

    def __init__(self, size, device, precision):
        from mmpose.apis import init_model
        W, H = size
        cfg = _mmpose_config(MMPOSE_DEKR)
        cfg.model.backbone.init_cfg = None
        cfg.model.head.rescore_cfg.init_cfg = None
        cfg.model.head.decoder.input_size = (W, H)
        cfg.model.head.decoder.heatmap_size = (W // 4, H // 4)
        cfg.model.test_cfg.flip_test = False
        for t in cfg.test_dataloader.dataset.pipeline:
            if t['type'] == 'BottomupResize':
                t['input_size'] = (W, H)
        self.model = init_model(cfg, None, device=device)
        self.device, self.precision = device, precision
        self._decode_time = 0.
        head = self.model.head
        orig = head.decode
        clock = Clock(device)

        def timed_decode(*args, **kwargs):
            out, dt = clock(orig, *args, **kwargs)
            self._decode_time = dt
            return out

        head.decode = timed_decode

    def prepare(self, item):
        from mmcv.transforms import Compose
        from mmengine.dataset import pseudo_collate
        pipeline = Compose(self.model.cfg.test_dataloader.dataset.pipeline)
        info = dict(img=item['img'].copy())
        info.update(self.model.dataset_meta)
        return pseudo_collate([pipeline(info)])

    @torch.no_grad()
    def test_step(self, data):
        with autocast(self.device, self.precision):
            return self.model.test_step(data)

    def run(self, prep, clock):
        out, t_total = clock(self.test_step, prep)
        t_dec = self._decode_time
        return dict(forward=t_total - t_dec, decode=t_dec), \
            len(out[0].pred_instances.keypoints)


class TopDownMethod:

    def __init__(self, detector, det_scale, mode, device, precision):
        import mmdet
        from mmdet.apis import init_detector
        from mmengine.config import Config
        from mmpose.apis import init_model
        self.name = f'top-down: {detector} + HRNet-w32 256x192 ({mode})'
        dcfg = Config.fromfile(
            osp.join(osp.dirname(mmdet.__file__), '.mim', 'configs',
                     MMDET_DETECTORS[detector]))
        dcfg.model.backbone.init_cfg = None
        for t in dcfg.test_dataloader.dataset.pipeline:
            if t['type'] == 'Resize':
                t['scale'] = tuple(det_scale)
                t['keep_ratio'] = True
        from mmpose.utils import adapt_mmdet_pipeline
        dcfg = adapt_mmdet_pipeline(dcfg)  # 'mmdet.' scope for the transforms
        self.det = init_detector(dcfg, None, device=device)
        pcfg = _mmpose_config(MMPOSE_TOPDOWN)
        pcfg.model.backbone.init_cfg = None
        pcfg.model.test_cfg.flip_test = False
        self.pose = init_model(pcfg, None, device=device)
        self.mode, self.device, self.precision = mode, device, precision

    def prepare(self, item):
        return item

    @torch.no_grad()
    def detect(self, item):
        from mmdet.apis import inference_detector
        with autocast(self.device, self.precision):
            return inference_detector(self.det, item['img'])

    @torch.no_grad()
    def estimate(self, item):
        from mmpose.apis import inference_topdown
        boxes = item['bboxes']
        with autocast(self.device, self.precision):
            if self.mode == 'batched':
                out = inference_topdown(self.pose, item['img'], boxes)
            else:
                out = [r for b in boxes
                       for r in inference_topdown(self.pose, item['img'], b[None])]
        return len(out)

    def run(self, prep, clock):
        _, t_det = clock(self.detect, prep)
        found, t_pose = clock(self.estimate, prep)
        return dict(detector=t_det, pose=t_pose), found
