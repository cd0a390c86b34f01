# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""Export the MAR network to ONNX and check it against PyTorch with onnxruntime.

    python tools/deployment/export_onnx.py configs/mar_hrnet-w32_muco.py mar.pth \
        --out work_dirs/mar.onnx --image demo.jpg
    python tools/deployment/export_onnx.py configs/mar_hrnet-small_synthetic-256x256.py \
        --out work_dirs/mar_small.onnx --image tests/data/coco/000000000785.jpg

The graph is the *network* and the dense stages of the decode: input ``image`` = float32
(B, 3, H, W) BGR pixel values 0-255 of the image already resized and padded to the model's
input size (``MARResizePad``); the normalisation of the data preprocessor (BGR -> RGB,
mean / std) is inside the graph, then HRNet and the MAR head (test-time outputs, the four
heatmap/PAF scales fused as in PyTorch). Outputs, all at stride 4: ``heatmaps`` (B, 17),
``pafs`` (B, 32), ``offsets`` (B, 51), ``root_depth``, ``log_sigma_reg``,
``log_sigma_geo`` (B, 1) [+ ``torso_length``]; then (unless ``--no-decode``) what
:func:`mmmar.codecs.dense_decode.dense_evidence` computes with static shapes
(``fixed_size=True``): heatmap NMS (max-pool) and the top-M peaks of every joint
(``cand_xy``, ``cand_score``, ``cand_valid``), the people (``root_index``,
``person_valid``), offsets / depth / sigmas read at the roots (``offset_xy``,
``rel_depth``, ``heat_at_offset``, ``root_reads``) and the PAF line integrals of every limb
(``paf_scores``); M = ``max(decode_max_candidates, decode_max_instances)``, N =
``decode_max_instances``.

Only the grouping stays in Python: ``MARCodec.decode_evidence`` on the graph's evidence
outputs, then the head's ``MARDepthFusion`` (geometry depth, fusion, back-projection), as
:func:`decode_evidence_with_mmmar` does; :func:`decode_with_mmmar` decodes the map outputs
with ``MARHead.predict_from_outputs`` instead. Without a checkpoint the weights are random
(export and numerical check only). The check runs PyTorch and onnxruntime on the given
image (default: a synthetic image), reports the max abs difference per output (integer and
boolean outputs must be equal) and the people decoded from each.
"""
import argparse
import os
import os.path as osp
import sys
import time

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', 'analysis_tools')))
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from get_flops import build_model, load_config  # noqa: E402
from mmengine.config import DictAction  # noqa: E402
from torch import nn  # noqa: E402

OUTPUT_NAMES = ('heatmaps', 'pafs', 'offsets', 'root_depth', 'log_sigma_reg',
                'log_sigma_geo', 'torso_length')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Export MAR to ONNX (decoding stays in Python)')
    p.add_argument('config')
    p.add_argument('checkpoint', nargs='?', default=None,
                   help='weights (default: random weights)')
    p.add_argument('--out', default='work_dirs/mar.onnx')
    p.add_argument('--image', default=None, help='image for the numerical check')
    p.add_argument('--input-size', type=int, nargs=2, default=None, metavar=('W', 'H'),
                   help='default: the config codec\'s input_size')
    p.add_argument('--opset', type=int, default=18,
                   help='ONNX opset (18: the dynamo exporter\'s own, no conversion)')
    p.add_argument('--exporter', default='auto', choices=['auto', 'dynamo', 'torchscript'],
                   help='torch.onnx.export(dynamo=...); auto: dynamo, falling back to '
                   'the TorchScript exporter if that fails')
    p.add_argument('--dynamic-batch', action='store_true')
    p.add_argument('--no-decode', action='store_true',
                   help='export the network only (no NMS / peak gathering in the graph)')
    p.add_argument('--seed', type=int, default=0,
                   help='torch seed of the random initialisation (no checkpoint): the export '
                        'and its check are then reproducible')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default=None)
    p.add_argument('--atol', type=float, default=1e-3,
                   help='fail (exit 1) above this max abs difference')
    return p.parse_args(argv)


class MARExportWrapper(nn.Module):
    """Normalisation + backbone (+ neck) + ``MARHead.forward_test`` as a tuple of tensors."""

    def __init__(self, model: nn.Module, with_decode: bool = True):
        super().__init__()
        self.with_decode = with_decode
        self.model = model
        pre = model.data_preprocessor
        mean = pre.mean.detach().clone().reshape(1, 3, 1, 1).float()
        std = pre.std.detach().clone().reshape(1, 3, 1, 1).float()
        self.swap = bool(getattr(pre, '_channel_conversion', False))
        self.register_buffer('mean', mean, persistent=False)
        self.register_buffer('std', std, persistent=False)
        self.test_cfg = dict(model.test_cfg or {}, flip_test=False)
        self.output_names = None

    def forward(self, image):
        if self.swap:
            image = image[:, [2, 1, 0]]
        x = (image - self.mean) / self.std
        feats = self.model.extract_feat(x)
        out = self.model.head.forward_test(feats, self.test_cfg)
        names = [k for k in OUTPUT_NAMES if isinstance(out.get(k), torch.Tensor)]
        outputs = [out[k] for k in names]
        if self.with_decode:
            from mmmar.codecs.dense_decode import EVIDENCE_FIELDS, ROOT_MAPS, dense_evidence
            dense = dense_evidence(out['heatmaps'], out['pafs'], out['offsets'],
                                   self.model.head.decoder,
                                   {k: out[k] for k in ROOT_MAPS if k in names},
                                   fixed_size=True)
            names = names + list(EVIDENCE_FIELDS)
            outputs += [dense[k] for k in EVIDENCE_FIELDS]
        self.output_names = names
        return tuple(outputs)


def prepare_image(path, input_size, seed=0):
    """The image resized and padded to ``input_size`` like the test pipeline
    (``MARResizePad``), its input-image intrinsics (default intrinsics of the original) and
    the (2, 3) original -> input affine."""
    import cv2

    from mmmar.apis.intrinsics import default_intrinsics
    from mmmar.datasets.transforms import MARResizePad
    if path is None:
        from mmmar.datasets.synthetic.generator import make_K, render_image
        W, H = input_size
        img, _, _ = render_image([seed, 5], make_K(1.2 * W, 1.2 * W, W / 2, H / 2),
                                 (W, H), 5)
    else:
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img is None:
            raise FileNotFoundError(f'cannot read image {path}')
    h, w = img.shape[:2]
    K = np.asarray(default_intrinsics(w, h), np.float64).reshape(3, 3)
    res = MARResizePad(input_size=tuple(input_size)).transform(
        dict(img=img, cam_param=dict(K=K.astype(np.float32)), ori_shape=(h, w),
             img_shape=(h, w)))
    return res, img


def export(wrapper, dummy, out, opset=17, exporter='auto', dynamic_batch=False):
    """Export; returns the exporter that worked."""
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    with torch.no_grad():
        wrapper(dummy)  # records the output names
    names = list(wrapper.output_names)
    tries = ['dynamo', 'torchscript'] if exporter == 'auto' else [exporter]
    err = None
    for kind in tries:
        try:
            kwargs = dict(input_names=['image'], output_names=names, opset_version=opset)
            if kind == 'dynamo':
                if dynamic_batch:
                    kwargs['dynamic_shapes'] = ({0: torch.export.Dim('batch')}, )
                torch.onnx.export(wrapper, (dummy, ), out, dynamo=True, external_data=False,
                                  **kwargs)
            else:
                if dynamic_batch:
                    kwargs['dynamic_axes'] = {k: {0: 'batch'} for k in ['image'] + names}
                torch.onnx.export(wrapper, (dummy, ), out, dynamo=False, **kwargs)
            return kind, names
        except Exception as e:  # noqa: BLE001 - report and try the next exporter
            err = e
            print(f'{kind} exporter failed: {type(e).__name__}: {str(e)[:500]}',
                  file=sys.stderr)
    raise RuntimeError(f'ONNX export failed: {err}') from err


def run_onnxruntime(path, image: np.ndarray):
    import onnxruntime as ort
    sess = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    names = [o.name for o in sess.get_outputs()]
    outs = sess.run(names, {sess.get_inputs()[0].name: image})
    return dict(zip(names, outs))


def decode_with_mmmar(model, outputs: dict, prep: dict):
    """Decode (Python, mmmar) network outputs of ONE image given as numpy (1, C, h, w)."""
    from mmpose.structures import PoseDataSample
    h, w = prep['img'].shape[:2]
    meta = dict(cam_param=prep['cam_param'], input_affine=prep['input_affine'],
                input_size=prep['input_size'], ori_shape=prep.get('ori_shape', (h, w)),
                img_shape=(h, w), img_path='export_check')
    samples = [PoseDataSample(metainfo=meta)]
    tensors = {k: torch.from_numpy(np.asarray(v)) for k, v in outputs.items()}
    preds = model.head.predict_from_outputs(tensors, samples, model.test_cfg or {})
    return model.add_pred_to_datasample(preds, None, samples)[0].pred_instances


def decode_evidence_with_mmmar(model, outputs: dict, prep: dict):
    """Group (Python, mmmar) the dense-decode outputs of the graph for ONE image (numpy
    arrays, the graph's output names) and fuse the depths."""
    from mmpose.structures import PoseDataSample

    from mmmar.codecs.dense_decode import EVIDENCE_FIELDS, ROOT_MAPS
    h, w = prep['img'].shape[:2]
    meta = dict(cam_param=prep['cam_param'], input_affine=prep['input_affine'],
                input_size=prep['input_size'], ori_shape=prep.get('ori_shape', (h, w)),
                img_shape=(h, w), img_path='export_check')
    samples = [PoseDataSample(metainfo=meta)]
    K = np.asarray(prep['cam_param']['K'], np.float64)
    head = model.head
    decoded = head.decoder.decode_evidence(
        {k: np.asarray(outputs[k]) for k in EVIDENCE_FIELDS}, [K],
        tuple(k for k in ROOT_MAPS if k in outputs))
    preds = [head.fusion(d, K) for d in decoded]  # clips the log sigmas (the head's range)
    return model.add_pred_to_datasample(preds, None, samples)[0].pred_instances


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    if args.input_size:
        W, H = args.input_size
        from mmmar.testing import restate_codec
        restate_codec(cfg, input_size=(W, H), heatmap_size=(W // 4, H // 4))
    input_size = tuple(cfg.codec.input_size)
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(args.seed)
    model = build_model(cfg, 'cpu')
    if args.checkpoint:
        from mmengine.runner import load_checkpoint
        load_checkpoint(model, args.checkpoint, map_location='cpu')
    model.eval()
    wrapper = MARExportWrapper(model, with_decode=not args.no_decode).eval()

    prep, _ = prepare_image(args.image, input_size)
    image = torch.from_numpy(prep['img']).permute(2, 0, 1)[None].float().contiguous()
    t0 = time.time()
    kind, names = export(wrapper, image, args.out, args.opset, args.exporter,
                         args.dynamic_batch)
    import onnx
    opset = max(o.version for o in onnx.load(args.out, load_external_data=False).opset_import
                if o.domain in ('', 'ai.onnx'))
    print(f'exported {args.out} ({osp.getsize(args.out) / 1e6:.1f} MB, {kind} exporter, '
          f'opset {opset}) in {time.time() - t0:.1f} s; input image '
          f'(1, 3, {input_size[1]}, {input_size[0]}) BGR 0-255; outputs {names}')

    with torch.no_grad():
        ref = dict(zip(names, (t.numpy() for t in wrapper(image))))
    ort_out = run_onnxruntime(args.out, image.numpy())
    diffs, scale = {}, {}
    for k in names:
        a, b = ref[k], ort_out[k]
        if a.dtype.kind in 'biu':  # indices and flags: must be equal
            diffs[k] = float(np.abs(a.astype(np.int64) - b.astype(np.int64)).max())
        else:
            finite = np.isfinite(a)
            if not np.array_equal(finite, np.isfinite(b)):
                diffs[k] = float('inf')
                continue
            diffs[k] = float(np.abs(a[finite] - b[finite]).max()) if finite.any() else 0.
        scale[k] = float(np.abs(a[np.isfinite(a)]).max()) if np.isfinite(a).any() else 0.
    print(f'check on {args.image or "a synthetic image"}: max abs difference '
          'PyTorch vs onnxruntime (max |PyTorch|):')
    for k in names:
        print(f'  {k:14s} {diffs[k]:.3e}  ({scale.get(k, 0.):.3e})')
    worst = max(diffs.values())
    print(f'max abs difference over all outputs: {worst:.3e} (atol {args.atol:g})')

    maps = [k for k in names if k in OUTPUT_NAMES]
    pt = decode_with_mmmar(model, {k: ref[k] for k in maps}, prep)
    ox = decode_with_mmmar(model, {k: ort_out[k] for k in maps}, prep)
    print(f'Python decoding: {len(pt.keypoints)} people from PyTorch outputs, '
          f'{len(ox.keypoints)} from onnxruntime outputs')
    result = dict(onnx=args.out, exporter=kind, opset=opset, max_abs_diff=worst, diffs=diffs,
                  people_torch=len(pt.keypoints), people_onnx=len(ox.keypoints))
    if not args.no_decode:
        ev = decode_evidence_with_mmmar(model, ort_out, prep)
        same = len(ev.keypoints) == len(pt.keypoints)
        kdiff = float(np.abs(ev.keypoints - pt.keypoints).max()) \
            if same and len(pt.keypoints) else 0.
        print(f'grouping of the graph\'s evidence (onnxruntime): {len(ev.keypoints)} people '
              f'(max keypoint difference to the PyTorch decode: '
              f'{kdiff if same else float("nan"):.3e} px)')
        result.update(people_onnx_evidence=len(ev.keypoints),
                      evidence_keypoint_diff=kdiff if same else None)
    if worst > args.atol:
        print('FAILED: difference above tolerance', file=sys.stderr)
        if __name__ == '__main__':
            sys.exit(1)
    return result


if __name__ == '__main__':
    main()
