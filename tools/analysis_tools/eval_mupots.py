"""Rescore a MuPoTS-3D prediction dump offline (no model, no mmengine needed).

    python tools/analysis_tools/eval_mupots.py PRED GT [--no-rescale] [--out report.json]

PRED: a dump written by ``tools/test.py --dump`` / ``MuPoTSMetric(dump_file=...)`` (format in
``mmmar/evaluation/functional/dump.py``). GT: the MuPoTS JSON annotation file. Images of GT
without a prediction count as all-missed; a prediction for an image GT lacks is an error.
Prints the per-sequence and per-joint tables and the paper's Table 1 columns, with the
published SMAP and MAR rows beside ours only when GT is MuPoTS-3D (``--dataset``; by default
'synthetic' when GT was written by mmmar's synthetic generator, else 'mupots3d').
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
if __name__ == '__main__':  # a Python without numpy re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python(('numpy', ))

from mmmar.evaluation.functional import (TABLE1_KEYS, evaluate_mupots,  # noqa: E402
                                         format_joint_table, format_sequence_table, format_table1,
                                         keypoint_ap_2d, load_mupots_gt, load_predictions,
                                         mean_pose_baseline, predictions_to_frames, to_jsonable)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description='Offline MuPoTS-3D evaluation of a dump')
    p.add_argument('pred', help='prediction dump (.json or .json.gz)')
    p.add_argument('gt', help='MuPoTS JSON annotation file')
    p.add_argument('--no-rescale', action='store_true',
                   help='do not map predictions to the GT bone lengths (official: do)')
    p.add_argument('--use-cam', action='store_true',
                   help='score against keypoints_cam even where keypoints_univ exists')
    p.add_argument('--missing', choices=['empty', 'error'], default='empty',
                   help='GT frames without a prediction: all missed (default) or error')
    p.add_argument('--train-gt', default=None,
                   help='the training split (MuPoTS JSON): also print the mean-pose guess '
                   '(true people and roots, the training mean pose) beside our row')
    p.add_argument('--keypoint-ap', action='store_true',
                   help='also print the COCO keypoint AP of the 2D joints (xtcocotools)')
    p.add_argument('--out', help='write the full report (JSON) here')
    p.add_argument('--name', default='ours', help='row label of our results')
    p.add_argument('--dataset', default=None,
                   help='the data GT is ("mupots3d", "synthetic", ...); published rows are '
                   'printed beside MuPoTS-3D results only (default: from the GT file)')
    return p.parse_args(argv)


def dataset_of_gt(gt_file: str) -> str:
    """'synthetic' for a GT JSON written by mmmar's synthetic generator (its ``info``
    description), else 'mupots3d'."""
    with open(gt_file) as f:
        info = json.load(f).get('info') or {}
    desc = str(info.get('description', '')) if isinstance(info, dict) else ''
    return 'synthetic' if 'synthetic' in desc.lower() else 'mupots3d'


def main(argv=None):
    args = parse_args(argv)
    gt_frames, img_index, sources = load_mupots_gt(args.gt, prefer_univ=not args.use_cam)
    if sources['keypoints_cam']:
        print(f'WARNING: {sources["keypoints_cam"]} frame(s) scored against keypoints_cam '
              '(the official protocol uses univ_annot3 = keypoints_univ)')
    records = load_predictions(args.pred)
    pred_frames = predictions_to_frames(records, img_index)
    res = evaluate_mupots(gt_frames, pred_frames, rescale_bones=not args.no_rescale,
                          missing_frames=args.missing)
    res['config']['gt_3d_source'] = sources
    for msg in res['messages']:
        print('NOTE:', msg)
    print(format_sequence_table(res))
    print()
    print(format_joint_table(res))
    print()
    print(format_table1(res, name=args.name, dataset=args.dataset or dataset_of_gt(args.gt)))
    if args.train_gt:
        base = mean_pose_baseline(load_mupots_gt(args.train_gt, not args.use_cam)[0], gt_frames,
                                  rescale_bones=not args.no_rescale)
        res['mean_pose_guess'] = {k: v for k, v in base.items() if not isinstance(v, dict)}
        print('\nbeside a trivial guess (true people and roots, the mean pose of --train-gt; '
              'the perfect-map ceiling needs the codec: tools/analysis_tools/baselines.py):')
        print(format_table1(base, published={args.name: [res[k] for k in TABLE1_KEYS]},
                            name='mean-pose guess'))
        print(f'MPJPE_rel: {args.name} {res["MPJPE_rel"]:.1f} mm, mean-pose guess '
              f'{base["MPJPE_rel"]:.1f} mm')
    if args.keypoint_ap:
        with open(args.gt) as f:
            res['keypoint_ap_2d'] = keypoint_ap_2d(json.load(f), records)
        print('COCO keypoint AP of the 2D joints (OKS, MuPoTS sigmas): ' + ', '.join(
            f'{k} {v:.1f}' for k, v in res['keypoint_ap_2d'].items() if k[:2] in ('AP', 'AR')))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(to_jsonable(res), f, indent=1)
        print(f'report written to {args.out}')
    return res


if __name__ == '__main__':
    main()
