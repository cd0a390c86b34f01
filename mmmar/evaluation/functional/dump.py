"""Prediction dump files: rescore MuPoTS-3D results without the model.

Format (JSON; gzip-compressed when the path ends with ``.gz``)::

    {
      "format": "mmmar.mupots_predictions",
      "version": 1,
      "joint_names": ["head_top", "neck", ..., "head"],     # the 17 MuPoTS joints, in order
      "units": {"keypoints": "mm, camera space of the original image",
                "keypoints_2d": "px, original image"},
      "meta": {...},                                         # free-form (config, checkpoint)
      "predictions": [                                       # one record per image
        {"img_id": 12,                                       # id in the MuPoTS JSON (int or str)
         "seq_name": "TS1",                                  # optional
         "file_name": "TS1/img_000012.jpg",                  # optional
         "keypoints": [[[x, y, z] x 17] x N],                # mm, camera space
         "keypoints_2d": [[[u, v] x 17] x N],                # px, original image
         "scores": [N floats],                               # optional
         "root_depth": [N floats]}                           # optional, mm
      ]
    }

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
DUMP_VERSION = 1
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
    out = dict(rec)
    out['keypoints'] = _array(rec.get('keypoints'), (NUM_JOINTS, 3), 'keypoints', iid)
    k2 = rec.get('keypoints_2d')
    if k2 is not None and np.asarray(k2).ndim == 3 and np.asarray(k2).shape[-1] > 2:
        k2 = np.asarray(k2)[..., :2]
    out['keypoints_2d'] = _array(k2, (NUM_JOINTS, 2), 'keypoints_2d', iid)
    n = len(out['keypoints'])
    if len(out['keypoints_2d']) != n:
        raise ValueError(f'image {iid!r}: {n} people in keypoints but '
                         f'{len(out["keypoints_2d"])} in keypoints_2d')
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
        item['keypoints_2d'] = r['keypoints_2d'].tolist()
        for k in _OPTIONAL:
            if k in r and r[k] is not None:
                item[k] = np.asarray(r[k]).tolist()
        preds.append(item)
    data = OrderedDict(
        format=DUMP_FORMAT, version=DUMP_VERSION, joint_names=list(JOINT_NAMES),
        units=dict(keypoints='mm, camera space of the original image',
                   keypoints_2d='px, original image'),
        meta=dict(meta or {}), predictions=preds)
    with _open(path, 'w') as f:
        json.dump(data, f)


def load_predictions(path) -> List[Dict[str, Any]]:
    """Read a dump written by :func:`dump_predictions`; records with numpy arrays."""
    with _open(path, 'r') as f:
        data = json.load(f)
    if not isinstance(data, Mapping) or data.get('format') != DUMP_FORMAT:
        raise ValueError(f'{path}: not an mmmar prediction dump (format {DUMP_FORMAT!r})')
    if data.get('version') != DUMP_VERSION:
        raise ValueError(f'{path}: unsupported dump version {data.get("version")!r}')
    if list(data.get('joint_names', JOINT_NAMES)) != list(JOINT_NAMES):
        raise ValueError(f'{path}: joint order differs from the 17 MuPoTS joints')
    return [check_record(r) for r in data['predictions']]


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
        fr[iid] = dict(keypoints_2d=r['keypoints_2d'], keypoints_3d=r['keypoints'])
    return frames
