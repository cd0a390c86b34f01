# MAR on Human3.6M, protocol 2 (paper Table 2): train S1, S5, S6, S7, S8 (every 5th frame) with
# half of every batch from COCO; test S9, S11 (every 64th frame) with MRPE (x, y, z) and MPJPE.
# Everything else as in the paper setting.
_base_ = ['./mar_hrnet-w32_muco.py']

default_hooks = dict(checkpoint=dict(save_best='h36m/MRPE', rule='less'))

h36m_root = 'data/h36m/'
h36m_train = dict(
    type='H36MMARDataset',
    data_root=h36m_root,
    ann_file='annotation_body3d/fps50/h36m_train.npz',
    camera_param_file='annotation_body3d/cameras.pkl',
    data_prefix=dict(img='images/'),
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=[])
coco_train = dict(
    type='CocoMARDataset',
    data_root='data/coco/',
    ann_file='annotations/person_keypoints_train2017.json',
    data_prefix=dict(img='train2017/'),
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=[])

train_dataloader = dict(dataset=dict(datasets=[h36m_train, coco_train]))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='H36MMARDataset',
        data_root=h36m_root,
        ann_file='annotation_body3d/fps50/h36m_test.npz',
        camera_param_file='annotation_body3d/cameras.pkl',
        data_prefix=dict(img='images/'),
        test_mode=True,
        pipeline={{_base_.val_pipeline}}))
test_dataloader = val_dataloader

val_evaluator = dict(_delete_=True, type='H36MMetric')
test_evaluator = val_evaluator
