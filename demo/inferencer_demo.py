#!/usr/bin/env python
"""MAR inference on an image, a folder of images or a video.

Examples::

    python demo/inferencer_demo.py tests/data/people.jpg \\
        --pose3d-config configs/mar_hrnet-w32_muco.py --weights mar.pth \\
        --vis-out-dir vis_results --pred-out-dir predictions
    python demo/inferencer_demo.py frames/ --pose3d-config ... --weights ... \\
        --intrinsics 1500 1500 959.5 539.5          # fx fy cx cy of the camera
    python demo/inferencer_demo.py clip.mp4 ... --intrinsics cams.json --device cuda:0

``--intrinsics`` takes 4 numbers ``fx fy cx cy`` or a JSON file holding one camera (3x3
``K``, ``[fx, fy, cx, cy]``, ``{"K": ...}``, ``{"f": [fx, fy], "c": [cx, cy]}``) or a dict
image file name -> camera (``"default"`` for the others). Without it every image gets a
60-degree horizontal field of view (``fx = fy = W / (2 tan 30deg)``, principal point at the
image centre; ``--fov`` changes the angle). Depths scale with the focal length, so give the
real intrinsics when you know them.

Outputs: ``--vis-out-dir`` gets the 2D overlay + 3D view + top view per image (a video for a
video input); ``--pred-out-dir`` gets one JSON per image (a list per video) with, per person,
``keypoints_3d`` (17x3, mm, camera space), ``keypoints`` (17x2, px), ``keypoint_scores``,
``root_depth``, ``root_depth_reg``, ``root_depth_geo``, ``sigma_reg``, ``sigma_geo``, ``bbox``,
``bbox_score``, and the intrinsics used (``K`` and ``source``). Unreadable files inside a
folder are reported and skipped (``failed_inputs.json``); a single bad input is an error.
"""
import os
import os.path as osp
import sys
from argparse import ArgumentParser

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python()


def parse_args(argv=None):
    parser = ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'inputs', help='image, folder of images, video, or webcam[:id]')
    parser.add_argument(
        '--pose3d-config', '--config', '--pose2d', dest='config',
        required=True, help='MAR config file')
    parser.add_argument(
        '--weights', '--pose3d-weights', '--pose2d-weights', dest='weights',
        default=None, help='checkpoint file')
    parser.add_argument('--device', default=None,
                        help='e.g. cpu, cuda:0 (default: best available)')
    parser.add_argument('--vis-out-dir', default='',
                        help='folder for the visualisations')
    parser.add_argument('--pred-out-dir', default='',
                        help='folder for the JSON predictions')
    parser.add_argument(
        '--intrinsics', nargs='+', default=None,
        help='camera intrinsics: 4 numbers "fx fy cx cy" or a JSON file')
    parser.add_argument('--fov', type=float, default=60.,
                        help='horizontal field of view (deg) assumed '
                        'without --intrinsics (default 60)')
    parser.add_argument('--show', action='store_true',
                        help='show results in a window (needs a display)')
    parser.add_argument('--wait-time', type=float, default=0)
    parser.add_argument('--kpt-thr', type=float, default=0.3,
                        help='joints below this score are not drawn')
    parser.add_argument('--bbox-thr', type=float, default=-1,
                        help='drop people with a lower person score')
    parser.add_argument('--draw-bbox', action='store_true')
    parser.add_argument('--no-3d', dest='draw_3d', action='store_false',
                        help='draw the 2D overlay only')
    parser.add_argument('--radius', type=int, default=3)
    parser.add_argument('--thickness', type=int, default=2)
    parser.add_argument('--no-progress', dest='progress',
                        action='store_false', help='no progress bar')
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmmar.apis import MARInferencer, MARInputError, load_intrinsics_arg
    try:
        intrinsics = load_intrinsics_arg(args.intrinsics)
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    long_input = osp.isdir(args.inputs) or not osp.splitext(
        args.inputs)[1].lower() in ('.jpg', '.jpeg', '.png', '.bmp')
    inferencer = MARInferencer(
        args.config,
        args.weights,
        device=args.device,
        intrinsics=intrinsics,
        fov_deg=args.fov,
        show_progress=args.progress and long_input)
    call_args = dict(
        vis_out_dir=args.vis_out_dir,
        pred_out_dir=args.pred_out_dir,
        show=args.show,
        wait_time=args.wait_time,
        kpt_thr=args.kpt_thr,
        bbox_thr=args.bbox_thr,
        draw_bbox=args.draw_bbox,
        draw_3d=args.draw_3d,
        radius=args.radius,
        thickness=args.thickness)
    n_images = n_people = 0
    try:
        for result in inferencer(args.inputs, **call_args):
            for people in result['predictions']:
                n_images += 1
                n_people += len(people)
    except MARInputError as e:
        print(f'error: {e}', file=sys.stderr)
        return 1
    failed = inferencer.failed_inputs
    print(f'{n_images} image(s), {n_people} person(s) found' +
          (f', {len(failed)} input(s) could not be read' if failed else ''))
    for rec in failed:
        print(f'  failed: {rec["img_path"]}: {rec["error"]}', file=sys.stderr)
    for what, folder in (('visualisations', args.vis_out_dir),
                         ('predictions', args.pred_out_dir)):
        if folder:
            print(f'{what} in {os.path.abspath(folder)}')
    return 1 if failed and n_images == 0 else 0


if __name__ == '__main__':
    sys.exit(main())
