"""Printing MuPoTS-3D results: the paper's Table 1 (with the published rows only beside
MuPoTS-3D results), per-sequence and per-joint tables, and a JSON-ready copy. Plain numpy."""
import re
from collections import OrderedDict
from typing import Any, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmmar.structures.skeleton import JOINT_NAMES, PCK_JOINTS

#: Table 1 of the paper (MuPoTS-3D). Columns = :data:`TABLE1_KEYS`.
TABLE1_KEYS = ('PCK_rel_all', 'PCK_abs_all', 'PCK_root_all', 'PCOD_all',
               'PCK_rel_matched', 'PCK_abs_matched')
TABLE1_HEADERS = ('PCK_rel', 'PCK_abs', 'PCK_root', 'PCOD', 'PCK_rel', 'PCK_abs')
PUBLISHED_TABLE1 = OrderedDict([
    ('SMAP (published)', (73.5, 35.4, 45.5, 97.0, 80.5, 38.7)),
    ('MAR (published)', (76.2, 36.3, 48.9, 97.1, 81.5, 39.5)),
])

#: Dataset names (lower case, letters and digits only) that mean MuPoTS-3D: the only data the
#: published rows were measured on (``MuPoTS3DDataset.DATA_SOURCE`` is 'mupots3d').
MUPOTS3D_NAMES = ('mupots3d', 'mupots')


def is_mupots3d(dataset: Optional[str]) -> bool:
    """Whether ``dataset`` (e.g. 'mupots3d', 'MuPoTS-3D'; None: unknown) names MuPoTS-3D."""
    return dataset is not None and re.sub(r'[^a-z0-9]', '', str(dataset).lower()) in \
        MUPOTS3D_NAMES


def published_rows(dataset: Optional[str]) -> 'OrderedDict[str, Tuple[float, ...]]':
    """The published Table 1 rows (SMAP, MAR) to print beside results on ``dataset``: all of
    :data:`PUBLISHED_TABLE1` for MuPoTS-3D, none for any other or unknown data (synthetic,
    custom sets), where they would compare different data."""
    return OrderedDict(PUBLISHED_TABLE1) if is_mupots3d(dataset) else OrderedDict()


def _fmt(v, width=8):
    return f'{v:{width}.1f}' if v is not None else f'{"n/a":>{width}}'


def _lookup(results: Mapping[str, Any], key: str):
    """``key`` itself, else ``'mupots/' + key``, else any ``'<prefix>/' + key`` (so an
    mmengine metric dict works too)."""
    if key in results:
        return results[key]
    if 'mupots/' + key in results:
        return results['mupots/' + key]
    for k, v in results.items():
        if str(k).endswith('/' + key):
            return v
    return None


def format_table1(results: Mapping[str, Any],
                  published: Optional[Mapping[str, Sequence[float]]] = None,
                  name: str = 'ours',
                  dataset: Optional[str] = 'mupots3d') -> str:
    """Table 1 of the paper: PCK_rel, PCK_abs, PCK_root, PCOD (all people) | PCK_rel, PCK_abs
    (matched people), with the published SMAP and MAR rows above ``name``'s row when the
    results were measured on MuPoTS-3D.

    Args:
        results: The dict of :func:`evaluate_mupots`, or an mmengine metric dict whose keys
            carry a prefix (``'mupots/PCK_rel_all'``). Missing values print as ``n/a``.
        published: Rows to print above ours; None: :func:`published_rows` of ``dataset``.
        name: Label of our row.
        dataset: The data ``results`` were measured on ('mupots3d', 'synthetic', ...; None:
            unknown). Published rows appear only beside MuPoTS-3D results; otherwise a first
            line says that they are left out.
    """
    note = []
    if published is None:
        published = published_rows(dataset)
        if not published:
            note = [f'measured on {dataset or "unknown data"}: the published MuPoTS-3D rows '
                    f'(SMAP, MAR) are not shown beside it (different data)']
    rows = [(k, list(v)) for k, v in published.items()]
    rows.append((name, [_lookup(results, k) for k in TABLE1_KEYS]))
    w0 = max(18, max(len(r[0]) for r in rows) + 1)
    head1 = f'{"":<{w0}}|{"All people":^36}|{"Matched people":^18}'
    head2 = f'{"Method":<{w0}}|' + ''.join(f'{h:>9}' for h in TABLE1_HEADERS[:4]) + '|' + \
        ''.join(f'{h:>9}' for h in TABLE1_HEADERS[4:])
    lines = note + [head1, head2, '-' * len(head2)]
    for nm, vals in rows:
        lines.append(f'{nm:<{w0}}|' + ''.join(_fmt(v, 9) for v in vals[:4]) + '|' +
                     ''.join(_fmt(v, 9) for v in vals[4:]))
    return '\n'.join(lines)


def format_sequence_table(results: Mapping[str, Any]) -> str:
    """Per-sequence table (TS1..TS20 and the average over sequences)."""
    keys = ('PCK_rel_all', 'PCK_abs_all', 'PCK_rel_matched', 'PCK_abs_matched', 'PCK_root_all',
            'PCOD_all', 'MPJPE_rel', 'MPJPE_abs')
    head = f'{"Seq":<6}{"people":>7}{"matched":>8}' + ''.join(f'{k:>16}' for k in keys)
    lines = [head, '-' * len(head)]
    for seq, r in results['per_sequence'].items():
        lines.append(f'{str(seq):<6}{r["num_people"]:>7}{r["num_matched"]:>8}' +
                     ''.join(_fmt(r.get(k), 16) for k in keys))
    lines.append(f'{"avg":<6}{"":>15}' + ''.join(_fmt(results.get(k), 16) for k in keys))
    lines.append('avg = mean over sequences, except PCK_root (pooled over all people)')
    return '\n'.join(lines)


def format_joint_table(results: Mapping[str, Any]) -> str:
    """Per-joint 3DPCK (averaged over sequences) for the four modes."""
    pj = results['per_joint']
    keys = list(pj)
    head = f'{"joint":<12}' + ''.join(f'{k:>18}' for k in keys)
    lines = [head, '-' * len(head)]
    for j in PCK_JOINTS:
        nm = JOINT_NAMES[j]
        lines.append(f'{nm:<12}' + ''.join(
            _fmt(pj[k][nm] if pj[k] is not None else None, 18) for k in keys))
    return '\n'.join(lines)


def to_jsonable(obj):
    """Results dict -> something ``json.dump`` accepts (numpy scalars/arrays, tuple keys)."""
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    return obj
