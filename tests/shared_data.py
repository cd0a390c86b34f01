"""Where the small real test fixtures live: ``../shared/data/mmpose`` beside the checkout (CI
lays a copy of shared/ there), else the workspace's ``/work/shared``. Tests only; the package
never reads them."""
import os.path as osp

_CANDIDATES = (
    osp.join(osp.dirname(osp.abspath(__file__)), '..', '..', 'shared', 'data', 'mmpose'),
    '/work/shared/data/mmpose',
)
SHARED_DATA = next((osp.abspath(p) for p in _CANDIDATES if osp.isdir(p)),
                   osp.abspath(_CANDIDATES[0]))
