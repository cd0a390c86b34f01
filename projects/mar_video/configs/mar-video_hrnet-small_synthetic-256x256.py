# mar_video on the small CPU MAR of `make demo` (trained on the embedded synthetic data).
_base_ = [
    '../../../configs/mar_hrnet-small_synthetic-256x256.py',
    './_base_/mar_video_runtime.py'
]

# the core's modules (as configs/_base_/default_runtime.py) and the project's package
custom_imports = dict(
    imports=[
        'mmmar.utils', 'mmmar.codecs', 'mmmar.models', 'mmmar.datasets',
        'mmmar.evaluation', 'mmmar.visualization', 'mmmar.apis', 'mar_video'
    ],
    allow_failed_imports=False)
