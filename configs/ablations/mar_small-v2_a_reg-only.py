# Ablation (a), regression only: no L_geo in training, the regression depth at test (Table 4's
# "w/o geometry" row). Same data, schedule and seed as (d).
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
model = dict(head=dict(geo_loss=dict(loss_weight=0.), fusion=dict(mode='reg')))
