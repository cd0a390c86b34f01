"""Where does a model's root-relative 3D error come from: the 2D pose or the relative depths?

Runs a config + checkpoint on a MuPoTS-layout split (``keypoints_img``, ``keypoints_cam`` and
the image intrinsics ``f``/``c`` in the annotation JSON), matches people with the official
MuPoTS 2D matching and prints, per joint, for the matched people:

* the median 2D error (original-image px) and median relative-depth error (mm, Z_k - Z_root);
* PCK_rel (root-relative 3D error < 150 mm, the MuPoTS threshold) of the prediction, and of two
  oracles that replace one part by the ground truth: the true 2D pose with the predicted
  relative depths, and the predicted 2D pose with the true relative depths.

All three back-project with the *true* root depth (Eq. 1), so the root depth, which PCK_rel
does not score, cannot blur the split. The pixel-to-mm scale (Z / f) of the split is printed
as well: at 256 px and 7.5 m, one input pixel is about 34 mm of the 150 mm threshold.

    python tools/analysis_tools/error_breakdown.py \
        configs/mar_hrnet-small_synthetic-v2-256x256.py \
        demo/checkpoints/mar_hrnet-small_synthetic-v2-256x256.pth --split val --num-images 100
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np
from mmengine.config import DictAction

ROOT = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
sys.path.insert(0, ROOT)

from mmmar.evaluation.functional import PCK_THR  # noqa: E402 (mm, MuPoTS 3DPCK)
from mmmar.geometry import back_project_np  # noqa: E402 (Eq. 1)


def joint_errors(gt_2d, gt_cam, pred_2d, pred_rel_depth, K, root: int = 14) -> dict:
    """Per-joint errors of one matched person (J joints).

    Args:
        gt_2d (J, 2) px, gt_cam (J, 3) camera mm, pred_2d (J, 2) px,
        pred_rel_depth (J,) mm (Z_k - Z_root), K (3, 3) of the same image.

    Returns:
        dict of (J,) arrays: ``e2d`` (px), ``edz`` (mm), and the root-relative 3D errors (mm)
        ``pred`` (predicted 2D and depths), ``gt2d`` (true 2D, predicted depths), ``gtdz``
        (predicted 2D, true depths), all back-projected at the true root depth.
    """
    gt_2d, gt_cam = np.asarray(gt_2d, np.float64), np.asarray(gt_cam, np.float64)
    pred_2d = np.asarray(pred_2d, np.float64)
    pred_dz = np.asarray(pred_rel_depth, np.float64)
    K = np.asarray(K, np.float64)
    z_root = gt_cam[root, 2]
    gt_dz = gt_cam[:, 2] - z_root
    gt_rel = gt_cam - gt_cam[root]

    def rel_error(uv, dz):
        X = back_project_np(uv, z_root + dz, K)
        return np.linalg.norm((X - X[root]) - gt_rel, axis=-1)

    return dict(e2d=np.linalg.norm(pred_2d - gt_2d, axis=-1), edz=np.abs(pred_dz - gt_dz),
                pred=rel_error(pred_2d, pred_dz), gt2d=rel_error(gt_2d, pred_dz),
                gtdz=rel_error(pred_2d, gt_dz))


def image_K(img: dict) -> np.ndarray:
    """(3, 3) intrinsics of a MuPoTS-layout image record (``f``/``c`` or ``intrinsic``)."""
    if 'f' in img and 'c' in img:
        (fx, fy), (cx, cy) = img['f'], img['c']
    elif 'intrinsic' in img:
        fx, fy, cx, cy = img['intrinsic']
    else:
        raise KeyError(f"image {img.get('id')}: needs 'f' and 'c' or 'intrinsic' (camera "
                       f'intrinsics) for the error breakdown')
    return np.array([[fx, 0., cx], [0., fy, cy], [0., 0., 1.]], np.float64)


def summarise(rows, num_joints: int = 14, thr: float = PCK_THR) -> dict:
    """Stack the per-person dicts of :func:`joint_errors` and reduce them per joint.

    Returns:
        dict: ``median_e2d``, ``median_edz`` (J,), ``pck`` = dict(pred, gt2d, gtdz) of (J,)
        percentages, ``pck_all`` = the same over the first ``num_joints`` joints, ``n``.
    """
    if not rows:
        raise ValueError('error breakdown: no matched person (check the split and the model)')
    E = {k: np.stack([r[k] for r in rows])[:, :num_joints] for k in rows[0]}
    pck = {k: 100. * (E[k] < thr).mean(0) for k in ('pred', 'gt2d', 'gtdz')}
    return dict(median_e2d=np.median(E['e2d'], 0), median_edz=np.median(E['edz'], 0), pck=pck,
                pck_all={k: 100. * float((E[k] < thr).mean()) for k in pck}, n=len(rows))


def format_breakdown(s: dict, joint_names) -> str:
    lines = [f"{'joint':12s} {'2D err px':>9s} {'dZ err mm':>9s} | {'PCK_rel':>7s} "
             f"{'true 2D':>7s} {'true dZ':>7s}"]
    for j in range(len(s['median_e2d'])):
        lines.append(f"{joint_names[j]:12s} {s['median_e2d'][j]:9.1f} {s['median_edz'][j]:9.0f} "
                     f"| {s['pck']['pred'][j]:7.1f} {s['pck']['gt2d'][j]:7.1f} "
                     f"{s['pck']['gtdz'][j]:7.1f}")
    a = s['pck_all']
    lines.append(f"{'all':12s} {'':9s} {'':9s} | {a['pred']:7.1f} {a['gt2d']:7.1f} "
                 f"{a['gtdz']:7.1f}   ({s['n']} matched people; medians)")
    return '\n'.join(lines)


def collect(cfg, ann_file: str):
    """Run the test loop's model on ``cfg.test_dataloader`` and return (rows, depth / f)."""
    import torch

    from mmmar.evaluation.functional import match_people
    with open(ann_file) as f:
        gt = json.load(f)
    images = {img['id']: img for img in gt['images']}
    anns = {}
    for a in gt['annotations']:
        anns.setdefault(a['image_id'], []).append(a)
    from mmmar.utils import build_quiet_runner
    runner = build_quiet_runner(cfg)
    runner.load_or_resume()
    model = runner.model.eval()
    rows, scale = [], []
    with torch.no_grad():
        for batch in runner.test_dataloader:
            for ds in model.test_step(batch):
                img_id = int(ds.metainfo['img_id'])
                people, pred = anns.get(img_id, []), ds.pred_instances
                if not people or len(pred.keypoints) == 0:
                    continue
                K = image_K(images[img_id])
                g2 = np.array([a['keypoints_img'] for a in people], np.float64)[..., :2]
                g3 = np.array([a['keypoints_cam'] for a in people], np.float64)
                p2 = np.asarray(pred.keypoints)
                for gi, pi in enumerate(match_people(g2, p2)):
                    if pi >= 0:
                        rows.append(joint_errors(g2[gi], g3[gi], p2[pi],
                                                 np.asarray(pred.keypoints_rel_depth)[pi], K))
                        scale.append(g3[gi, 14, 2] / K[0, 0])
    return rows, float(np.median(scale)) if scale else float('nan')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('config')
    p.add_argument('checkpoint')
    p.add_argument('--split', default='val', help='annotations/synthetic_<split>.json')
    p.add_argument('--ann-file', default=None, help='annotation file (overrides --split)')
    p.add_argument('--num-images', type=int, default=100)
    p.add_argument('--threads', type=int, default=1)
    p.add_argument('--work-dir', default=osp.join(ROOT, 'work_dirs', 'error_breakdown'))
    p.add_argument('--cfg-options', nargs='+', action=DictAction, default={})
    return p.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    from mmengine.config import Config

    from mmmar.structures import JOINT_NAMES
    from mmmar.utils import check_config, register_all_modules
    register_all_modules()
    cfg = Config.fromfile(args.config)
    cfg.merge_from_dict(args.cfg_options)
    ds = cfg.test_dataloader.dataset
    ds.ann_file = args.ann_file or f'annotations/synthetic_{args.split}.json'
    ds.indices = args.num_images
    cfg.test_dataloader.num_workers = 0
    cfg.test_dataloader.persistent_workers = False
    check_config(cfg)
    cfg.work_dir, cfg.load_from = args.work_dir, args.checkpoint
    ann_file = ds.ann_file if osp.isabs(ds.ann_file) else osp.join(ds.data_root, ds.ann_file)
    rows, mm_per_px = collect(cfg, ann_file)
    s = summarise(rows)
    print(format_breakdown(s, JOINT_NAMES))
    print(f'median Z_root / f: {mm_per_px:.1f} mm per original-image pixel')
    return s


if __name__ == '__main__':
    main()
