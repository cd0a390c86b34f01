# Copyright (c) OpenMMLab and mmmar contributors. All rights reserved.
"""Parameters and GFLOPs of a pose (or detection) config at a given input size.

    python tools/analysis_tools/get_flops.py configs/mar_hrnet-w32_muco.py
    python tools/analysis_tools/get_flops.py configs/mar_hrnet-w32_muco.py --input-shape 832 512
    python tools/analysis_tools/get_flops.py CONFIG --input-shape 256 256 --show-table

What is counted: the network forward of ONE image (``model._forward``, i.e. backbone, neck and
head in ``'tensor'`` mode, as at test time without flip); decoding is not included. FLOPs are
mmengine's (fvcore's) count, in which one multiply-add is one FLOP, i.e. GMACs, the
convention of the GFLOPs tables of the pose literature (MAR's Table 3 included).
Parameters are all parameters of the built model (``total``) and those the forward touches.
Any mmpose / mmdet / mmmar config works; a config is never given pretrained weights
(``init_cfg`` is not applied: counts do not depend on weights).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python()

import torch  # noqa: E402
from mmengine.config import Config, DictAction  # noqa: E402
from torch import nn  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Params and GFLOPs of a config')
    p.add_argument('config')
    p.add_argument('--input-shape', type=int, nargs='+', default=None, metavar='N',
                   help='W H of the input (one value: square); default: the codec\'s '
                   'input_size, else 512 512')
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default=None)
    p.add_argument('--device', default='cpu')
    p.add_argument('--show-table', action='store_true', help='per-module table')
    p.add_argument('--show-arch', action='store_true', help='the annotated architecture')
    return p.parse_args(argv)


def load_config(path, cfg_options=None) -> Config:
    """Load a config, apply ``cfg_options``, import its ``custom_imports``, and for MAR
    configs check it with :func:`mmmar.utils.check_config`."""
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    if cfg.get('custom_imports'):
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**cfg.custom_imports)
    if 'MAR' in str(cfg.get('model', {}).get('type', '')):
        from mmmar.utils import check_config
        check_config(cfg)
    return cfg


def build_model(cfg: Config, device='cpu') -> nn.Module:
    """Build ``cfg.model`` in the config's default scope (``mmpose`` unless it says
    otherwise, e.g. ``mmdet``), without loading pretrained weights (``init_weights`` is not
    called)."""
    from mmengine.registry import MODELS, init_default_scope
    init_default_scope(cfg.get('default_scope', 'mmpose'))
    model = MODELS.build(cfg.model)
    return model.to(device).eval()


def flatten_tensors(out):
    """All tensors of a nested output (dict / list / tuple), in a fixed order."""
    if isinstance(out, torch.Tensor):
        return (out, )
    if isinstance(out, dict):
        return tuple(t for k in sorted(out) for t in flatten_tensors(out[k]))
    if isinstance(out, (list, tuple)):
        return tuple(t for o in out for t in flatten_tensors(o))
    return ()


class TensorForward(nn.Module):
    """``model._forward(inputs)`` with its outputs flattened to a tuple of tensors (for
    tracing)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, inputs):
        return flatten_tensors(self.model._forward(inputs))


def input_size_of(cfg: Config, input_shape=None):
    if input_shape:
        return (input_shape[0], input_shape[0]) if len(input_shape) == 1 else \
            tuple(input_shape[:2])
    codec = cfg.get('codec')
    if isinstance(codec, dict) and 'input_size' in codec:
        return tuple(codec['input_size'])
    return (512, 512)


def count_params(model: nn.Module) -> dict:
    out = dict(total=sum(p.numel() for p in model.parameters()))
    for name in ('backbone', 'neck', 'head', 'rpn_head', 'roi_head', 'bbox_head'):
        sub = getattr(model, name, None)
        if isinstance(sub, nn.Module):
            out[name] = sum(p.numel() for p in sub.parameters())
    return out


def complexity(model: nn.Module, input_size, device='cpu', show_table=False,
               show_arch=False) -> dict:
    """FLOPs (multiply-adds) and parameters of one forward at ``input_size`` (W, H)."""
    from mmengine.analysis import get_model_complexity_info
    W, H = input_size
    x = torch.zeros(1, 3, H, W, device=device)
    with torch.no_grad():
        info = get_model_complexity_info(
            TensorForward(model), inputs=(x, ), show_table=show_table,
            show_arch=show_arch)
    info['params_all'] = count_params(model)
    info['input_size'] = (W, H)
    return info


def main(argv=None):
    args = parse_args(argv)
    cfg = load_config(args.config, args.cfg_options)
    size = input_size_of(cfg, args.input_shape)
    model = build_model(cfg, args.device)
    info = complexity(model, size, args.device, args.show_table, args.show_arch)
    split = '=' * 60
    if args.show_table:
        print(info['out_table'])
    if args.show_arch:
        print(info['out_arch'])
    print(split)
    print(f'Config:             {args.config}')
    print(f'Input shape (WxH):  {size[0]}x{size[1]}, batch 1')
    print(f'GFLOPs (GMACs):     {info["flops"] / 1e9:.2f}')
    print(f'Params (forward):   {info["params"] / 1e6:.2f} M')
    for k, v in info['params_all'].items():
        print(f'Params ({k}):{" " * max(1, 10 - len(k))}{v / 1e6:.2f} M')
    print(split)
    print('FLOPs: fvcore convention (1 multiply-add = 1 FLOP), network forward only.')
    return info


if __name__ == '__main__':
    main()
