"""A tiny MARHead with random features and plausible random targets (head and project tests)."""
import numpy as np

from mmmar.structures.skeleton import NECK
from ._poses import make_K

J = 17


def build_tiny_head(**kw):
    """``MARHead`` for 4 HRNet scales of 8-64 channels, seeded init; ``kw`` override.

    Its default decoder matches :func:`random_feats` (maps 24x16, input 96x64) with unit
    target normalisations (``offset_norm = depth_norm = 1``: offsets in heatmap px, dZ in
    mm)."""
    import torch
    from mmpose.registry import MODELS

    import mmmar.codecs  # noqa: F401
    import mmmar.models  # noqa: F401
    cfg = dict(
        type='MARHead',
        in_channels=(8, 16, 32, 64),
        branch_channels=16,
        decoder=dict(type='MARCodec', input_size=(96, 64), heatmap_size=(24, 16),
                     offset_norm=1., depth_norm=1.),
        init_cfg=None)
    cfg.update(kw)
    torch.manual_seed(0)  # deterministic random init
    return MODELS.build(cfg)


def random_feats(B=2, h=16, w=24, ch=(8, 16, 32, 64), seed=0):
    """Seeded random HRNet features (B, ch_i, h / 2^i, w / 2^i)."""
    import torch
    g = torch.Generator().manual_seed(seed)
    return tuple(
        torch.randn(B, c, h // 2**i, w // 2**i, generator=g)
        for i, c in enumerate(ch))


def head_data_samples(B=2, h=16, w=24, with_depth=True, seed=0, K=None):
    """Samples with random but plausible targets around a few roots."""
    from mmengine.structures import PixelData
    from mmpose.structures import PoseDataSample
    rng = np.random.RandomState(seed)
    out = []
    for b in range(B):
        ds = PoseDataSample(
            metainfo=dict(
                img_path=f'img_{b}.jpg',
                cam_param=dict(K=make_K(f=60., w=4 * w, h=4 * h)
                               if K is None else K)))
        rdw = np.zeros((1, h, w), np.float32)
        rdw[0, 4:8, 5:9] = 1. if with_depth else 0.
        offsets = rng.randn(3 * J, h, w).astype(np.float32) * 0.3
        offsets[J + NECK] = -2.  # neck above the root
        ds.gt_fields = PixelData(
            heatmaps=rng.rand(J, h, w).astype(np.float32) * 0.1,
            heatmap_mask=np.ones((h, w), np.float32),
            pafs=rng.randn(32, h, w).astype(np.float32) * 0.1,
            paf_weights=(rng.rand(32, h, w) > 0.8).astype(np.float32),
            offsets=offsets,
            offset_weights=np.repeat(rdw, 3 * J, 0),
            root_depth=np.full((1, h, w), 40., np.float32),
            root_depth_weights=rdw,
            torso_length=np.full((1, h, w), 500., np.float32))
        out.append(ds)
    return out


def packed_sample(encoded: dict, codec, metainfo: dict):
    """A ``PoseDataSample`` holding ``codec.encode``'s output packed as ``PackPoseInputs``
    packs it in a pipeline: the fields of ``codec.field_mapping_table`` in ``gt_fields``, those
    of ``codec.label_mapping_table`` (the packed root fields) in ``gt_instance_labels``."""
    from mmengine.structures import InstanceData, PixelData
    from mmpose.structures import PoseDataSample
    ds = PoseDataSample(metainfo=metainfo)
    ds.gt_fields = PixelData(**{p: encoded[k] for k, p in codec.field_mapping_table.items()
                                if k in encoded}).to_tensor()
    ds.gt_instance_labels = InstanceData(**{
        p: encoded[k] for k, p in codec.label_mapping_table.items() if k in encoded}).to_tensor()
    return ds
