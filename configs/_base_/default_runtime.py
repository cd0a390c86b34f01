# Runtime shared by the MAR configs: mmpose's defaults, iteration-based.
default_scope = 'mmpose'

# mmmar registers its components into mmpose's registries when these modules are imported.
custom_imports = dict(
    imports=[
        'mmmar.utils', 'mmmar.codecs', 'mmmar.models', 'mmmar.datasets', 'mmmar.engine',
        'mmmar.evaluation', 'mmmar.visualization', 'mmmar.apis'
    ],
    allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(
        type='CheckpointHook', interval=5000, by_epoch=False, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='PoseVisualizationHook', enable=False))

custom_hooks = [dict(type='SyncBuffersHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='MARPose3DVisualizer', vis_backends=vis_backends, name='visualizer')

log_processor = dict(
    type='LogProcessor', window_size=50, by_epoch=False, num_digits=6)
log_level = 'INFO'
load_from = None
resume = False

backend_args = dict(backend='local')

train_cfg = dict(type='IterBasedTrainLoop')
val_cfg = dict()
test_cfg = dict()
