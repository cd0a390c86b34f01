#!/usr/bin/env python
"""Write the generated video and the animation of its tracked, smoothed people.

    python projects/mar_video/tools/render_synthetic.py --out-dir work_dirs/mar_video_synth
    python projects/mar_video/tools/render_synthetic.py --weights CKPT --img-size 256 256 \\
        --frames 40 --out-dir work_dirs/mar_video_net

writes ``synthetic.mp4`` (the generated video, drawn like the shipped model's synthetic
training images, 25 fps), runs the demo's loop (:class:`mar_video.runner.VideoRunner`:
tracker, smoother, JSON/CSV/BVH exports) on it and writes ``tracked.gif``: every
``--gif-step``-th frame drawn by :class:`mar_video.MARVideoVisualizer` (2D overlay, 3D view,
bird's-eye view, one colour per track), each frame captioned with its errors against the truth
(MPJPE of the poses fed to the tracker, ``in``, and of the smoothed people drawn, ``shown``).

The poses fed to the tracker are the network's (``--weights``: a MAR checkpoint, run with
``--config``, by default the small synthetic config of the shipped model, on the frames
with the video's true intrinsics), or without ``--weights`` the *true poses plus simulated MAR
noise, misses and false positives* (:func:`mar_video.synthetic.simulate_detections`). Either
way each estimate is matched to the true person whose projected skeleton is nearest
(:func:`mar_video.evaluation.label_detections`) and the MPJPE, root-depth error and recall are
printed (and written to ``errors.json``).
"""
import json
import os
import os.path as osp
import sys
from argparse import ArgumentParser

import numpy as np

PROJECT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, PROJECT)

DEFAULT_CONFIG = osp.join(PROJECT, 'configs', 'mar-video_hrnet-w32_muco.py')
NETWORK_CONFIG = osp.join(PROJECT, 'configs', 'mar-video_hrnet-small_synthetic-256x256.py')


def write_video(video, path: str, style: str = 'training') -> str:
    """The generated video as an MP4 (mp4v)."""
    import cv2
    w, h = video.img_size
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), video.fps,
                             (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'{path}: cannot open a video writer (mp4v)')
    for t in range(video.num_frames):
        writer.write(video.render(t, style))
    writer.release()
    return path


def parse_args(argv=None):
    parser = ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out-dir', default='work_dirs/mar_video_synth')
    parser.add_argument('--config', default=None,
                        help='mar_video config (default: the small synthetic one with '
                        '--weights, else the HRNet-w32 one; only its tracker / smoother '
                        'are used without --weights)')
    parser.add_argument('--weights', default=None,
                        help='MAR checkpoint: track the network output instead of the '
                        'truth plus simulated noise')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--frames', type=int, default=250)
    parser.add_argument('--img-size', type=int, nargs=2, default=(640, 360),
                        metavar=('W', 'H'))
    parser.add_argument('--style', choices=['training', 'muted'], default='training')
    parser.add_argument('--gif-step', type=int, default=3)
    parser.add_argument('--gif-width', type=int, default=900)
    parser.add_argument('--gif', default=None, help='GIF path (default: in out-dir)')
    args = parser.parse_args(argv)
    if args.config is None:
        args.config = NETWORK_CONFIG if args.weights else DEFAULT_CONFIG
    if args.weights and not osp.isfile(args.weights):
        parser.error(f'--weights {args.weights}: no such file')
    return args


def _estimator(args, cfg, video, dets):
    """``estimator(frame, idx)`` of the runner: the network, or the simulated detections."""
    K = video.K.tolist()
    if not args.weights:
        return lambda frame, idx: (dets[idx], dict(K=K, source='synthetic'))
    from mar_video.runner import inferencer_estimator

    from mmmar.apis import MARInferencer
    inferencer = MARInferencer(cfg, weights=args.weights, device=args.device)
    return inferencer_estimator(inferencer, intrinsics=video.K)


def main(argv=None) -> dict:
    args = parse_args(argv)
    from mar_video.evaluation import label_detections
    from mar_video.metrics import pose_errors
    from mar_video.runner import VideoRunner, build_from_config, build_offline_smoother
    from mar_video.synthetic import gt_frames, make_video, simulate_detections
    from mar_video.video_io import FrameSource
    from mar_video.visualization import view_bounds, write_gif
    from mmengine.config import Config

    os.makedirs(args.out_dir, exist_ok=True)
    cfg = Config.fromfile(args.config)
    video = make_video(seed=args.seed, num_frames=args.frames,
                       img_size=tuple(args.img_size))
    dets = None if args.weights else simulate_detections(video, seed=args.seed)
    mp4 = write_video(video, osp.join(args.out_dir, 'synthetic.mp4'), args.style)
    source = FrameSource(mp4)
    tracker, smoother, vis = build_from_config(cfg, source.fps)
    estimate = _estimator(args, cfg, video, dets)
    gts = gt_frames(video)
    frames, pairs, counts = [], ([], []), [0, 0]
    bounds = view_bounds(video.poses[:, :, 14])
    bounds[0][1], bounds[1][1] = bounds[0][1] - 900., bounds[1][1] + 900.

    frame_err = {}

    def estimator(frame, idx):
        people, intr = estimate(frame, idx)
        labels = label_detections(people, video, idx)
        est = [np.asarray(p['keypoints_3d']) for p, lab in zip(people, labels) if lab >= 0]
        true = [video.poses[idx, lab] for lab in labels if lab >= 0]
        pairs[0].extend(est)
        pairs[1].extend(true)
        frame_err[idx] = (pose_errors(est, true)['mpjpe'], labels)
        counts[0] += len({lab for lab in labels if lab in gts[idx]})
        counts[1] += len(gts[idx])
        return people, intr

    def on_frame(idx, frame, record):
        if idx % args.gif_step == 0:
            tracked = [p for p in record['people'] if p['track_id'] >= 0]
            raw, labels = frame_err[idx]
            shown = [(p['keypoints_3d_smoothed'], video.poses[idx, lab])
                     for p, lab in zip(record['people'], labels)
                     if lab >= 0 and p['track_id'] >= 0]
            sm = pose_errors(*zip(*shown))['mpjpe'] if shown else float('nan')
            text = f'frame {idx}  MPJPE in {raw:.0f}, shown {sm:.0f} mm' \
                if np.isfinite(raw) else f'frame {idx}  nobody found'
            frames.append(vis.draw_frame(frame, tracked, video.K, bounds, text=text))

    runner = VideoRunner(estimator, tracker, smoother, osp.join(args.out_dir, 'outputs'),
                         on_frame=on_frame,
                         offline_smoother=build_offline_smoother(cfg, source.fps))
    summary = runner.run(source)
    gif = write_gif(frames, args.gif or osp.join(args.out_dir, 'tracked.gif'),
                    fps=source.fps / args.gif_step, width=args.gif_width)
    errors = dict(pose_errors(*pairs), recall=counts[0] / max(counts[1], 1),
                  source='network ' + args.weights if args.weights else
                  'truth + simulated noise')
    with open(osp.join(args.out_dir, 'errors.json'), 'w') as f:
        json.dump(errors, f, indent=1)
    print(f'{mp4}: {video.num_frames} frames; {gif}: {len(frames)} frames, '
          f'{osp.getsize(gif) / 1e6:.2f} MB; exports in '
          f'{osp.join(args.out_dir, "outputs")} ({len(summary["bvh_index"])} '
          'BVH tracks)')
    print(f'poses from the {errors["source"]}: recall {errors["recall"]:.3f}, MPJPE '
          f'{errors["mpjpe"]:.1f} mm, root depth {errors["root_depth"]:.1f} mm '
          f'({errors["n"]} matched detections)')
    return dict(summary, errors=errors)


if __name__ == '__main__':
    main()
