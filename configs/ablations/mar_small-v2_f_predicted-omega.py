# Ablation (f), full MAR with Omega predicted per person (a torso-length branch supervised by the
# true pelvis-neck length) instead of the constant training-set mean.
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
model = dict(head=dict(predict_torso=True))
