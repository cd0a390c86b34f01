"""Hand-built MuPoTS-like scenes for the evaluation tests (no randomness): people seen by a
pinhole camera of focal :data:`MUPOTS_F` px and principal point (:data:`MUPOTS_C`,
:data:`MUPOTS_C`), frames and the MuPoTS-format JSON of their ground truth."""
import numpy as np

from ._poses import TEMPLATE

MUPOTS_F, MUPOTS_C = 1000.0, 1000.0


def _project_mupots(p3):
    """Projection with the MuPoTS-like camera (:data:`MUPOTS_F`, :data:`MUPOTS_C`)."""
    p3 = np.asarray(p3, np.float64)
    f, c = MUPOTS_F, MUPOTS_C
    return np.stack([f * p3[..., 0] / p3[..., 2] + c, f * p3[..., 1] / p3[..., 2] + c], -1)


def person(x=0.0, z=4000.0, y=0.0):
    """(17, 3) mm and (17, 2) px of :data:`TEMPLATE` with its pelvis at (x, y, z)."""
    p3 = TEMPLATE + np.array([x, y, z])
    return p3, _project_mupots(p3)


def gt_frame(people, valid=None):
    """A ground-truth frame ``keypoints_3d``, ``keypoints_2d`` (and ``valid``) of the
    :func:`person` pairs ``people``."""
    p3 = np.stack([p[0] for p in people]) if people else np.zeros((0, 17, 3))
    p2 = np.stack([p[1] for p in people]) if people else np.zeros((0, 17, 2))
    d = dict(keypoints_3d=p3, keypoints_2d=p2)
    if valid is not None:
        d['valid'] = np.asarray(valid, bool)
    return d


def pred_frame(people):
    """A prediction frame ``keypoints_3d``, ``keypoints_2d`` of the :func:`person` pairs."""
    return gt_frame(people)


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
