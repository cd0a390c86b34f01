"""The MAR joint set: the 17 MuPoTS-3D joints, their kinematic tree and mappings.

Every other module (codec, head, datasets, transforms, metrics, visualiser) takes its joint
order, limbs and flip pairs from here, so that there is exactly one table of each.

Joint order (MuPoTS-3D / MPI-INF-3DHP 17-joint order; the pelvis is the root)::

    0 head_top   1 neck        2 r_shoulder  3 r_elbow   4 r_wrist   5 l_shoulder
    6 l_elbow    7 l_wrist     8 r_hip       9 r_knee   10 r_ankle  11 l_hip
   12 l_knee    13 l_ankle    14 pelvis     15 spine    16 head
"""
import numpy as np

JOINT_NAMES = ('head_top', 'neck', 'r_shoulder', 'r_elbow', 'r_wrist',
               'l_shoulder', 'l_elbow', 'l_wrist', 'r_hip', 'r_knee',
               'r_ankle', 'l_hip', 'l_knee', 'l_ankle', 'pelvis', 'spine',
               'head')
NUM_JOINTS = len(JOINT_NAMES)  # 17
ROOT = 14  # pelvis
NECK = 1
#: The torso of the geometry depth (Eq. 7-8) is the root-neck segment.
TORSO = (ROOT, NECK)

#: Parent of each joint in the kinematic tree rooted at the pelvis (-1 for the root).
PARENTS = np.array([16, 15, 1, 2, 3, 1, 5, 6, 14, 8, 9, 14, 11, 12, -1, 14, 1])

#: The 16 bones (parent, child), ordered so that a parent always precedes its children
#: (breadth-first from the pelvis). Used as the PAF limbs and for tree walks.
LIMBS = ((14, 15), (14, 8), (14, 11), (15, 1), (8, 9), (11, 12), (1, 16),
         (1, 2), (1, 5), (9, 10), (12, 13), (16, 0), (2, 3), (5, 6), (3, 4),
         (6, 7))
NUM_LIMBS = len(LIMBS)  # 16

#: Left/right pairs swapped by a horizontal flip.
FLIP_PAIRS = ((2, 5), (3, 6), (4, 7), (8, 11), (9, 12), (10, 13))


def _flip_indices():
    idx = list(range(NUM_JOINTS))
    for a, b in FLIP_PAIRS:
        idx[a], idx[b] = b, a
    return tuple(idx)


#: ``flip_indices[k]`` is the joint that joint k becomes after a horizontal flip.
FLIP_INDICES = _flip_indices()

#: The 14 joints scored by MuPoTS 3DPCK (pelvis, spine and head excluded).
PCK_JOINTS = tuple(range(14))

#: MuCo-3DHP has 21 joints: the 17 above, then these four extras (dropped by mmmar).
MUCO_EXTRA_JOINT_NAMES = ('r_hand', 'l_hand', 'r_toe', 'l_toe')
