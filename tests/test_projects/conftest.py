"""Tests of the projects under ``projects/``: each project folder goes on ``sys.path`` (as
its README's ``PYTHONPATH`` does) so that its package imports as in ``custom_imports``."""
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MAR_VIDEO_DIR = osp.join(ROOT, 'projects', 'mar_video')
MAR_OMEGA_DIR = osp.join(ROOT, 'projects', 'mar_omega')
for _project in (MAR_VIDEO_DIR, MAR_OMEGA_DIR):
    if _project not in sys.path:
        sys.path.insert(0, _project)


def load_demo():
    """``projects/mar_video/demo.py`` as a module (by path: no clash with ``demo/``)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        'mar_video_demo', osp.join(MAR_VIDEO_DIR, 'demo.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
