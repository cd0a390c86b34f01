"""MuPoTS-3D ground truth for :func:`~mmmar.evaluation.functional.evaluate_mupots`: the
MuPoTS JSON (``load_mupots_gt``) or one image's annotations (``gt_frame_from_anns``) as
ground-truth frames, and the sequence names and order. Plain numpy."""
import json
import re
from collections import OrderedDict
from typing import Dict, Hashable, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmmar.structures.annotations import univ_key
from mmmar.structures.skeleton import NUM_JOINTS


def seq_name_from_path(path: str) -> Optional[str]:
    """'TS1/img_000000.jpg' (or any path containing a TS<k> folder) -> 'TS1'."""
    if not path:
        return None
    m = re.search(r'(?:^|[\\/])(TS\d+)(?:[\\/])', str(path))
    if m:
        return m.group(1)
    parts = re.split(r'[\\/]', str(path))
    return parts[-2] if len(parts) >= 2 else None


def seq_sort_key(name) -> Tuple:
    """Sort key of a sequence name: 'TS2' before 'TS10' (trailing number compared as int)."""
    s = str(name)
    m = re.search(r'(\d+)\s*$', s)
    return (re.sub(r'\d+\s*$', '', s), int(m.group(1)) if m else -1, s)


def gt_frame_from_anns(anns: Sequence[Mapping], prefer_univ: bool = True
                       ) -> Tuple[Dict[str, np.ndarray], Optional[str]]:
    """One image's MuPoTS JSON annotation dicts -> a ground-truth frame dict.

    3D = the universal joints (``keypoints_univ`` or ``univ_annot3``,
    :data:`mmmar.structures.annotations.UNIV_KEYS`)
    when present in every annotation and ``prefer_univ``, else ``keypoints_cam``. Returns
    ``(frame, source)`` with source 'keypoints_univ' / 'keypoints_cam' (None when the image
    has no annotation)."""
    anns = list(anns or [])
    if not anns:
        return dict(keypoints_2d=np.zeros((0, NUM_JOINTS, 2)),
                    keypoints_3d=np.zeros((0, NUM_JOINTS, 3)), valid=np.zeros(0, bool)), None
    use_univ = prefer_univ and all(univ_key(a) for a in anns)
    src = 'keypoints_univ' if use_univ else 'keypoints_cam'
    keys = [univ_key(a) if use_univ else 'keypoints_cam' for a in anns]
    for a, key in zip(anns, keys):
        for k in ('keypoints_img', key):
            if a.get(k) is None:
                raise KeyError(f'MuPoTS annotation (image {a.get("image_id")!r}) lacks {k!r}')
    k2 = np.stack([np.asarray(a['keypoints_img'], np.float64).reshape(NUM_JOINTS, -1)[:, :2]
                   for a in anns])
    k3 = np.stack([np.asarray(a[key], np.float64).reshape(NUM_JOINTS, 3)
                   for a, key in zip(anns, keys)])
    valid = np.array([bool(np.asarray(a.get('is_valid', 1)).reshape(-1)[0]) for a in anns])
    return dict(keypoints_2d=k2, keypoints_3d=k3, valid=valid), src


def _index_images(images: Sequence[Mapping]) -> Tuple[dict, dict]:
    """``img_index = {img_id: (seq, file_name)}`` and ``{seq: [(order, img_id), ...]}``."""
    img_index, staged = {}, {}
    for img in images:
        iid = img['id']
        if iid in img_index:
            raise ValueError(f'duplicate image id {iid!r} in the MuPoTS annotation file')
        seq = img.get('seq_name') or seq_name_from_path(img.get('file_name', ''))
        if seq is None:
            raise ValueError(f'cannot tell the sequence of image {iid!r}')
        img_index[iid] = (seq, img.get('file_name'))
        order = img.get('frame_idx', img.get('file_name', iid))
        staged.setdefault(seq, []).append((order, iid))
    return img_index, staged


def load_mupots_gt(ann_file, prefer_univ: bool = True
                   ) -> Tuple[Dict[str, Dict[Hashable, dict]], Dict[Hashable, Tuple[str, str]],
                              Dict[str, int]]:
    """The MuPoTS JSON (path or loaded dict) -> ``(gt_frames, img_index, sources)``.

    ``gt_frames = {seq_name: {img_id: frame}}`` (frames ordered by ``frame_idx`` / file name),
    ``img_index = {img_id: (seq_name, file_name)}``, ``sources`` counts the frames scored with
    'keypoints_univ' vs 'keypoints_cam'. Sequence names come from the image's ``seq_name`` or
    its file name ('TS1/img_000000.jpg')."""
    if isinstance(ann_file, Mapping):
        data = ann_file
    else:
        with open(ann_file) as f:
            data = json.load(f)
    anns_by_img = {}
    for a in data.get('annotations', []):
        anns_by_img.setdefault(a['image_id'], []).append(a)
    img_index, staged = _index_images(list(data['images']))
    unknown = set(anns_by_img) - set(img_index)
    if unknown:
        raise ValueError(f'annotations refer to image ids not in images, e.g. '
                         f'{next(iter(unknown))!r}')
    gt_frames, sources = OrderedDict(), {'keypoints_univ': 0, 'keypoints_cam': 0}
    for seq in sorted(staged, key=seq_sort_key):
        fr = OrderedDict()
        for _, iid in sorted(staged[seq], key=lambda t: (str(type(t[0])), t[0])):
            frame, src = gt_frame_from_anns(anns_by_img.get(iid, []), prefer_univ)
            if src:
                sources[src] += 1
            fr[iid] = frame
        gt_frames[seq] = fr
    return gt_frames, img_index, sources
