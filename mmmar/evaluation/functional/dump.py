"""Prediction dump files: rescore MuPoTS-3D results without the model.

Format (JSON; gzip-compressed when the path ends with ``.gz``)::

    {
      "format": "mmmar.mupots_predictions",
      "version": 2,
      "joint_names": ["head_top", "neck", ..., "head"],     # the 17 MuPoTS joints, in order
      "units": {"keypoints": "px, original image",
                "keypoints_3d": "mm, camera space of the original image"},
      "meta": {...},                                         # free-form (config, checkpoint)
      "predictions": [                                       # one record per image
        {"img_id": 12,                                       # id in the MuPoTS JSON (int or str)
         "seq_name": "TS1",                                  # optional
         "file_name": "TS1/img_000012.jpg",                  # optional
         "keypoints": [[[u, v] x 17] x N],                   # px, original image
         "keypoints_3d": [[[x, y, z] x 17] x N],             # mm, camera space
         "scores": [N floats],                               # optional
         "root_depth": [N floats]}                           # optional, mm (fused, Eq. 12)
      ]
    }

The names are those of ``pred_instances`` and of the inferencer's JSON (``docs/design.md``,
"Names along the inference path"). Version 1 (before issue 22) named the 3D joints
``keypoints`` and the 2D ones ``keypoints_2d``; :func:`load_predictions` still reads it
(renaming the two fields), and a record handed to :func:`check_record` with a
``keypoints_2d`` field is refused with a message that names the field.

An image where nothing was detected has ``N = 0`` (empty lists). Values are written as full
float64 reprs, so rescoring a dump reproduces the online numbers exactly.

``dump_predictions(path, records, meta=None)`` writes it, ``load_predictions(path)`` reads it
back as a list of records with numpy arrays (shape-checked), and
``predictions_to_frames(records, img_index)`` arranges records for
:func:`~mmmar.evaluation.functional.evaluate_mupots`.
"""
import gzip
import json
from collections import OrderedDict
from typing import Any, Dict, Hashable, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmmar.structures.skeleton import JOINT_NAMES, NUM_JOINTS

DUMP_FORMAT = 'mmmar.mupots_predictions'
DUMP_VERSION = 2
#: the dump versions :func:`load_predictions` reads
READABLE_VERSIONS = (1, 2)
_OPTIONAL = ('scores', 'root_depth')


def _open(path, mode):
    path = str(path)
    if path.endswith('.gz'):
        return gzip.open(path, mode + 't', encoding='utf-8')
    return open(path, mode, encoding='utf-8')


def _array(x, tail: Tuple[int, ...], what: str, img_id) -> np.ndarray:
    a = np.asarray([] if x is None else x, dtype=np.float64)
    if a.size == 0:
        return np.zeros((0, ) + tail)
    if a.ndim != 1 + len(tail) or a.shape[1:] != tail:
        raise ValueError(f'image {img_id!r}: {what} must have shape (N, '
                         f'{", ".join(map(str, tail))}), got {a.shape}')
    return a


def check_record(rec: Mapping[str, Any]) -> Dict[str, Any]:
    """Validate one prediction record; returns a copy with numpy arrays."""
    if 'img_id' not in rec:
        raise KeyError('a prediction record needs an "img_id"')
    iid = rec['img_id']
    if 'keypoints_2d' in rec:
        raise KeyError(f'image {iid!r}: a prediction record names its 2D joints `keypoints` '
                       'and its 3D joints `keypoints_3d` (dump version 2); `keypoints_2d` is '
                       'the name of version 1')
    out = dict(rec)
    out['keypoints'] = _array(rec.get('keypoints'), (NUM_JOINTS, 2), 'keypoints', iid)
    out['keypoints_3d'] = _array(rec.get('keypoints_3d'), (NUM_JOINTS, 3), 'keypoints_3d',
                                 iid)
    n = len(out['keypoints_3d'])
    if len(out['keypoints']) != n:
        raise ValueError(f'image {iid!r}: {n} people in keypoints_3d but '
                         f'{len(out["keypoints"])} in keypoints')
    for k in _OPTIONAL:
        if rec.get(k) is not None:
            v = np.asarray(rec[k], dtype=np.float64).reshape(-1)
            if len(v) != n:
                raise ValueError(f'image {iid!r}: {k} has {len(v)} entries for {n} people')
            out[k] = v
    return out


def _jsonable_id(i):
    return i.item() if isinstance(i, np.generic) else i


def dump_predictions(path, records: Sequence[Mapping[str, Any]],
                     meta: Optional[Mapping[str, Any]] = None) -> None:
    """Write prediction records (see the module docstring) to ``path``."""
    preds, seen = [], set()
    for rec in records:
        r = check_record(rec)
        iid = _jsonable_id(r['img_id'])
        if iid in seen:
            raise ValueError(f'image id {iid!r} appears twice in the predictions')
        seen.add(iid)
        item = OrderedDict(img_id=iid)
        for k in ('seq_name', 'file_name'):
            if r.get(k) is not None:
                item[k] = str(r[k])
        item['keypoints'] = r['keypoints'].tolist()
        item['keypoints_3d'] = r['keypoints_3d'].tolist()
        for k in _OPTIONAL:
            if k in r and r[k] is not None:
                item[k] = np.asarray(r[k]).tolist()
        preds.append(item)
    data = OrderedDict(
        format=DUMP_FORMAT, version=DUMP_VERSION, joint_names=list(JOINT_NAMES),
        units=dict(keypoints='px, original image',
                   keypoints_3d='mm, camera space of the original image'),
        meta=dict(meta or {}), predictions=preds)
    with _open(path, 'w') as f:
        json.dump(data, f)


def load_predictions(path) -> List[Dict[str, Any]]:
    """Read a dump written by :func:`dump_predictions` (version 2, or version 1 with its
    ``keypoints`` (3D) and ``keypoints_2d`` renamed ``keypoints_3d`` and ``keypoints``);
    records with numpy arrays."""
    with _open(path, 'r') as f:
        data = json.load(f)
    if not isinstance(data, Mapping) or data.get('format') != DUMP_FORMAT:
        raise ValueError(f'{path}: not an mmmar prediction dump (format {DUMP_FORMAT!r})')
    version = data.get('version')
    if version not in READABLE_VERSIONS:
        raise ValueError(f'{path}: unsupported dump version {version!r} (this mmmar reads '
                         f'versions {READABLE_VERSIONS})')
    if list(data.get('joint_names', JOINT_NAMES)) != list(JOINT_NAMES):
        raise ValueError(f'{path}: joint order differs from the 17 MuPoTS joints')
    records = data['predictions']
    if version == 1:
        records = [_from_version_1(r, path) for r in records]
    return [check_record(r) for r in records]


def _from_version_1(rec: Mapping[str, Any], path) -> Dict[str, Any]:
    """A version-1 record under the names of version 2 (``keypoints`` 3D ->
    ``keypoints_3d``, ``keypoints_2d`` -> ``keypoints``)."""
    if 'keypoints_3d' in rec:
        raise ValueError(f'{path}: a version-1 dump whose image {rec.get("img_id")!r} has a '
                         '`keypoints_3d` field (version 2 naming in a version-1 file)')
    out = {k: v for k, v in rec.items() if k not in ('keypoints', 'keypoints_2d')}
    out['keypoints_3d'] = rec.get('keypoints')
    out['keypoints'] = rec.get('keypoints_2d')
    return out


def predictions_to_frames(records: Sequence[Mapping[str, Any]],
                          img_index: Mapping[Hashable, Tuple[str, Any]]
                          ) -> Dict[str, Dict[Hashable, dict]]:
    """Records -> ``pred_frames`` for :func:`evaluate_mupots`, placed by the ground truth's
    ``img_index = {img_id: (seq_name, file_name)}``. An image id the ground truth lacks, or a
    duplicated one, raises ValueError."""
    frames: Dict[str, Dict[Hashable, dict]] = OrderedDict()
    for rec in records:
        r = check_record(rec)
        iid = r['img_id']
        if iid not in img_index:
            raise ValueError(f'prediction for image id {iid!r}, which the ground truth lacks')
        seq = img_index[iid][0]
        if r.get('seq_name') is not None and str(r['seq_name']) != str(seq):
            raise ValueError(f'image id {iid!r}: prediction says sequence {r["seq_name"]!r}, '
                             f'the ground truth says {seq!r}')
        fr = frames.setdefault(seq, OrderedDict())
        if iid in fr:
            raise ValueError(f'image id {iid!r} appears twice in the predictions')
        # evaluate_mupots' frames name the 2D and 3D joints alike for ground truth and
        # predictions: keypoints_2d (MuPoTS's annot2) and keypoints_3d
        fr[iid] = dict(keypoints_2d=r['keypoints'], keypoints_3d=r['keypoints_3d'])
    return frames
