"""Hand-built MuPoTS-like scenes for the evaluation tests (no randomness)."""
import numpy as np

F, C = 1000.0, 1000.0  # pinhole camera: focal 1000 px, principal point (1000, 1000)

#: A standing person, pelvis at the origin, mm, camera axes (y down).
TEMPLATE = np.array([
    [0, -700, 0],      # 0 head_top
    [0, -500, 0],      # 1 neck
    [-150, -480, 0],   # 2 r_shoulder
    [-180, -250, 20],  # 3 r_elbow
    [-190, -30, 40],   # 4 r_wrist
    [150, -480, 0],    # 5 l_shoulder
    [180, -250, 20],   # 6 l_elbow
    [190, -30, 40],    # 7 l_wrist
    [-100, 0, 0],      # 8 r_hip
    [-110, 400, 30],   # 9 r_knee
    [-120, 800, 0],    # 10 r_ankle
    [100, 0, 0],       # 11 l_hip
    [110, 400, 30],    # 12 l_knee
    [120, 800, 0],     # 13 l_ankle
    [0, 0, 0],         # 14 pelvis
    [0, -250, 0],      # 15 spine
    [0, -600, 10],     # 16 head
], dtype=np.float64)


def project(p3):
    p3 = np.asarray(p3, np.float64)
    return np.stack([F * p3[..., 0] / p3[..., 2] + C, F * p3[..., 1] / p3[..., 2] + C], -1)


def person(x=0.0, z=4000.0, y=0.0):
    """(17, 3) mm and (17, 2) px of the template with its pelvis at (x, y, z)."""
    p3 = TEMPLATE + np.array([x, y, z])
    return p3, project(p3)


def gt_frame(people, valid=None):
    p3 = np.stack([p[0] for p in people]) if people else np.zeros((0, 17, 3))
    p2 = np.stack([p[1] for p in people]) if people else np.zeros((0, 17, 2))
    d = dict(keypoints_3d=p3, keypoints_2d=p2)
    if valid is not None:
        d['valid'] = np.asarray(valid, bool)
    return d


def pred_frame(people):
    p3 = np.stack([p[0] for p in people]) if people else np.zeros((0, 17, 3))
    p2 = np.stack([p[1] for p in people]) if people else np.zeros((0, 17, 2))
    return dict(keypoints_3d=p3, keypoints_2d=p2)


def mupots_json(gt_frames):
    """{seq: {img_id: frame}} -> MuPoTS-format JSON dict (keypoints_univ = the 3D GT)."""
    images, anns = [], []
    aid = 0
    for seq, frames in gt_frames.items():
        for k, (iid, fr) in enumerate(frames.items()):
            images.append(dict(id=iid, file_name=f'{seq}/img_{k:06d}.jpg', width=2048,
                               height=2048, frame_idx=k))
            valid = fr.get('valid', np.ones(len(fr['keypoints_3d']), bool))
            for p3, p2, v in zip(fr['keypoints_3d'], fr['keypoints_2d'], valid):
                anns.append(dict(id=aid, image_id=iid, keypoints_img=p2.tolist(),
                                 keypoints_cam=(p3 + 7.0).tolist(),  # deliberately different
                                 keypoints_univ=p3.tolist(), is_valid=int(v)))
                aid += 1
    return dict(images=images, annotations=anns)
