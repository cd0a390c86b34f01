"""Generate the synthetic multi-person 3D dataset (MuPoTS/MuCo JSON format).

Examples::

    python tools/misc/generate_synthetic.py data/synthetic --num-images 300 --seed 0
    # the v2 benchmark (issue 11): 2000 train / 200 val / 200 test images at 256x256,
    # children and adults, 1.5-12 m, 40-90 degree cameras, 1-10 people, border cuts
    python tools/misc/generate_synthetic.py data/synthetic_v2 --preset v2

Layout: ``<out>/images/TS*/img_*.jpg``, ``<out>/annotations/synthetic_{train,val,test}.json``
(val only with ``--num-val-sequences`` > 0, as in ``--preset v2``; see
:mod:`mmmar.datasets.synthetic.writer`). Every option not given takes the preset's value
(:data:`mmmar.datasets.synthetic.SYNTHETIC_PRESETS`). After writing, the tool prints the
statistics of each split (pelvis-neck distribution, depths, fields of view, people per image,
border cuts) and the generation speed.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python()

from mmmar.datasets.synthetic import (SYNTHETIC_PRESETS, dataset_statistics,  # noqa: E402
                                      format_statistics, generate_synthetic_dataset)

#: options passed on to ``generate_synthetic_dataset`` (dashes -> underscores)
GENERATOR_ARGS = ('num_images', 'num_sequences', 'num_test_sequences', 'num_val_sequences',
                  'img_size', 'min_people', 'max_people', 'depth_range', 'focal_range',
                  'fov_range', 'version', 'seed')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out_dir')
    p.add_argument('--preset', default='v1', choices=sorted(SYNTHETIC_PRESETS),
                   help='defaults of every other option (v2: the issue-11 benchmark)')
    p.add_argument('--num-images', type=int)
    p.add_argument('--num-sequences', type=int)
    p.add_argument('--num-test-sequences', type=int)
    p.add_argument('--num-val-sequences', type=int)
    p.add_argument('--img-size', type=int, nargs=2, metavar=('W', 'H'))
    p.add_argument('--min-people', type=int)
    p.add_argument('--max-people', type=int)
    p.add_argument('--depth-range', type=float, nargs=2, metavar=('ZMIN', 'ZMAX'),
                   help='pelvis depth range in mm')
    p.add_argument('--focal-range', type=float, nargs=2, metavar=('FMIN', 'FMAX'),
                   help='focal length range in pixels (unused with a FOV range)')
    p.add_argument('--fov-range', type=float, nargs=2, metavar=('DMIN', 'DMAX'),
                   help='horizontal field of view range in degrees (replaces --focal-range)')
    p.add_argument('--version', type=int, choices=(1, 2),
                   help='body/placement model: 1 adults inside the image, 2 children and '
                   'adults, people cut by the border')
    p.add_argument('--seed', type=int)
    p.add_argument('--no-stats', action='store_true', help='do not print the statistics')
    return p.parse_args(argv)


def generator_kwargs(args) -> dict:
    """The preset's arguments, overridden by every option given on the command line."""
    kw = dict(SYNTHETIC_PRESETS[args.preset])
    for key in GENERATOR_ARGS:
        val = getattr(args, key, None)
        if val is not None:
            kw[key] = tuple(val) if isinstance(val, list) else val
    if args.focal_range is not None and args.fov_range is None:
        kw['fov_range'] = None  # an explicit focal range wins over the preset's FOV range
    return kw


def main(argv=None):
    a = parse_args(argv)
    kw = generator_kwargs(a)
    out = generate_synthetic_dataset(a.out_dir, verbose=True, **kw)
    if not a.no_stats:
        splits = [n for n in ('train', 'val', 'test') if f'{n}_json' in out]
        out['stats'] = dataset_statistics({n: out[f'{n}_json'] for n in splits})
        print(format_statistics(out['stats']))
        w, h = kw['img_size']
        print(f'generation: {out["images_per_second"]:.1f} images/s '
              f'({w}x{h}, 1 process, JPEG + JSON included)')
        train = out['stats'].get('train', {})
        if train.get('people'):
            print(f'Omega (train mean pelvis-neck) = {train["torso_mm"]["mean"]:.1f} mm')
    return out


if __name__ == '__main__':
    main()
