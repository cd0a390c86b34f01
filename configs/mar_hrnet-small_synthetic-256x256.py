# A small MAR for CPUs (tests, `make demo`): inherits the paper setting and changes only what
# a 2-core machine needs: a thin HRNet without ImageNet init, 256x256 input, the embedded
# synthetic data instead of MuCo+COCO, a short schedule. As in mmpose's configs, what depends on
# the codec (the head's decoder, the target encoder, the transforms' input size and the
# dataloaders' pipelines) is stated here again: mmengine resolves a base config once.
#   python tools/misc/generate_synthetic.py data/synthetic
#   python tools/train.py configs/mar_hrnet-small_synthetic-256x256.py
_base_ = ['./mar_hrnet-w32_muco.py']

codec = dict(type='MARCodec', input_size=(256, 256), heatmap_size=(64, 64))

model = dict(
    backbone=dict(
        extra=dict(
            stage1=dict(num_blocks=(1, ), num_channels=(32, )),
            stage2=dict(num_blocks=(1, 1), num_channels=(16, 32)),
            stage3=dict(num_modules=1, num_blocks=(1, 1, 1), num_channels=(16, 32, 64)),
            stage4=dict(
                num_modules=1, num_blocks=(1, 1, 1, 1), num_channels=(16, 32, 64, 128))),
        init_cfg=None),
    head=dict(in_channels=(16, 32, 64, 128), branch_channels=64, decoder=codec))

train_cfg = dict(max_iters=1500, val_interval=500)
optim_wrapper = dict(optimizer=dict(lr=2e-3))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=1500, milestones=[1200], gamma=0.1,
         by_epoch=False),
]
auto_scale_lr = dict(base_batch_size=8)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=500, save_best=None))
env_cfg = dict(dist_cfg=dict(backend='gloo'))

data_root = 'data/synthetic/'
train_pipeline = [
    dict(type='MARLoadImage'),
    dict(type='MARRandomAffine', input_size=codec['input_size'], rotate_factor=15.,
         scale_factor=(0.75, 1.25)),
    dict(type='MARRandomFlip', prob=0.5),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs',
         meta_keys=('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
                    'input_size', 'flip', 'flip_direction', 'cam_param',
                    'dataset_name')),
]
val_pipeline = [
    dict(type='MARLoadImage', on_corrupt='raise'),
    dict(type='MARDefaultIntrinsics'),
    dict(type='MARResizePad', input_size=codec['input_size']),
    dict(type='PackPoseInputs',
         meta_keys=('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
                    'input_size', 'cam_param', 'ori_cam_param', 'input_affine',
                    'seq_name', 'frame_idx', 'raw_ann_info', 'dataset_name')),
]
train_dataloader = dict(
    _delete_=True,
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='MARSyntheticDataset',
        data_root=data_root,
        ann_file='annotations/synthetic_train.json',
        data_prefix=dict(img='images/'),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(
        type='MARSyntheticDataset',
        data_root=data_root,
        ann_file='annotations/synthetic_test.json',
        data_prefix=dict(img='images/'),
        pipeline=val_pipeline))
test_dataloader = val_dataloader
