#!/usr/bin/env python
"""MAR on a live camera (or a video file played as one): 2D overlay + 3D + top view.

Example::

    python demo/webcam_demo.py --pose3d-config configs/mar_hrnet-w32_muco.py \\
        --weights mar.pth --camera-id 0 --intrinsics 600 600 319.5 239.5

Press Esc in the window to stop. ``--input clip.mp4`` replays a file instead of a camera;
``--vis-out-dir`` saves the drawn stream as a video, ``--pred-out-dir`` the per-frame
predictions (JSON list, see ``demo/inferencer_demo.py``). Without ``--show`` nothing is
displayed (useful on a machine without a display). ``--max-frames`` stops after N frames.
"""
import os.path as osp
import sys
from argparse import ArgumentParser

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python()


def parse_args(argv=None):
    parser = ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--pose3d-config', '--config', dest='config',
                        required=True, help='MAR config file')
    parser.add_argument('--weights', '--pose3d-weights', dest='weights',
                        default=None, help='checkpoint file')
    parser.add_argument('--camera-id', type=int, default=0)
    parser.add_argument('--input', default=None,
                        help='a video file to use instead of the camera')
    parser.add_argument('--device', default=None)
    parser.add_argument('--intrinsics', nargs='+', default=None,
                        help='4 numbers "fx fy cx cy" or a JSON file')
    parser.add_argument('--fov', type=float, default=60.)
    parser.add_argument('--show', action='store_true',
                        help='display the results (needs a display)')
    parser.add_argument('--vis-out-dir', default='')
    parser.add_argument('--pred-out-dir', default='')
    parser.add_argument('--kpt-thr', type=float, default=0.3)
    parser.add_argument('--bbox-thr', type=float, default=-1)
    parser.add_argument('--no-3d', dest='draw_3d', action='store_false')
    parser.add_argument('--max-frames', type=int, default=0,
                        help='stop after this many frames (0: never)')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    import time

    from mmmar.apis import MARInferencer, MARInputError, load_intrinsics_arg
    try:
        intrinsics = load_intrinsics_arg(args.intrinsics)
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    inferencer = MARInferencer(
        args.config, args.weights, device=args.device,
        intrinsics=intrinsics, fov_deg=args.fov)
    source = args.input if args.input else f'webcam:{args.camera_id}'
    stream = inferencer(
        source,
        show=args.show,
        wait_time=0.001,
        vis_out_dir=args.vis_out_dir,
        pred_out_dir=args.pred_out_dir,
        kpt_thr=args.kpt_thr,
        bbox_thr=args.bbox_thr,
        draw_3d=args.draw_3d)
    n = 0
    t0 = time.time()
    try:
        for result in stream:
            n += 1
            people = result['predictions'][0] if result['predictions'] else []
            depths = ', '.join(f'{p["root_depth"] / 1000:.1f}m'
                               for p in people[:6] if 'root_depth' in p)
            if len(people) > 6:
                depths += ', ...'
            fps = n / max(time.time() - t0, 1e-6)
            print(f'\rframe {n}: {len(people)} person(s) [{depths}] '
                  f'{fps:.1f} fps', end='', flush=True)
            if args.max_frames and n >= args.max_frames:
                break
    except MARInputError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    finally:
        stream.close()  # runs the inferencer's end-of-stream saving
    print()
    return 0


if __name__ == '__main__':
    sys.exit(main())
