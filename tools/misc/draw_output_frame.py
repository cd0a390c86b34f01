"""Draw docs/images/output_frame.png: the camera frame of MAR's output, the root joint, the
3D and 2D fields, a world frame with its pose (R, t) and the root-depth uncertainty.

    python tools/misc/draw_output_frame.py [--out docs/images/output_frame.png]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.abspath(osp.join(osp.dirname(__file__), '..', '..')))
if __name__ == '__main__':  # a Python without torch re-runs under the project's environment
    from tools.project_python import ensure_project_python
    ensure_project_python(('torch', 'matplotlib'))

import numpy as np  # noqa: E402

from mmmar.geometry import project_np  # noqa: E402
from mmmar.structures.skeleton import LIMBS, NECK, ROOT  # noqa: E402

#: a standing person facing the camera, pelvis at the origin, mm, camera axes (Y down)
POSE = np.array([
    [0, -720, 0], [0, -500, 0], [-180, -480, 0], [-240, -230, -20], [-260, 10, -60],
    [180, -480, 0], [250, -240, -20], [300, -10, -90], [-100, 0, 0], [-110, 430, 20],
    [-115, 850, 40], [100, 0, 0], [120, 430, 0], [125, 850, 30], [0, 0, 0], [0, -250, 0],
    [0, -610, 0]], np.float64)
K = np.array([[1000., 0., 639.5], [0., 1000., 359.5], [0., 0., 1.]])
IMG_W, IMG_H = 1280, 720
PELVIS_CAM = np.array([350., 150., 3500.])
SIGMA = 250.  # mm, an example Laplace scale of the root depth


def _v(p):
    """Camera coordinates -> matplotlib axes (x = X, y = Z, z = -Y: Z into the picture,
    Y drawn downwards)."""
    p = np.asarray(p, np.float64)
    return p[..., 0], p[..., 2], -p[..., 1]


def _arrow(ax, a, b, color, label, **kw):
    xs, ys, zs = _v(np.stack([a, b]))
    ax.plot(xs, ys, zs, color=color, lw=2)
    ax.text(*_v(b), label, color=color, fontsize=9, **kw)


def draw_3d(ax):
    o = np.zeros(3)
    L = 800.
    _arrow(ax, o, [L, 0, 0], 'tab:red', ' X right')
    _arrow(ax, o, [0, L, 0], 'tab:green', ' Y down')
    _arrow(ax, o, [0, 0, 2.5 * L], 'tab:blue', ' Z forward\n (depth)')
    # frustum of the image
    corners = np.array([[0, 0], [IMG_W, 0], [IMG_W, IMG_H], [0, IMG_H], [0, 0]], np.float64)
    rays = (np.linalg.inv(K) @ np.c_[corners, np.ones(5)].T).T * 600.
    ax.plot(*_v(rays), color='0.5', lw=1)
    for r in rays[:4]:
        ax.plot(*_v(np.stack([o, r])), color='0.7', lw=0.8)
    ax.text(*_v([-900, -350, 0]), 'camera', fontsize=9)
    # the person
    P = POSE + PELVIS_CAM
    for a, b in LIMBS:
        ax.plot(*_v(P[[a, b]]), color='tab:purple', lw=2)
    ax.scatter(*_v(P), color='tab:purple', s=8)
    ax.scatter(*_v(P[ROOT]), color='black', s=40, zorder=5)
    ax.text(*_v(P[ROOT] + [150, 0, 0]), 'root: pelvis (14)', fontsize=8)
    ax.text(*_v(P[NECK] + [150, -40, 0]), 'neck (1)', fontsize=8)
    # root depth with its uncertainty along the ray
    ray = P[ROOT] / P[ROOT, 2]
    ax.plot(*_v(np.stack([o, P[ROOT]])), color='black', lw=0.8, ls='--')
    ax.plot(*_v(np.stack([ray * (P[ROOT, 2] - SIGMA), ray * (P[ROOT, 2] + SIGMA)])),
            color='tab:orange', lw=6, alpha=0.9)
    ax.text(*_v(ray * 1800 + [-1700, 0, 0]), 'root_depth = Z of the pelvis\n'
            '+- sigma (Laplace scale), mm', fontsize=8, color='tab:orange')
    # a world frame with its pose: X_cam = R X_world + t
    t = np.array([1200., 1000., 4200.])  # world origin in camera coordinates (on the floor)
    R = np.array([[1., 0., 0.], [0., 0., -1.], [0., 1., 0.]])  # world Z up = camera -Y
    for i, (name, c) in enumerate((('Xw', 'tab:red'), ('Yw', 'tab:green'),
                                   ('Zw', 'tab:blue'))):
        _arrow(ax, t, t + R[:, i] * 600., c, ' ' + name, alpha=0.7)
    ax.text(*_v(t + [300, 700, 0]), 'world frame: X_cam = R X_world + t', fontsize=8,
            ha='right')
    ax.set_xlabel('X (mm)')
    ax.set_ylabel('Z (mm)')
    ax.set_zlabel('-Y (mm)', labelpad=-2)
    ax.set_xlim(-1500, 2000)
    ax.set_ylim(0, 5000)
    ax.set_zlim(-1200, 1200)
    ax.set_box_aspect((3500, 5000, 2400), zoom=1.25)
    ax.view_init(elev=22, azim=-35)
    ax.set_title('3D: keypoints_3d (17 x 3), camera frame, mm', fontsize=10)


def draw_2d(ax):
    P = POSE + PELVIS_CAM
    uv = project_np(P, K)
    from matplotlib.patches import Rectangle
    ax.add_patch(Rectangle((0, 0), IMG_W, IMG_H, fill=False, color='0.5'))
    for a, b in LIMBS:
        ax.plot(uv[[a, b], 0], uv[[a, b], 1], color='tab:purple', lw=2)
    ax.scatter(uv[:, 0], uv[:, 1], color='tab:purple', s=8)
    ax.scatter(*uv[ROOT], color='black', s=30, zorder=5)
    ax.text(uv[ROOT, 0] + 20, uv[ROOT, 1] + 10, 'keypoints[14]', fontsize=8)
    ax.plot(K[0, 2], K[1, 2], '+', color='0.3', ms=10)
    ax.text(K[0, 2] - 110, K[1, 2] - 15, '(cx, cy)', fontsize=8, color='0.3')
    ax.annotate('', xy=(250, 40), xytext=(40, 40),
                arrowprops=dict(arrowstyle='->', color='tab:red'))
    ax.text(260, 48, 'u (px)', color='tab:red', fontsize=9)
    ax.annotate('', xy=(40, 250), xytext=(40, 40),
                arrowprops=dict(arrowstyle='->', color='tab:green'))
    ax.text(48, 270, 'v (px)', color='tab:green', fontsize=9)
    ax.text(40, IMG_H - 30, 'u = fx X / Z + cx,  v = fy Y / Z + cy', fontsize=8)
    ax.set_xlim(-20, IMG_W + 20)
    ax.set_ylim(IMG_H + 20, -20)
    ax.set_aspect('equal')
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title('2D: keypoints (17 x 2), pixels of the input image', fontsize=10)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=osp.join('docs', 'images', 'output_frame.png'))
    args = parser.parse_args(argv)
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(12, 5))
    draw_3d(fig.add_subplot(1, 2, 1, projection='3d'))
    draw_2d(fig.add_subplot(1, 2, 2))
    fig.subplots_adjust(left=0.0, right=0.98, bottom=0.06, top=0.92, wspace=0.05)
    fig.savefig(args.out, dpi=90)
    print(args.out)


if __name__ == '__main__':
    main()
