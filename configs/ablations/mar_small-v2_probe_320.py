# Probe (issue 11, not a paper row): input resolution. The full MAR of row (d) trained and tested
# at 320x320 instead of 256x256 (heatmaps 80x80; about 1.56x the FLOPs): every person is 1.25x
# larger in pixels. Compared with row (d) at equal iterations of the same schedule
# (docs/ablation.md, section 4):
#   python tools/train.py configs/ablations/mar_small-v2_probe_320.py \
#       --cfg-options train_cfg.max_iters=750
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
codec = dict(type='MARCodec', input_size=(320, 320), heatmap_size=(80, 80))

# what depends on the codec, stated again (mmengine resolves the base configs once)
model = dict(head=dict(decoder=codec))
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
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=val_pipeline))
test_dataloader = dict(dataset=dict(pipeline=val_pipeline))
