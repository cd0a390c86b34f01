"""Loading mmengine checkpoints under torch's safe ``weights_only`` unpickler.

torch >= 2.6 loads checkpoints with ``weights_only=True`` by default, which refuses any pickled
object that is not a tensor or a plain container. mmengine 0.10.7 writes a few such objects into
every checkpoint it saves (the message hub's :class:`HistoryBuffer`, numpy scalars and arrays in
``meta``/``message_hub``). Rather than switching the safe loader off, mmmar allow-lists exactly
those types (:data:`MMENGINE_CHECKPOINT_GLOBALS`) and replaces mmengine's loader for local files
with :func:`load_from_local_safely`, which

* loads with ``weights_only=True`` and the allow-list,
* refuses a checkpoint carrying any other pickled object with :class:`UnsafeCheckpointError`
  naming the file and the object,
* turns a truncated or corrupt file into :class:`CorruptCheckpointError` naming the file.

Both are installed by :func:`install_safe_checkpoint_loading`, which runs when
``mmmar.utils`` is imported (every MAR config imports it through ``custom_imports``).
"""
import os.path as osp
import pickle
import re
from typing import List

import numpy as np
import torch
from numpy.lib import NumpyVersion

__all__ = [
    'MMENGINE_CHECKPOINT_GLOBALS', 'UnsafeCheckpointError',
    'CorruptCheckpointError', 'load_from_local_safely',
    'install_safe_checkpoint_loading'
]


class UnsafeCheckpointError(pickle.UnpicklingError):
    """A checkpoint holds a pickled object outside the allow-list."""


class CorruptCheckpointError(RuntimeError):
    """A checkpoint file is truncated or is not a torch checkpoint."""


def _mmengine_globals() -> List[object]:
    """The non-tensor types mmengine 0.10.x writes into its checkpoints."""
    from mmengine.logging.history_buffer import HistoryBuffer
    types = [HistoryBuffer, np.ndarray, np.dtype]
    # numpy's array / scalar reconstruction helpers (the module moved in numpy 2)
    if NumpyVersion(np.__version__) >= '2.0.0':
        from numpy._core import multiarray
    else:
        from numpy.core import multiarray
    types += [multiarray._reconstruct, multiarray.scalar]
    # concrete dtype classes (np.dtypes exists from numpy 1.25)
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        types += [
            getattr(dtypes, name) for name in dir(dtypes)
            if name.endswith('DType')
        ]
    return types


#: ``HistoryBuffer.__getstate__`` pickles its statistics methods, which pickle refers to as
#: ``getattr(HistoryBuffer, 'min')`` etc. Allowing the builtin ``getattr`` would open every
#: attribute of every allowed type to the unpickler, so only these names are resolved.
HISTORY_BUFFER_STATISTICS = ('min', 'max', 'mean', 'current')


def _history_buffer_getattr(obj, name):
    """The only ``getattr`` a checkpoint may pickle: HistoryBuffer's statistics methods."""
    from mmengine.logging.history_buffer import HistoryBuffer
    if obj is HistoryBuffer and name in HISTORY_BUFFER_STATISTICS:
        return getattr(obj, name)
    raise pickle.UnpicklingError(
        f'GLOBAL getattr({getattr(obj, "__qualname__", type(obj).__name__)}, {name!r}) '
        'is not allowed in a checkpoint')


#: Filled lazily by :func:`install_safe_checkpoint_loading`.
MMENGINE_CHECKPOINT_GLOBALS: List[object] = []

_UNSUPPORTED_GLOBAL = re.compile(r'(?:Unsupported global: GLOBAL|GLOBAL) ([\w.]+(?:\([^)]*\))?)')


def load_from_local_safely(filename: str, map_location=None):
    """mmengine's local-file checkpoint loader, under the safe unpickler.

    Args:
        filename (str): Path of the checkpoint.
        map_location: As in :func:`torch.load`.

    Returns:
        dict: The checkpoint.

    Raises:
        FileNotFoundError: The file does not exist.
        UnsafeCheckpointError: The file pickles an object that is not allow-listed.
        CorruptCheckpointError: The file is truncated or not a checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(f'{filename} can not be found.')
    try:
        return torch.load(filename, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        match = _UNSUPPORTED_GLOBAL.search(str(e))
        what = match.group(1) if match else str(e).splitlines()[0]
        raise UnsafeCheckpointError(
            f'Refusing to load checkpoint {filename}: it contains the pickled '
            f'object {what!r}, which is not a tensor, a plain container or one '
            'of the mmengine types mmmar allow-lists '
            '(mmmar.utils.checkpoint.MMENGINE_CHECKPOINT_GLOBALS). Only load it '
            'with weights_only=False if you trust its origin.') from e
    except (RuntimeError, EOFError, ValueError, OSError) as e:
        raise CorruptCheckpointError(
            f'Checkpoint {filename} is truncated or not a torch checkpoint: '
            f'{e}') from e


_INSTALLED = False


def install_safe_checkpoint_loading() -> None:
    """Allow-list mmengine's types and route local checkpoint loading through
    :func:`load_from_local_safely` (idempotent)."""
    global _INSTALLED
    if _INSTALLED:
        return
    from mmengine.runner.checkpoint import CheckpointLoader
    if not MMENGINE_CHECKPOINT_GLOBALS:
        MMENGINE_CHECKPOINT_GLOBALS.extend(_mmengine_globals())
    torch.serialization.add_safe_globals(
        MMENGINE_CHECKPOINT_GLOBALS + [(_history_buffer_getattr, 'builtins.getattr')])
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local_safely, force=True)
    _INSTALLED = True
