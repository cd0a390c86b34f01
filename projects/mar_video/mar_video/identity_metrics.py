"""IDF1 and HOTA by TrackEval (the reference implementation of HOTA, Luiten et al. 2021).

The tracks are scored against known identities: every reported track carries the identity
its detection came from (``label``; -1 for a false positive), so the similarity of a
ground-truth person and a reported track in a frame is 1 when the track's detection is that
person and 0 otherwise (no localisation term: ``LocA = 1``, and HOTA is the same at every
threshold alpha). TrackEval's ``HOTA`` (``HOTA = sqrt(DetA * AssA)``), ``Identity`` (``IDF1``,
the F1 score of the best one-to-one identity-track pairing over the whole video) and
``CLEAR`` (``MOTA``, ``IDSW``) metrics then run on that sequence.
"""
from typing import Dict, Sequence

import numpy as np

__all__ = ['trackeval_metrics']


def _sequence(gt_ids: Sequence[Sequence[int]], hyps: Sequence[Sequence[tuple]]) -> dict:
    """TrackEval's per-sequence data dict (0-based contiguous ids per side)."""
    gt_map: Dict[int, int] = {}
    tr_map: Dict[int, int] = {}
    data = dict(gt_ids=[], tracker_ids=[], similarity_scores=[])
    n_gt = n_tr = 0
    for gts, hs in zip(gt_ids, hyps):
        g = np.array([gt_map.setdefault(int(x), len(gt_map)) for x in gts], int)
        r = np.array([tr_map.setdefault(int(tid), len(tr_map)) for tid, _ in hs], int)
        if len(set(r.tolist())) != len(r):
            raise ValueError('a track is reported twice in one frame')
        sim = np.array([[1.0 if int(label) == int(x) else 0.0 for _, label in hs]
                        for x in gts]).reshape(len(gts), len(hs))
        data['gt_ids'].append(g)
        data['tracker_ids'].append(r)
        data['similarity_scores'].append(sim)
        n_gt += len(g)
        n_tr += len(r)
    data.update(num_timesteps=len(data['gt_ids']), num_gt_ids=len(gt_map),
                num_tracker_ids=len(tr_map), num_gt_dets=n_gt, num_tracker_dets=n_tr)
    return data


def trackeval_metrics(gt_ids: Sequence[Sequence[int]],
                      hyps: Sequence[Sequence[tuple]]) -> Dict[str, float]:
    """HOTA, DetA, AssA, IDF1, IDP, IDR, MOTA and IDSW by TrackEval.

    Args:
        gt_ids: Per frame, the identities that should be tracked.
        hyps: Per frame, ``(track_id, label)`` of every reported track (as
            :func:`mar_video.metrics.clear_mot`).

    Returns:
        dict: The metrics (fractions in [0, 1], ``IDSW`` a count).
    """
    if len(gt_ids) != len(hyps):
        raise ValueError(f'{len(gt_ids)} frames of ground truth but {len(hyps)} of tracks')
    from trackeval.metrics import CLEAR, HOTA, Identity
    data = _sequence(gt_ids, hyps)
    quiet = dict(PRINT_CONFIG=False)
    hota = HOTA().eval_sequence(data)
    ident = Identity(dict(THRESHOLD=0.5, **quiet)).eval_sequence(data)
    clear = CLEAR(dict(THRESHOLD=0.5, **quiet)).eval_sequence(data)
    return dict(hota=float(np.mean(hota['HOTA'])), deta=float(np.mean(hota['DetA'])),
                assa=float(np.mean(hota['AssA'])), idf1=float(ident['IDF1']),
                idp=float(ident['IDP']), idr=float(ident['IDR']),
                mota=float(clear['MOTA']), idsw=int(clear['IDSW']))
