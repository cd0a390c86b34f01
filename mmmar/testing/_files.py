"""Where the test fixtures live and small file writers.

The small real fixtures are in the repository's ``tests/data`` (see ``tests/data/SOURCE.md``
for their source and licence); ``mmmar`` is installed in develop mode, so the repository is
found from this file. Tests and analysis tools only; the package never reads them.
"""
import json
import os.path as osp

import numpy as np


def get_repo_dir():
    """The root of the repository that holds this ``mmmar`` package."""
    return osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


#: The real test fixtures: ``<repo>/tests/data``.
SHARED_DATA = osp.join(get_repo_dir(), 'tests', 'data')


def data_root(root=None):
    """``root``, or :data:`SHARED_DATA` when None; raises if the folder does not exist."""
    root = SHARED_DATA if root is None else root
    if not osp.isdir(root):
        raise FileNotFoundError(f'test fixtures not found at {root} (tests/data)')
    return root


def write_jpeg(path, w=64, h=48, seed=0):
    """Write a ``w`` x ``h`` random-noise JPEG (seeded) to ``path``; returns the image."""
    import cv2
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 255, (h, w, 3), dtype=np.uint8)
    assert cv2.imwrite(str(path), img)
    return img


def dump_json(path, obj):
    """Write ``obj`` as JSON to ``path``; returns the path as a string."""
    with open(path, 'w') as f:
        json.dump(obj, f)
    return str(path)


def load_script(relpath, name=None):
    """Import a script of the repository (e.g. ``'tools/analysis_tools/error_breakdown.py'``)
    as a module by its path; ``name`` defaults to the file's stem."""
    import importlib.util
    path = osp.join(get_repo_dir(), relpath)
    name = name or osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
