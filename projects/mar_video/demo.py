#!/usr/bin/env python
"""mar_video demo: people tracked in 3D through a video or a webcam, smoothed, exported.

Examples::

    python projects/mar_video/demo.py clip.mp4 \\
        --config projects/mar_video/configs/mar-video_hrnet-w32_muco.py \\
        --weights mar.pth --out-dir work_dirs/mar_video --export json csv bvh
    python projects/mar_video/demo.py webcam:0 --config ... --weights ... --show

The input is a video file, a folder of frames or ``webcam:N``. Per frame MAR estimates every
person's camera-space skeleton, :class:`mar_video.PoseTracker3D` gives stable track IDs and
:class:`mar_video.OneEuroPoseSmoother` smooths each track online (zero frames of latency).
Outputs under ``--out-dir``: ``frames/frame_<i>.json`` (every person, raw and smoothed, with
its track ID), ``tracks.csv`` (every confirmed track from its first frame),
``bvh/track_<id>.bvh`` (+ ``bvh/index.json``; tracks of at least ``--bvh-min-frames`` frames,
smoothed offline without lag by :class:`mar_video.ZeroLagPoseSmoother` unless
``--bvh-smoothing online``; ``--bvh-units m``, ``--bvh-floor``), ``vis.mp4`` (2D overlay, 3D
view, bird's-eye view; one colour per track) and ``summary.json``. Each frame's outputs are
written before the next frame is read (a track's first frame, and its JSON's track id, when
the track is confirmed one frame later). A progress bar is shown for files, the frame rate for
a webcam.

Errors: a missing or unreadable file, or a webcam that does not open, stops before anything
is loaded, with a message naming it; a bad frame inside a video is skipped with a warning
naming its index (listed in ``summary.json``).
"""
import os.path as osp
import sys
from argparse import ArgumentParser

PROJECT_DIR = osp.dirname(osp.abspath(__file__))
if PROJECT_DIR not in sys.path:  # the project package, for custom_imports
    sys.path.insert(0, PROJECT_DIR)


def parse_args(argv=None):
    parser = ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('input', help='video file, folder of frames, or webcam:N')
    parser.add_argument('--config', required=True,
                        help='a mar_video config (projects/mar_video/configs/)')
    parser.add_argument('--weights', default=None,
                        help='MAR checkpoint (without: random weights, a warning)')
    parser.add_argument('--out-dir', default='work_dirs/mar_video')
    parser.add_argument('--export', nargs='*', default=['json', 'csv', 'bvh'],
                        choices=['json', 'csv', 'bvh'],
                        help='per-frame JSON, a CSV of the tracks, one BVH per track')
    parser.add_argument('--intrinsics', nargs='+', default=None,
                        help='fx fy cx cy or a JSON file (default: 60-degree fov)')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--max-frames', type=int, default=None)
    parser.add_argument('--no-vis', action='store_true', help='do not write vis.mp4')
    parser.add_argument('--show', action='store_true', help='show in a window')
    parser.add_argument('--bvh-min-frames', type=int, default=None,
                        help='tracks observed in fewer frames get no BVH file '
                        '(default: half a second of frames, 13 at 25 fps)')
    parser.add_argument('--bvh-smoothing', choices=['offline', 'online'],
                        default='offline',
                        help="BVH joints: 'offline' zero-lag smoothing of the whole track "
                        "(the config's offline_smoother, default) or the online One Euro "
                        'output (as in tracks.csv)')
    parser.add_argument('--bvh-units', choices=['mm', 'm'], default='mm',
                        help='units of the BVH offsets and translations')
    parser.add_argument('--bvh-floor', action='store_true',
                        help='each BVH track with its feet on y = 0 (a level camera)')
    args = parser.parse_args(argv)
    if args.bvh_min_frames is not None and args.bvh_min_frames < 1:
        parser.error(f'--bvh-min-frames must be >= 1, got {args.bvh_min_frames}')
    return args


def main(argv=None) -> dict:
    args = parse_args(argv)
    from mar_video.runner import build_from_config, build_offline_smoother
    from mar_video.video_io import FrameSource

    # the input first: a bad file or camera fails before the model is loaded
    source = FrameSource(args.input)
    try:
        from mmengine.config import Config

        from mmmar.apis import MARInferencer, load_intrinsics_arg
        if not osp.isfile(args.config):
            raise FileNotFoundError(f'config {args.config} not found')
        cfg = Config.fromfile(args.config)
        for key in ('tracker', 'smoother'):
            if key not in cfg:
                raise KeyError(f'{args.config} has no `{key}` (use a config of '
                               'projects/mar_video/configs/)')
        tracker, smoother, vis = build_from_config(cfg, source.fps)
        offline = build_offline_smoother(cfg, source.fps) \
            if args.bvh_smoothing == 'offline' else None
        intrinsics = load_intrinsics_arg(args.intrinsics)
        inferencer = MARInferencer(cfg, weights=args.weights,
                                   device=args.device)
    except BaseException:
        source.close()
        raise
    from mar_video.runner import VideoRunner, inferencer_estimator
    runner = VideoRunner(inferencer_estimator(inferencer, intrinsics), tracker,
                         smoother, args.out_dir, export=args.export,
                         visualizer=None if args.no_vis else vis,
                         show=args.show, offline_smoother=offline,
                         bvh_min_frames=args.bvh_min_frames,
                         bvh_options=dict(units=args.bvh_units, floor=args.bvh_floor))
    summary = runner.run(source, max_frames=args.max_frames)
    print(f'{summary["frames"]} frames, {len(summary["bad_frames"])} bad, '
          f'{len(summary["bvh_index"])} BVH tracks -> {args.out_dir}')
    return summary


if __name__ == '__main__':
    from mar_video.video_io import VideoSourceError
    try:
        main()
    except (VideoSourceError, FileNotFoundError, KeyError, ValueError) as e:
        sys.exit(f'error: {e}')
