"""Generate the synthetic multi-person 3D dataset (MuPoTS/MuCo JSON format).

Example::

    python tools/misc/generate_synthetic.py data/synthetic --num-images 300 --seed 0

Layout: ``<out>/images/TS*/img_*.jpg``, ``<out>/annotations/synthetic_{train,test}.json``
(see :mod:`mmmar.datasets.synthetic.generator`).
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python()

from mmmar.datasets.synthetic import generate_synthetic_dataset  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('out_dir')
    p.add_argument('--num-images', type=int, default=300)
    p.add_argument('--num-sequences', type=int, default=12)
    p.add_argument('--num-test-sequences', type=int, default=3)
    p.add_argument('--img-size', type=int, nargs=2, default=[512, 512], metavar=('W', 'H'))
    p.add_argument('--min-people', type=int, default=1)
    p.add_argument('--max-people', type=int, default=20)
    p.add_argument('--depth-range', type=float, nargs=2, default=[2500., 9000.],
                   metavar=('ZMIN', 'ZMAX'), help='pelvis depth range in mm')
    p.add_argument('--focal-range', type=float, nargs=2, default=[350., 900.],
                   metavar=('FMIN', 'FMAX'), help='focal length range in pixels')
    p.add_argument('--seed', type=int, default=0)
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    return generate_synthetic_dataset(
        a.out_dir, num_images=a.num_images, num_sequences=a.num_sequences,
        num_test_sequences=a.num_test_sequences, img_size=tuple(a.img_size),
        min_people=a.min_people, max_people=a.max_people,
        depth_range=tuple(a.depth_range), focal_range=tuple(a.focal_range), seed=a.seed,
        verbose=True)


if __name__ == '__main__':
    main()
