#!/usr/bin/env python
"""Write the generated video and the animation of its tracked, smoothed people.

    python projects/mar_video/tools/render_synthetic.py --out-dir work_dirs/mar_video_synth

writes ``synthetic.mp4`` (the generated video, 640x360, 25 fps), runs the demo's loop
(:class:`mar_video.runner.VideoRunner`: tracker, smoother, JSON/CSV/BVH exports) on it with
the *true poses plus simulated MAR noise, misses and false positives* standing in for the
network (there is no trained real model in this repository), and writes ``tracked.gif``:
every ``--gif-step``-th frame drawn by :class:`mar_video.MARVideoVisualizer` (2D overlay, 3D
view, bird's-eye view, one colour per track). The README's picture is this GIF.
"""
import os
import os.path as osp
import sys
from argparse import ArgumentParser

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

DEFAULT_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))),
                          'configs', 'mar-video_hrnet-w32_muco.py')


def write_video(video, path: str) -> str:
    """The generated video as an MP4 (mp4v)."""
    import cv2
    w, h = video.img_size
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), video.fps,
                             (w, h))
    if not writer.isOpened():
        raise RuntimeError(f'{path}: cannot open a video writer (mp4v)')
    for t in range(video.num_frames):
        writer.write(video.render(t))
    writer.release()
    return path


def main(argv=None) -> dict:
    parser = ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--out-dir', default='work_dirs/mar_video_synth')
    parser.add_argument('--config', default=DEFAULT_CONFIG)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--frames', type=int, default=250)
    parser.add_argument('--gif-step', type=int, default=3)
    parser.add_argument('--gif-width', type=int, default=900)
    parser.add_argument('--gif', default=None, help='GIF path (default: in out-dir)')
    args = parser.parse_args(argv)

    from mar_video.runner import VideoRunner, build_from_config
    from mar_video.synthetic import make_video, simulate_detections
    from mar_video.video_io import FrameSource
    from mar_video.visualization import view_bounds, write_gif
    from mmengine.config import Config

    os.makedirs(args.out_dir, exist_ok=True)
    cfg = Config.fromfile(args.config)
    video = make_video(seed=args.seed, num_frames=args.frames)
    dets = simulate_detections(video, seed=args.seed)
    mp4 = write_video(video, osp.join(args.out_dir, 'synthetic.mp4'))
    source = FrameSource(mp4)
    tracker, smoother, vis = build_from_config(cfg, source.fps)
    K = video.K.tolist()
    frames = []
    bounds = view_bounds(video.poses[:, :, 14])
    bounds[0][1], bounds[1][1] = bounds[0][1] - 900., bounds[1][1] + 900.

    def estimator(frame, idx):
        return dets[idx], dict(K=K, source='synthetic')

    def on_frame(idx, frame, record):
        if idx % args.gif_step == 0:
            tracked = [p for p in record['people'] if p['track_id'] >= 0]
            frames.append(vis.draw_frame(frame, tracked, video.K, bounds,
                                         text=f'frame {idx}'))

    runner = VideoRunner(estimator, tracker, smoother,
                         osp.join(args.out_dir, 'outputs'), on_frame=on_frame)
    summary = runner.run(source)
    gif = write_gif(frames, args.gif or osp.join(args.out_dir, 'tracked.gif'),
                    fps=source.fps / args.gif_step, width=args.gif_width)
    print(f'{mp4}: {video.num_frames} frames; {gif}: {len(frames)} frames, '
          f'{osp.getsize(gif) / 1e6:.2f} MB; exports in '
          f'{osp.join(args.out_dir, "outputs")} ({len(summary["bvh_index"])} '
          'BVH tracks)')
    return summary


if __name__ == '__main__':
    main()
