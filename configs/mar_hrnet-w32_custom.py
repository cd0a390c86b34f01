# Fine-tune the paper model (configs/mar_hrnet-w32_muco.py) on your own data, converted with
# tools/dataset_converters/custom_to_muco.py (docs/custom_data.md):
#   data/custom/annotations/custom_train.json, custom_val.json   (converter output)
#   data/custom/images/...                                       (the "image" paths)
#   python tools/train.py configs/mar_hrnet-w32_custom.py
#   python tools/train.py configs/mar_hrnet-w32_custom.py \
#       --cfg-options load_from=path/to/mar_hrnet-w32_muco.pth   # another start
_base_ = ['./mar_hrnet-w32_muco.py']

# the paper model: where `tools/train.py configs/mar_hrnet-w32_muco.py` leaves it; its
# weights replace every initialisation, so the ImageNet backbone is not downloaded
load_from = 'work_dirs/mar_hrnet-w32_muco/iter_50000.pth'
model = dict(backbone=dict(init_cfg=None))

# ---------------------------------------------------------------- schedule
# a tenth of the paper schedule at a fifth of its learning rate
train_cfg = dict(type='IterBasedTrainLoop', max_iters=5000, val_interval=1000)
optim_wrapper = dict(optimizer=dict(type='Adam', lr=1e-4, weight_decay=1e-6))
param_scheduler = [
    dict(type='LinearLR', begin=0, end=100, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=5000, milestones=[4000], gamma=0.1,
         by_epoch=False),
]
default_hooks = dict(checkpoint=dict(interval=1000))

# ---------------------------------------------------------------- data
custom_root = 'data/custom/'
custom_train_ann = 'annotations/custom_train.json'
custom_val_ann = 'annotations/custom_val.json'
custom_img_prefix = 'images/'

# only your data (the depth losses need 3D); to keep COCO's 2D variety, use the base
# config's CombinedDataset + MultiSourceSampler with this dataset in place of MuCo
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True),
    dataset=dict(
        _delete_=True,
        type='MuCo3DHPDataset',
        data_root=custom_root,
        ann_file=custom_train_ann,
        data_prefix=dict(img=custom_img_prefix),
        filter_cfg=dict(filter_empty_gt=True),
        pipeline={{_base_.train_pipeline}}))
# evaluated with the MuPoTS protocol (keypoints_cam as the 3D ground truth; the sequences
# are the images' seq_name, else their folder)
val_dataloader = dict(
    dataset=dict(
        data_root=custom_root,
        ann_file=custom_val_ann,
        data_prefix=dict(img=custom_img_prefix)))
test_dataloader = val_dataloader
