# Ablation (b), geometry only: the model of (d), tested with the pure geometry depth
# (Eq. 7-8 with the constant Omega); no regression depth enters the root depth.
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
model = dict(head=dict(fusion=dict(mode='geo')))
