# Ablation (c), both losses, fixed 0.5 / 0.5 average of Z_reg and Z_geo at test instead of the
# uncertainty weights of Eq. 12: the model of (d), tested with fusion mode 'mean'.
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
model = dict(head=dict(fusion=dict(mode='mean')))
