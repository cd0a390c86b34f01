from .cam_param import cam_param_from_K, make_cam_param
from .instances import first_field, instance_keypoints
from .skeleton import (FLIP_INDICES, FLIP_PAIRS, JOINT_NAMES, LIMBS, NECK, NUM_JOINTS, NUM_LIMBS,
                       PARENTS, PCK_JOINTS, ROOT, TORSO)

__all__ = [
    'JOINT_NAMES', 'NUM_JOINTS', 'ROOT', 'NECK', 'TORSO', 'PARENTS', 'LIMBS',
    'NUM_LIMBS', 'FLIP_PAIRS', 'FLIP_INDICES', 'PCK_JOINTS', 'cam_param_from_K',
    'make_cam_param', 'first_field', 'instance_keypoints'
]
