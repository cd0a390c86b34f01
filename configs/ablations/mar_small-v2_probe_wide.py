# Probe (issue 11, not a paper row): capacity. The full MAR of row (d) with 1.5x the channels of
# every HRNet branch and of the head (about 2.2x the FLOPs); compared with row (d) at equal
# iterations of the same schedule (docs/ablation.md, section 4):
#   python tools/train.py configs/ablations/mar_small-v2_probe_wide.py \
#       --cfg-options train_cfg.max_iters=750
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
model = dict(
    backbone=dict(
        extra=dict(
            stage1=dict(num_channels=(48, )),
            stage2=dict(num_channels=(24, 48)),
            stage3=dict(num_channels=(24, 48, 96)),
            stage4=dict(num_channels=(24, 48, 96, 192)))),
    head=dict(in_channels=(24, 48, 96, 192), branch_channels=96))
