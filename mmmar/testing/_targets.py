"""Real fixture images through the dataset, loading / resize transforms and
``GenerateTarget``: the training targets and weights of real COCO and MuCo-format people."""
import copy
import json
import os.path as osp

from ._files import data_root as _data_root
from ._real_data import mpi3dhp_samples

#: The MAR codec of the real-image target tests: 832 x 512 input, 208 x 128 heatmaps.
REAL_IMAGE_CODEC = dict(type='MARCodec', input_size=(832, 512), heatmap_size=(208, 128))


def _pipeline(codec):
    """Load (with the ignore mask), resize / pad into ``codec``'s input, generate targets."""
    from mmcv.transforms import Compose
    from mmpose.datasets.transforms import GenerateTarget

    import mmmar.datasets  # noqa: F401
    from mmmar.datasets.transforms import MARLoadImage, MARResizePad
    return Compose([MARLoadImage(with_ignore_mask=True, on_corrupt='raise'),
                    MARResizePad(input_size=codec['input_size']),
                    GenerateTarget(encoder=codec)])


def coco_results(tmp_path, img_id, unlabel=(), codec=REAL_IMAGE_CODEC, data_root=None):
    """A real COCO image (``tests/data/coco``) through the pipeline.

    Args:
        tmp_path (pathlib.Path): Folder for the edited annotation file.
        img_id (int): The COCO image id.
        unlabel (Sequence[tuple]): (annotation id, COCO joint) pairs whose label is removed
            (v = 0), as COCO does for unseen joints.
        codec (dict): The ``MARCodec`` config of the targets.
        data_root (str, optional): The fixtures folder. Defaults to ``tests/data``.

    Returns:
        dict: The pipeline results.
    """
    from mmmar.datasets import CocoMARDataset
    root = _data_root(data_root)
    src = json.load(open(osp.join(root, 'coco', 'test_coco.json')))
    src = copy.deepcopy(src)
    for ann in src['annotations']:
        for aid, j in unlabel:
            if ann['id'] == aid:
                ann['keypoints'][3 * j:3 * j + 3] = [0, 0, 0]
                ann['num_keypoints'] -= 1
    ann_file = tmp_path / 'coco.json'
    ann_file.write_text(json.dumps(src))
    ds = CocoMARDataset(ann_file=str(ann_file),
                        data_prefix=dict(img=osp.join(root, 'coco') + '/'),
                        test_mode=True)
    info = [ds.get_data_info(i) for i in range(len(ds))]
    return _pipeline(codec)(next(i for i in info if i['img_id'] == img_id))


def muco_results(tmp_path, codec=REAL_IMAGE_CODEC, data_root=None):
    """A real MPI-INF-3DHP test frame (2048 x 2048, the MuCo-3DHP camera) written as a
    MuCo-3DHP JSON (3DMPPE layout), loaded with ``MuCo3DHPDataset`` and put through the
    pipeline (arguments as :func:`coco_results`)."""
    from mmmar.datasets import MuCo3DHPDataset
    root = _data_root(data_root)
    s = next(s for s in mpi3dhp_samples(root) if s['name'].startswith('TS1_'))
    K, P = s['K'], s['joints'][0]
    p = P @ K.T
    uv = p[:, :2] / p[:, 2:]
    lo, hi = uv.min(0) - 40, uv.max(0) + 40
    ann = dict(id=1, image_id=1, keypoints_cam=P.tolist(), keypoints_img=uv.tolist(),
               bbox=[*lo.tolist(), *(hi - lo).tolist()], is_valid=1)
    img = dict(id=1, file_name=s['name'], width=s['size'][0], height=s['size'][1],
               f=[K[0, 0], K[1, 1]], c=[K[0, 2], K[1, 2]])
    ann_file = tmp_path / 'muco.json'
    ann_file.write_text(json.dumps(dict(images=[img], annotations=[ann])))
    ds = MuCo3DHPDataset(ann_file=str(ann_file),
                         data_prefix=dict(img=osp.join(root, 'mpi_inf_3dhp') + '/'),
                         test_mode=True)
    return _pipeline(codec)(ds.get_data_info(0))
