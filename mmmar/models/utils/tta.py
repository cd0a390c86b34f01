"""Test-time augmentation of :class:`~mmmar.models.heads.MARHead`: the horizontal flip test and
the fusion of the per-scale heatmaps / PAFs.

Heatmap pixel ``(x, y)`` corresponds to input pixel ``(x * s, y * s)`` (corner-aligned grids);
the flip-back respects this convention (``shift``).

Flip indices and limbs: the callers pass the dataset's ``flip_indices`` (data samples'
``metainfo``) and the codec's ``limbs``; without them (``None``) the MuPoTS-3D tables of
:mod:`mmmar.structures.skeleton` are used.
"""
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

from mmmar.structures.skeleton import FLIP_INDICES, LIMBS


def paf_flip_permutation(limbs: Optional[Sequence] = None,
                         flip_indices: Optional[Sequence[int]] = None
                         ) -> Tuple[List[int], List[bool]]:
    """For each limb ``l``: the limb ``l'`` it becomes after a flip and whether its
    direction is reversed.

    Args:
        limbs (Sequence, optional): (parent, child) joint pairs; the skeleton's
            ``LIMBS`` when None.
        flip_indices (Sequence[int], optional): the joint each joint becomes after
            a flip; the skeleton's ``FLIP_INDICES`` when None.

    Returns:
        tuple: ``perm`` (list[int]) and ``reverse`` (list[bool]), one per limb.
    """
    limbs = LIMBS if limbs is None else limbs
    flip_indices = FLIP_INDICES if flip_indices is None else flip_indices
    lookup = {tuple(limb): i for i, limb in enumerate(limbs)}
    perm, reverse = [], []
    for a, b in limbs:
        fa, fb = flip_indices[a], flip_indices[b]
        if (fa, fb) in lookup:
            perm.append(lookup[(fa, fb)])
            reverse.append(False)
        elif (fb, fa) in lookup:
            perm.append(lookup[(fb, fa)])
            reverse.append(True)
        else:
            raise ValueError(f'limb {(a, b)} has no mirror limb')
    return perm, reverse


def _shift_right(x: Tensor, shift: float) -> Tensor:
    """``out[..., i] = x[..., i - shift]`` (linear interpolation, border
    replicated), for ``0 <= shift < 1``."""
    if shift == 0:
        return x
    prev = torch.cat([x[..., :1], x[..., :-1]], dim=-1)
    return (1 - shift) * x + shift * prev


def _flip_pafs(v: Tensor, perm: List[int], reverse: List[bool]) -> Tensor:
    """Mirror limbs swapped, x components negated, reversed limbs negated."""
    B, _, H, W = v.shape
    v = v.view(B, -1, 2, H, W)[:, perm]
    sign = v.new_tensor([-1. if r else 1. for r in reverse])
    v = v * sign.view(1, -1, 1, 1, 1)
    v = torch.stack([-v[:, :, 0], v[:, :, 1]], dim=2)
    return v.reshape(B, -1, H, W)


def flip_back_outputs(outputs: Dict[str, Tensor],
                      stride: int = 4,
                      shift: bool = True,
                      flip_indices: Optional[Sequence[int]] = None,
                      limbs: Optional[Sequence] = None) -> Dict[str, Tensor]:
    """Map the outputs of a horizontally flipped input back to the original.

    Maps are flipped horizontally; joint channels are swapped with
    ``flip_indices``; PAF limbs are swapped with their mirror limbs and their
    x-components negated (also negated as a whole when the mirror limb runs
    the other way); the horizontal offsets ``du`` are negated. mmpose flips an
    image by ``u -> W - 1 - u``; at stride ``s`` the flipped map is then
    ``(s - 1) / s`` heatmap pixels off, which ``shift=True`` compensates.
    ``aux`` entries are dropped.

    Args:
        outputs (dict): The head's output maps (B, C, h, w) of the flipped input.
        stride (int): Input pixels per heatmap pixel. Defaults to 4.
        shift (bool): Compensate the flip's sub-pixel offset. Defaults to True.
        flip_indices (Sequence[int], optional): The dataset's ``flip_indices``;
            the skeleton's when None.
        limbs (Sequence, optional): The codec's PAF limbs; the skeleton's when None.

    Returns:
        dict: The maps in the original image's frame.
    """
    fi = list(FLIP_INDICES if flip_indices is None else flip_indices)
    K = len(fi)
    perm, reverse = paf_flip_permutation(limbs, fi)
    a = (stride - 1) / stride if shift else 0.
    out = {}
    for key, val in outputs.items():
        if key == 'aux' or val is None:
            continue
        v = val.flip(-1)
        if key == 'heatmaps':
            v = v[:, fi]
        elif key == 'pafs':
            v = _flip_pafs(v, perm, reverse)
        elif key == 'offsets':
            du, dv, dz = v[:, :K][:, fi], v[:, K:2 * K][:, fi], v[:, 2 * K:][:, fi]
            v = torch.cat([-du, dv, dz], dim=1)
        out[key] = _shift_right(v, a)
    return out


def flip_test_outputs(forward: Callable[[Sequence[Tensor]], Dict[str, Tensor]],
                      feats: Sequence[Sequence[Tensor]],
                      stride: int = 4,
                      shift: bool = True,
                      flip_indices: Optional[Sequence[int]] = None,
                      limbs: Optional[Sequence] = None) -> Dict[str, Tensor]:
    """The flip test: the mean of the outputs of the input and of its mirror image
    mapped back (:func:`flip_back_outputs`).

    Args:
        forward (Callable): The head's forward (features -> output dict).
        feats (Sequence): ``[feats, feats_of_flipped_input]``.
        stride, shift, flip_indices, limbs: See :func:`flip_back_outputs`.

    Returns:
        dict: The averaged outputs; keys the flip-back drops (``aux``) are those
        of the plain pass.
    """
    assert isinstance(feats, (list, tuple)) and len(feats) == 2
    out = forward(feats[0])
    out_flip = flip_back_outputs(forward(feats[1]), stride=stride, shift=shift,
                                 flip_indices=flip_indices, limbs=limbs)
    return {k: (v + out_flip[k]) / 2 if k in out_flip else v for k, v in out.items()}


def fuse_scales(aux: Sequence[Tuple[Tensor, Tensor]],
                mode: str = 'average') -> Tuple[Tensor, Tensor]:
    """The heatmaps and PAFs used for inference from the per-scale predictions (all
    upsampled to the finest scale): ``'average'`` = their mean (HigherHRNet-style
    aggregation), ``'finest'`` = the stride-4 prediction only.

    Args:
        aux (Sequence): per scale, finest first, ``(heatmaps, pafs)`` (B, C, h, w).
        mode (str): ``'average'`` or ``'finest'``.

    Returns:
        tuple: ``heatmaps``, ``pafs``.
    """
    if mode == 'average':
        return (torch.stack([a[0] for a in aux]).mean(0),
                torch.stack([a[1] for a in aux]).mean(0))
    return aux[0]
