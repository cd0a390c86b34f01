
from mmmar.testing import SHARED_DATA as DATA


def test_combined_loader_half_half(synth):
    import torch
    from mmpose.registry import DATA_SAMPLERS, DATASETS

    from mmmar.datasets import MUPOTS3D_METAINFO_FILE
    ds = DATASETS.build(dict(
        type='CombinedDataset',
        metainfo=dict(from_file=MUPOTS3D_METAINFO_FILE),
        datasets=[
            dict(type='MuCo3DHPDataset', ann_file=synth['train_json'],
                 data_prefix=dict(img=synth['img_dir'] + '/')),
            dict(type='CocoMARDataset', ann_file=f'{DATA}/coco/test_coco.json',
                 data_prefix=dict(img=f'{DATA}/coco/')),
        ],
        pipeline=[]))
    n_muco = len(ds.datasets[0])
    assert n_muco == synth['num_train'] and len(ds.datasets[1]) == 4
    bs = 6
    sampler = DATA_SAMPLERS.build(dict(type='MultiSourceSampler', dataset=ds, batch_size=bs,
                                       source_ratio=[1, 1], shuffle=True, seed=0))
    loader = torch.utils.data.DataLoader(ds, batch_size=bs, sampler=sampler,
                                         collate_fn=list, num_workers=0)
    nb = 0
    for batch in loader:
        src = [d['data_source'] for d in batch]
        assert len(src) == bs
        a, b = src.count('muco3dhp'), src.count('coco')
        assert a + b == bs and abs(a - b) <= 1, src
        # per-source samples carry their own depth flags
        for s, hd in zip(src, [d['has_depth'] for d in batch]):
            assert (hd.size == 0) or bool(hd.all()) == (s == 'muco3dhp')
        nb += 1
    assert nb >= 3
