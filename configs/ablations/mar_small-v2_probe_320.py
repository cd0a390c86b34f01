# Probe (issue 11, not a paper row): input resolution. The full MAR of row (d) trained and tested
# at 320x320 instead of 256x256 (heatmaps 80x80; about 1.56x the FLOPs): every person is 1.25x
# larger in pixels. Compared with row (d) at equal iterations of the same schedule
# (docs/ablation.md, section 4):
#   python tools/train.py configs/ablations/mar_small-v2_probe_320.py \
#       --cfg-options train_cfg.max_iters=750
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
codec = dict(input_size=(320, 320), heatmap_size=(80, 80))
