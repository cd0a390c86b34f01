"""Dataset meta information files (mmpose ``dataset_info`` format).

Use :data:`MUPOTS3D_METAINFO_FILE` (an absolute path) as ``metainfo=dict(from_file=...)``.
"""
import os.path as osp

MUPOTS3D_METAINFO_FILE = osp.join(osp.dirname(osp.abspath(__file__)), 'mupots3d.py')

__all__ = ['MUPOTS3D_METAINFO_FILE']
