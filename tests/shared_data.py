"""Where the small real test fixtures live: ``tests/data`` inside the repository (see
``tests/data/SOURCE.md`` for their source and licence). Tests only; the package never reads
them."""
import os.path as osp

SHARED_DATA = osp.join(osp.dirname(osp.abspath(__file__)), 'data')
