# The small CPU MAR on the synthetic benchmark v2 (issue 11): children and adults (body scale
# 0.55-1.2), pelvis depths 1.5-12 m, 40-90 degree cameras, 1-10 people, people cut by the
# image border; 2000 train / 200 val / 200 test images, split by sequence.
#   python tools/misc/generate_synthetic.py data/synthetic_v2 --preset v2
#   python tools/train.py configs/mar_hrnet-small_synthetic-v2-256x256.py
_base_ = ['./mar_hrnet-small_synthetic-256x256.py']

data_root = 'data/synthetic_v2/'

# Omega = the mean pelvis-neck length of the v2 training split (7477 people): 436.8 mm
# (std 73.0, p5 288.0, p50 454.1, p95 533.8), printed as "Omega (train mean pelvis-neck)" by
# `python tools/misc/generate_synthetic.py data/synthetic_v2 --preset v2` (seed 0).
model = dict(head=dict(omega=436.8))

# Schedule: what one CPU core trains in about 33 minutes (docs/ablation.md), validated on the val
# split every 250 iterations (the learning curves in docs/images/).
max_iters = 1500
train_cfg = dict(max_iters=max_iters, val_interval=250)
param_scheduler = [
    dict(type='LinearLR', begin=0, end=50, start_factor=0.01, by_epoch=False),
    dict(type='MultiStepLR', begin=0, end=max_iters, milestones=[1200], gamma=0.1,
         by_epoch=False),
]
default_hooks = dict(checkpoint=dict(interval=250, max_keep_ckpts=2))
randomness = dict(seed=0)

train_dataloader = dict(dataset=dict(data_root=data_root))
val_dataloader = dict(
    dataset=dict(
        type='MARSyntheticDataset',
        data_root=data_root,
        ann_file='annotations/synthetic_val.json',
        data_prefix=dict(img='images/')))
test_dataloader = dict(
    dataset=dict(
        type='MARSyntheticDataset',
        data_root=data_root,
        ann_file='annotations/synthetic_test.json',
        data_prefix=dict(img='images/')))
val_evaluator = dict(type='MuPoTSMetric')
test_evaluator = val_evaluator
