# MAR (ACM MM 2022) model: HRNet-w32 (multi-scale outputs) + MARHead.
# Model dict only; data pipelines / schedules live in the other _base_ files.
# `codec` is shared with the data pipeline (GenerateTarget(encoder=codec)).
# Paper setting: input 832x512 (W x H), heatmaps at stride 4 (208x128).
codec = dict(
    type='MARCodec',
    input_size=(832, 512),
    heatmap_size=(208, 128),
)

model = dict(
    type='MARPoseEstimator',
    data_preprocessor=dict(
        type='PoseDataPreprocessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        type='HRNet',
        in_channels=3,
        extra=dict(
            stage1=dict(
                num_modules=1,
                num_branches=1,
                block='BOTTLENECK',
                num_blocks=(4, ),
                num_channels=(64, )),
            stage2=dict(
                num_modules=1,
                num_branches=2,
                block='BASIC',
                num_blocks=(4, 4),
                num_channels=(32, 64)),
            stage3=dict(
                num_modules=4,
                num_branches=3,
                block='BASIC',
                num_blocks=(4, 4, 4),
                num_channels=(32, 64, 128)),
            stage4=dict(
                num_modules=3,
                num_branches=4,
                block='BASIC',
                num_blocks=(4, 4, 4, 4),
                num_channels=(32, 64, 128, 256),
                multiscale_output=True)),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmpose/'
            'pretrain_models/hrnet_w32-36af842e.pth'),
    ),
    head=dict(
        type='MARHead',
        in_channels=(32, 64, 128, 256),
        num_keypoints=17,
        num_limbs=16,
        branch_channels=256,
        multiscale_supervision=True,
        test_scale_fusion='average',
        # Omega: mean pelvis(14)-neck(1) length in mm, measured on real people: 488.6 mm
        # (sd 39.5) over the 8 annotated people of the repository's 3D fixtures (MPI-INF-3DHP
        # train x2 + test x2, mean 495.8; Human3.6M x4, pelvis-thorax, mean 481.4):
        #   tools/analysis_tools/compute_torso_length.py tests/data/mpi_inf_3dhp/
        #   test_3dhp_train.npz tests/data/mpi_inf_3dhp/test_3dhp_test.npz
        #   tests/data/h36m/test_h36m_body3d.npz --order mupots mupots h36m
        # Re-measure on the full MuCo-3DHP.json with the same tool when it is available.
        omega=488.6,
        heatmap_loss=dict(type='MARMapLoss', loss_type='mse', loss_weight=1.),
        paf_loss=dict(type='MARMapLoss', loss_type='mse', loss_weight=1.),
        # the offsets' smooth-L1 is a weighted mean while the heatmap / PAF losses sum over
        # pixels (about 10 vs 0.1 at the start): at weight 1 the offsets, which give the
        # limbs Eq. 3 takes from them, their relative depths and the torso of Eq. 7-8, stay
        # undertrained (docs/ablation.md, overfit check: PCK_rel 26.8 -> 52.6 with 10)
        offset_loss=dict(
            type='WeightedRegressionLoss', loss_type='smooth_l1', beta=0.1, loss_weight=10.),
        geo_loss=dict(type='LaplaceDepthLoss', loss_weight=1.),
        reg_loss=dict(type='LaplaceDepthLoss', loss_weight=1.),  # Eq. 11's w
        decoder=codec,
        # Eq. 7-8 on the root-offset torso, the one L_geo trains sigma2 on (docs/ablation.md:
        # the structured pose's torso gave a 30 % depth error where this one gives 2 %)
        fusion=dict(type='MARDepthFusion', mode='fusion', geo_torso='offsets'),
    ),
    test_cfg=dict(flip_test=False, shift_heatmap=True),
)
