# Ablation (e), full MAR with the geometry-based backward pass stopped: L_geo trains sigma2 only,
# Z_geo is detached from the 2.5D pose (no Eq. 10 gradient into the offsets).
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
model = dict(head=dict(geo_backward=False))
