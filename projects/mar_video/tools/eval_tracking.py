#!/usr/bin/env python
"""Tracking and smoothing scores on the generated video and scenes (known identities).

    python projects/mar_video/tools/eval_tracking.py [--seed 0] [--frames 250]

Generates the scene of :mod:`mar_video.synthetic` (people crossing, occluding each other,
leaving and re-entering), simulates MAR-like detections from the true poses (noise, misses,
false positives; deterministic from the seed), runs the config's tracker and smoother, and
prints

1. CLEAR-MOT counts (ID switches, misses, false positives, MOTA) and TrackEval's IDF1 and
   HOTA for the tracker, for the tracker as it was before issue 23 and for baselines;
2. ID switches on the re-identification scenes of :mod:`mar_video.scenarios` (a crossing with
   one person hidden 0.4 s / 0.8 s, a sudden zoom), before and after issue 23;
3. the errors against the truth (MPJPE, root-relative MPJPE, root depth, jitter; mm) of the
   tracked detections, raw, after the online One Euro smoother and after the offline
   zero-lag smoother;
4. the smoothers on each true track directly with white, AR(1)-correlated and no errors
   (:mod:`mar_video.smoothing_eval`).
"""
import os.path as osp
import sys
from argparse import ArgumentParser

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

DEFAULT_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                          'configs', 'mar-video_hrnet-w32_muco.py')
#: The tracker's settings before issue 23 (fixed 3D scale and cost limit, 5-frame prediction,
#: no zoom test).
BEFORE_23 = dict(max_dist=1000., max_speed=2500., predict_frames=5, full_gate=False,
                 rescale_test=False)


def _trackers(cfg, fps: float) -> dict:
    from mar_video.evaluation import MMPoseGreedyOKSTracker
    from mmpose.registry import TASK_UTILS

    def build(**kw):
        return TASK_UTILS.build(dict(cfg.tracker, fps=fps, **kw))

    return {
        'PoseTracker3D (3D root + 2D OKS)': build(),
        '  before issue 23': build(**BEFORE_23),
        '  2D OKS only (w_3d=0)': build(w_3d=0.0, max_dist=1e9, max_speed=0.),
        '  3D root only (w_3d=1)': build(w_3d=1.0),
        'mmpose greedy OKS (_track_by_oks)': MMPoseGreedyOKSTracker(),
    }


def scenario_table(cfg, fps: float, seed: int) -> dict:
    """ID switches (and IDF1) of the tracker before / after issue 23 on the scenes."""
    from mar_video.evaluation import score_tracker
    from mar_video.scenarios import hidden_swap, sudden_zoom
    from mmpose.registry import TASK_UTILS
    scenes = {'crossing, B hidden 0.4 s': hidden_swap(0.4, seed),
              'crossing, B hidden 0.8 s': hidden_swap(0.8, seed),
              'crossing, B hidden 1.6 s': hidden_swap(1.6, seed),
              'zoom x1.5, 3 people standing': sudden_zoom(1.5, seed),
              'zoom x0.7, 3 people standing': sudden_zoom(0.7, seed),
              'zoom x1.5, 2 of 3 missed then': sudden_zoom(1.5, seed, missed=2)}
    rows = {}
    for name, (dets, gts) in scenes.items():
        before = score_tracker(dets, gts, TASK_UTILS.build(
            dict(cfg.tracker, fps=fps, **BEFORE_23)))
        after = score_tracker(dets, gts, TASK_UTILS.build(dict(cfg.tracker, fps=fps)))
        rows[name] = dict(idsw_before=before['idsw'], idsw_after=after['idsw'],
                          idf1_before=before['idf1'], idf1_after=after['idf1'])
    return rows


def main(argv=None) -> dict:
    parser = ArgumentParser(description='mar_video tracking / smoothing scores')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--frames', type=int, default=250)
    args = parser.parse_args(argv)

    from mar_video.evaluation import evaluate_sequence, format_table
    from mar_video.smoothing_eval import compare_smoothers
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

    def smoother():
        return TASK_UTILS.build(dict(cfg.smoother, fps=fps))

    offline = TASK_UTILS.build(dict(cfg.offline_smoother, fps=fps))
    rows, results = {}, {}
    for name, trk in _trackers(cfg, fps).items():
        first = name.startswith('PoseTracker3D')
        res = evaluate_sequence(video, dets, trk, smoother() if first else None,
                                offline_smoother=offline if first else None)
        results[name] = res
        rows[name] = res['mot']
    print('\ntracking (CLEAR-MOT; ground truth = people with >= 5 visible joints; tracks '
          'as exported, from their first frame; IDF1 and HOTA by TrackEval)')
    print(format_table(rows, ['idsw', 'fn', 'fp', 'frag', 'num_tracks', 'mota', 'idf1',
                              'hota'], dict(mota='.3f', idf1='.3f', hota='.3f')))
    scen = scenario_table(cfg, fps, args.seed)
    results['scenarios'] = scen
    print('\nre-identification scenes (mar_video.scenarios): ID switches and IDF1, '
          'before / after issue 23')
    print(format_table(scen, ['idsw_before', 'idsw_after', 'idf1_before', 'idf1_after'],
                       dict(idf1_before='.3f', idf1_after='.3f')))
    main_res = results['PoseTracker3D (3D root + 2D OKS)']
    err = {'raw (detections)': main_res['raw'],
           'One Euro (online, causal)': main_res['smoothed'],
           'zero-lag (offline, BVH)': main_res['offline']}
    print(f'\nsmoothing (mm, over the {main_res["raw"]["n"]} true detections of the '
          'exported tracks; jitter = mean joint acceleration, mm/frame^2, '
          f'truth {main_res["truth_jitter"]:.1f})')
    print(format_table(err, ['mpjpe', 'mpjpe_rel', 'root_depth', 'jitter']))
    cmp = compare_smoothers(video, smoother, offline, seed=args.seed)
    results['noise'] = cmp
    n = next(iter(cmp.values()))['n']
    print(f'\nsmoothers on the true tracks ({n} frames) with MAR-like errors of each kind '
          '(mm; MPJPE and root-depth error)')
    print(format_table(cmp, ['input_mpjpe', 'one_euro_mpjpe', 'zero_lag_mpjpe',
                             'input_depth', 'one_euro_depth', 'zero_lag_depth'],
                       width=16))
    return results


if __name__ == '__main__':
    main()
