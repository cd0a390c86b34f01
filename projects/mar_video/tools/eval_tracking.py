#!/usr/bin/env python
"""Tracking and smoothing scores on the generated video (known identities).

    python projects/mar_video/tools/eval_tracking.py [--seed 0] [--frames 250]

Generates the scene of :mod:`mar_video.synthetic` (people crossing, occluding each other,
leaving and re-entering), simulates MAR-like detections from the true poses (noise, misses,
false positives; deterministic from the seed), runs the config's tracker and smoother, and
prints CLEAR-MOT counts (ID switches, misses, false positives, MOTA) for the tracker and for
baselines, and the errors against the truth (MPJPE, root-relative MPJPE, root depth, jitter;
mm) before and after smoothing.
"""
import os.path as osp
import sys
from argparse import ArgumentParser

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

DEFAULT_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                          'configs', 'mar-video_hrnet-w32_muco.py')


def main(argv=None) -> dict:
    parser = ArgumentParser(description='mar_video tracking / smoothing scores')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--frames', type=int, default=250)
    args = parser.parse_args(argv)

    from mar_video.evaluation import MMPoseGreedyOKSTracker, evaluate_sequence, format_table
    from mar_video.synthetic import make_video, simulate_detections
    from mmengine.config import Config
    from mmpose.registry import TASK_UTILS

    cfg = Config.fromfile(args.config)
    video = make_video(seed=args.seed, num_frames=args.frames)
    dets = simulate_detections(video, seed=args.seed)
    fps = video.fps
    n_det = sum(len(d) for d in dets)
    n_fp = sum(p['label'] < 0 for d in dets for p in d)
    print(f'generated video: seed {args.seed}, {video.num_frames} frames at '
          f'{fps:g} fps, {video.img_size[0]}x{video.img_size[1]}, '
          f'{video.poses.shape[1]} people; {n_det} detections '
          f'({n_fp} false positives)')

    trackers = {
        'PoseTracker3D (3D root + 2D OKS)': TASK_UTILS.build(dict(cfg.tracker, fps=fps)),
        '  same, 2D OKS only (w_3d=0)': TASK_UTILS.build(
            dict(cfg.tracker, fps=fps, w_3d=0.0, max_dist=1e9, max_speed=0.)),
        '  same, 3D root only (w_3d=1)': TASK_UTILS.build(
            dict(cfg.tracker, fps=fps, w_3d=1.0)),
        'mmpose greedy OKS (_track_by_oks)': MMPoseGreedyOKSTracker(),
    }
    rows, results = {}, {}
    for name, trk in trackers.items():
        smoother = TASK_UTILS.build(dict(cfg.smoother, fps=fps)) \
            if name.startswith('PoseTracker3D') else None
        res = evaluate_sequence(video, dets, trk, smoother)
        results[name] = res
        rows[name] = res['mot']
    print('\ntracking (CLEAR-MOT; ground truth = people with >= 5 visible joints)')
    print(format_table(rows, ['idsw', 'fn', 'fp', 'frag', 'num_tracks', 'mota'],
                       dict(mota='.3f')))
    main_res = results['PoseTracker3D (3D root + 2D OKS)']
    err = {'raw (detections)': main_res['raw'],
           'One Euro smoothed': main_res['smoothed']}
    print(f'\nsmoothing (mm, over the {main_res["raw"]["n"]} tracked true '
          'detections; jitter = mean joint acceleration, mm/frame^2, '
          f'truth {main_res["truth_jitter"]:.1f})')
    print(format_table(err, ['mpjpe', 'mpjpe_rel', 'root_depth', 'jitter']))
    return results


if __name__ == '__main__':
    main()
