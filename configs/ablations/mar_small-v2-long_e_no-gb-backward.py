# Row (e) of docs/ablation.md on the long first-stage schedule (8 000 iterations, issue 21):
# full MAR with Eq. 10 stopped, i.e. L_geo trains its uncertainty sigma2 only and sends no
# gradient into the 2.5D pose (the offsets). Compare with the long config itself, which is row (d).
#   OMP_NUM_THREADS=1 tools/dist_train.sh configs/ablations/mar_small-v2-long_e_no-gb-backward.py \
#       2 --amp --cfg-options train_dataloader.batch_size=4
_base_ = ['../mar_hrnet-small_synthetic-v2-long-256x256.py']
model = dict(head=dict(geo_backward=False))
