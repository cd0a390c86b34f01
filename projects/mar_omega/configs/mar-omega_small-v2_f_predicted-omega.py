# Ablation (f) of docs/ablation.md: full MAR (row (d)) with Omega predicted per person (a
# torso-length branch supervised by the true pelvis-neck length) instead of the constant
# training-set mean. Needs projects/mar_omega on PYTHONPATH.
_base_ = ['../../../configs/ablations/mar_small-v2_d_full.py']

# the core's modules (as configs/_base_/default_runtime.py) and the project's package
custom_imports = dict(
    imports=[
        'mmmar.utils', 'mmmar.codecs', 'mmmar.models', 'mmmar.datasets',
        'mmmar.evaluation', 'mmmar.visualization', 'mmmar.apis', 'mar_omega'
    ],
    allow_failed_imports=False)

model = dict(head=dict(type='MAROmegaHead'))
