# mmpose ``dataset_info`` for the 17 MuPoTS-3D joints used by MAR.
# The values mirror ``mmmar/structures/skeleton.py`` (JOINT_NAMES, LIMBS, FLIP_PAIRS); a test
# checks that they agree. This file is read with ``mmengine.Config.fromfile`` so it must stay
# plain python without imports.
# sigmas: COCO OKS sigmas for the joints COCO has (shoulders .079, elbows .072, wrists .062,
# hips .107, knees .087, ankles .089); head_top/head use an eye-ear like .035*2, neck .079,
# pelvis/spine .107 (our choice; OKS is only used for 2D sanity metrics, never by MuPoTS PCK).
dataset_info = dict(
    dataset_name='mupots3d',
    paper_info=dict(
        author='Mehta, Dushyant and Sotnychenko, Oleksandr and Mueller, Franziska and '
        'Xu, Weipeng and Sridhar, Srinath and Pons-Moll, Gerard and Theobalt, Christian',
        title='Single-Shot Multi-Person 3D Pose Estimation From Monocular RGB',
        container='3DV',
        year='2018',
        homepage='https://vcai.mpi-inf.mpg.de/projects/SingleShotMultiPerson/',
    ),
    keypoint_info={
        0: dict(name='head_top', id=0, color=[51, 153, 255], type='upper', swap=''),
        1: dict(name='neck', id=1, color=[51, 153, 255], type='upper', swap=''),
        2: dict(name='r_shoulder', id=2, color=[255, 128, 0], type='upper', swap='l_shoulder'),
        3: dict(name='r_elbow', id=3, color=[255, 128, 0], type='upper', swap='l_elbow'),
        4: dict(name='r_wrist', id=4, color=[255, 128, 0], type='upper', swap='l_wrist'),
        5: dict(name='l_shoulder', id=5, color=[0, 255, 0], type='upper', swap='r_shoulder'),
        6: dict(name='l_elbow', id=6, color=[0, 255, 0], type='upper', swap='r_elbow'),
        7: dict(name='l_wrist', id=7, color=[0, 255, 0], type='upper', swap='r_wrist'),
        8: dict(name='r_hip', id=8, color=[255, 128, 0], type='lower', swap='l_hip'),
        9: dict(name='r_knee', id=9, color=[255, 128, 0], type='lower', swap='l_knee'),
        10: dict(name='r_ankle', id=10, color=[255, 128, 0], type='lower', swap='l_ankle'),
        11: dict(name='l_hip', id=11, color=[0, 255, 0], type='lower', swap='r_hip'),
        12: dict(name='l_knee', id=12, color=[0, 255, 0], type='lower', swap='r_knee'),
        13: dict(name='l_ankle', id=13, color=[0, 255, 0], type='lower', swap='r_ankle'),
        14: dict(name='pelvis', id=14, color=[51, 153, 255], type='lower', swap=''),
        15: dict(name='spine', id=15, color=[51, 153, 255], type='upper', swap=''),
        16: dict(name='head', id=16, color=[51, 153, 255], type='upper', swap=''),
    },
    skeleton_info={
        0: dict(link=('pelvis', 'spine'), id=0, color=[51, 153, 255]),
        1: dict(link=('pelvis', 'r_hip'), id=1, color=[255, 128, 0]),
        2: dict(link=('pelvis', 'l_hip'), id=2, color=[0, 255, 0]),
        3: dict(link=('spine', 'neck'), id=3, color=[51, 153, 255]),
        4: dict(link=('r_hip', 'r_knee'), id=4, color=[255, 128, 0]),
        5: dict(link=('l_hip', 'l_knee'), id=5, color=[0, 255, 0]),
        6: dict(link=('neck', 'head'), id=6, color=[51, 153, 255]),
        7: dict(link=('neck', 'r_shoulder'), id=7, color=[255, 128, 0]),
        8: dict(link=('neck', 'l_shoulder'), id=8, color=[0, 255, 0]),
        9: dict(link=('r_knee', 'r_ankle'), id=9, color=[255, 128, 0]),
        10: dict(link=('l_knee', 'l_ankle'), id=10, color=[0, 255, 0]),
        11: dict(link=('head', 'head_top'), id=11, color=[51, 153, 255]),
        12: dict(link=('r_shoulder', 'r_elbow'), id=12, color=[255, 128, 0]),
        13: dict(link=('l_shoulder', 'l_elbow'), id=13, color=[0, 255, 0]),
        14: dict(link=('r_elbow', 'r_wrist'), id=14, color=[255, 128, 0]),
        15: dict(link=('l_elbow', 'l_wrist'), id=15, color=[0, 255, 0]),
    },
    joint_weights=[1.] * 17,
    sigmas=[
        0.070, 0.079, 0.079, 0.072, 0.062, 0.079, 0.072, 0.062, 0.107, 0.087,
        0.089, 0.107, 0.087, 0.089, 0.107, 0.107, 0.070
    ])
