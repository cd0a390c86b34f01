# MAR (ACM MM 2022), paper setting: HRNet-w32 (ImageNet init), input 832x512,
# Adam 5e-4 / weight decay 1e-6, 50k iterations, 32 images per iteration over 4 GPUs
# (8 per GPU), each batch half MuCo-3DHP and half COCO (depth losses zeroed for COCO).
#   tools/dist_train.sh configs/mar_hrnet-w32_muco.py 4
_base_ = ['./_base_/default_runtime.py', './_base_/models/mar_hrnet-w32.py']

# ---------------------------------------------------------------- schedule
train_cfg = dict(
    type='IterBasedTrainLoop', max_iters=50000, val_interval=5000)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=5e-4, weight_decay=1e-6))
# The paper gives no schedule beyond lr and iterations: linear warm-up, then a x0.1 step at
# 80% and 90% of training (mmpose's bottom-up habit).
param_scheduler = [
    dict(type='LinearLR', begin=0, end=500, start_factor=0.001, by_epoch=False),
    dict(
        type='MultiStepLR',
        begin=0,
        end=50000,
        milestones=[40000, 45000],
        gamma=0.1,
        by_epoch=False),
]
auto_scale_lr = dict(base_batch_size=32)
default_hooks = dict(
    checkpoint=dict(save_best='mupots/PCK_abs_all', rule='greater'))

# ---------------------------------------------------------------- data
# The datasets as downloaded (README "Data"), no files moved:
#   3DMPPE MuCo-3DHP release:  data/MuCo/data/MuCo-3DHP.json beside augmented_set/ and
#                              unaugmented_set/ (the JSON's file_name starts with those folders)
#   MuPoTS-3D:                 data/MuPoTS/data/MuPoTS-3D.json (3DMPPE annotation) beside the
#                              official MultiPersonTestSet/TS1/img_000000.jpg ... (unzipped)
#   COCO:                      data/coco/annotations/person_keypoints_train2017.json, train2017/
# Data elsewhere: symlink the folders there (ln -s /path/to/MuCo data/MuCo), or override the
# dataset fields (e.g. --cfg-options train_dataloader.dataset.datasets.0.data_root=...); a
# derived config that changes only these variables does not reach the dicts built from them.
data_root = 'data/'
muco_root = data_root + 'MuCo/data/'
muco_ann_file = 'MuCo-3DHP.json'
muco_img_prefix = ''
mupots_root = data_root + 'MuPoTS/data/'
mupots_ann_file = 'MuPoTS-3D.json'
mupots_img_prefix = 'MultiPersonTestSet/'
coco_root = data_root + 'coco/'
data_mode = 'bottomup'
input_size = (832, 512)
batch_size_per_gpu = 8

train_pipeline = [
    # ignore_mask: COCO crowd regions and people without keypoints get zero loss weight
    # (MuCo-3DHP has none: an empty mask)
    dict(type='MARLoadImage', with_ignore_mask=True),
    dict(type='MARRandomAffine', input_size=(832, 512), rotate_factor=30.,
         scale_factor=(0.75, 1.25)),
    dict(type='MARRandomFlip', prob=0.5),
    dict(type='PhotometricDistortion'),
    dict(type='GenerateTarget', encoder={{_base_.codec}}),
    dict(type='PackPoseInputs',
         meta_keys=('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
                    'input_size', 'flip', 'flip_direction', 'cam_param',
                    'dataset_name')),
]
val_pipeline = [
    dict(type='MARLoadImage', on_corrupt='raise'),
    # intrinsics for images that come without any (e.g. through MMPoseInferencer): a
    # documented default (mmmar.apis.default_intrinsics); datasets always provide their own
    dict(type='MARDefaultIntrinsics'),
    dict(type='MARResizePad', input_size=(832, 512)),
    dict(type='PackPoseInputs',
         meta_keys=('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
                    'input_size', 'cam_param', 'ori_cam_param', 'input_affine',
                    'seq_name', 'frame_idx', 'raw_ann_info', 'dataset_name')),
]

muco_train = dict(
    type='MuCo3DHPDataset',
    data_root=muco_root,
    ann_file=muco_ann_file,
    data_prefix=dict(img=muco_img_prefix),
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=[])
coco_train = dict(
    type='CocoMARDataset',
    data_root=coco_root,
    ann_file='annotations/person_keypoints_train2017.json',
    data_prefix=dict(img='train2017/'),
    filter_cfg=dict(filter_empty_gt=True),
    pipeline=[])

train_dataloader = dict(
    batch_size=batch_size_per_gpu,
    num_workers=4,
    persistent_workers=True,
    # half of every batch from each source (paper 4.1)
    sampler=dict(
        type='MultiSourceSampler',
        batch_size=batch_size_per_gpu,
        source_ratio=[1, 1],
        shuffle=True),
    dataset=dict(
        type='CombinedDataset',
        metainfo=dict(from_file='mmmar/datasets/metainfo/mupots3d.py'),
        datasets=[muco_train, coco_train],
        pipeline=train_pipeline,
        test_mode=False))

val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(
        type='MuPoTS3DDataset',
        data_root=mupots_root,
        ann_file=mupots_ann_file,
        data_prefix=dict(img=mupots_img_prefix),
        test_mode=True,
        pipeline=val_pipeline))
test_dataloader = val_dataloader

val_evaluator = dict(type='MuPoTSMetric')
test_evaluator = val_evaluator
