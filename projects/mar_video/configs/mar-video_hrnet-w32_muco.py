# mar_video on the paper-setting MAR (HRNet-w32, MuCo-3DHP + COCO).
_base_ = ['../../../configs/mar_hrnet-w32_muco.py', './_base_/mar_video_runtime.py']

# the core's modules (as configs/_base_/default_runtime.py) and the project's package
custom_imports = dict(
    imports=[
        'mmmar.utils', 'mmmar.codecs', 'mmmar.models', 'mmmar.datasets',
        'mmmar.evaluation', 'mmmar.visualization', 'mmmar.apis', 'mar_video'
    ],
    allow_failed_imports=False)
