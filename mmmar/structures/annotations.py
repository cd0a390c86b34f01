"""Keys of the annotation dicts of the data contract shared by the datasets and the metrics."""
from typing import Mapping, Optional

__all__ = ['UNIV_KEYS', 'univ_key']

#: Keys of the "universal" (height-normalised, the official protocol's) 3D ground truth of a
#: MuPoTS annotation: ``keypoints_univ``, the name of the data contract (written by
#: ``tools/dataset_converters/mupots_mat_to_json.py``, output by ``MuPoTS3DDataset``), then
#: ``univ_annot3``, MuPoTS's own name; both are accepted on input.
UNIV_KEYS = ('keypoints_univ', 'univ_annot3')


def univ_key(ann: Mapping) -> Optional[str]:
    """The key of :data:`UNIV_KEYS` that holds ``ann``'s universal 3D joints, or None."""
    for key in UNIV_KEYS:
        if ann.get(key) is not None:
            return key
    return None
