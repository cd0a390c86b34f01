# Ablation (d), full MAR: L_reg + L_geo with the geometry-based backward pass (Eq. 10) and the
# uncertainty-weighted fusion (Eq. 12). This is the base config itself.
_base_ = ['../mar_hrnet-small_synthetic-v2-256x256.py']
