"""The matplotlib panels of :class:`~mmmar.visualization.MARPose3DVisualizer`: a camera-space
3D view and a bird's-eye (top) view of everyone, drawn on an Agg canvas (no display, no pyplot
state) and returned as (side, side, 3) RGB uint8 images.

People are (K, 3) camera-space joints in mm (non-finite joints are not drawn), drawn in metres;
``labels`` gives each predicted person its id and RGB colour (0-1); ground-truth people (or any
extra points that should only widen the view) are drawn grey and dashed.
"""
from typing import Callable, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmmar.structures.skeleton import LIMBS, ROOT

__all__ = ['draw_3d_panel', 'draw_top_panel', 'view_cube', 'panel_style', 'concat_panels']

Color = Tuple[float, float, float]
Label = Tuple[int, Color]

_GT_PANEL_COLOR = (0.5, 0.5, 0.5)


def new_figure(side: int, dpi: int):
    """A ``side`` x ``side`` px matplotlib figure and its Agg canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(side / dpi, side / dpi), dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    return fig, canvas


def render(canvas, side: int) -> np.ndarray:
    """The drawn canvas as (side, side, 3) RGB uint8."""
    canvas.draw()
    buf = np.asarray(canvas.buffer_rgba())[..., :3].copy()
    if buf.shape[:2] != (side, side):
        buf = cv2.resize(buf, (side, side), interpolation=cv2.INTER_AREA)
    return buf


def view_cube(people: List[np.ndarray]) -> Tuple[np.ndarray, float]:
    """Centre (X, Y, Z) and half-range (mm) of a cube containing everyone."""
    pts = [p[np.isfinite(p).all(-1)] for p in people]
    pts = [p for p in pts if len(p)]
    if not pts:
        return np.array([0., 0., 4000.]), 2500.
    allp = np.concatenate(pts, 0)
    lo, hi = allp.min(0), allp.max(0)
    centre = (lo + hi) / 2
    half = max(float((hi - lo).max()) / 2 * 1.15, 1000.)
    return centre, half


def panel_style(side: int) -> Tuple[float, float, float]:
    """Font size (pt), line width and marker size of a ``side`` px matplotlib panel:
    those of a 360 px panel (9 pt, 1.5, 5) scaled with the side."""
    k = side / 360.
    return max(5., min(16., 9. * k)), max(1., 1.5 * k), max(3., 5. * k)


def _draw_people(plot: Callable, mark: Callable, people: List[np.ndarray],
                 gt_people: List[np.ndarray], labels: Sequence[Label]) -> None:
    """``plot(joints_m, color, style)`` the ground truth (grey, dashed), then every person
    (its colour, solid) followed by ``mark(id, color, root_m)`` when its root is finite."""
    for person in gt_people:
        plot(person / 1000., _GT_PANEL_COLOR, '--')
    for person, (pid, color) in zip(people, labels):
        plot(person / 1000., color, '-')
        root = person[ROOT if len(person) > ROOT else 0] / 1000.
        if np.isfinite(root).all():
            mark(pid, color, root)


def _limbs(p: np.ndarray):
    """The limbs ``(a, b)`` of joints ``p`` with both ends present and finite."""
    return [(a, b) for a, b in LIMBS
            if a < len(p) and b < len(p) and np.isfinite(p[[a, b]]).all()]


def _style_3d_axes(ax, centre: np.ndarray, half: float, fs: float) -> None:
    """Equal metre axes around the view cube, few ticks, labels."""
    from matplotlib.ticker import MaxNLocator
    c, h = centre / 1000., half / 1000.
    ax.set_xlim(c[0] - h, c[0] + h)
    ax.set_ylim(c[2] - h, c[2] + h)
    ax.set_zlim(-c[1] - h, -c[1] + h)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):  # few ticks: labels must not overlap
        axis.set_major_locator(MaxNLocator(4))
    try:
        ax.set_box_aspect((1, 1, 1))
    except AttributeError:  # pragma: no cover - old matplotlib
        pass
    ax.set_xlabel('X (m)', fontsize=fs, labelpad=-4)
    ax.set_ylabel('Z (m)', fontsize=fs, labelpad=-4)
    ax.set_zlabel('-Y (m)', fontsize=fs, labelpad=-4)
    ax.tick_params(labelsize=fs - 1, pad=-2)


def draw_3d_panel(people: List[np.ndarray],
                  gt_people: List[np.ndarray],
                  labels: Sequence[Label],
                  side: int,
                  dpi: int = 100,
                  elev: float = 15.,
                  azim: float = -75.) -> np.ndarray:
    """Camera-space 3D view (X right, Z forward, Y down drawn upwards; metres, equal axes)."""
    import mpl_toolkits.mplot3d  # noqa: F401  (registers '3d')
    fig, canvas = new_figure(side, dpi)
    ax = fig.add_subplot(111, projection='3d')
    centre, half = view_cube(people + gt_people)
    fs, lw, _ = panel_style(side)

    def plot(p, color, style):
        # plot axes: x = X (right), y = Z (forward), z = -Y (up), metres
        for a, b in _limbs(p):
            ax.plot([p[a, 0], p[b, 0]], [p[a, 2], p[b, 2]], [-p[a, 1], -p[b, 1]], style,
                    color=color, linewidth=lw)

    def mark(pid, color, root):
        ax.text(root[0], root[2], -root[1], f'#{pid}', color=color, fontsize=fs)

    _draw_people(plot, mark, people, gt_people, labels)
    _style_3d_axes(ax, centre, half, fs)
    ax.view_init(elev=elev, azim=azim)
    title = 'camera space 3D'
    if not people:
        title += ' (no people)'
    ax.set_title(title, fontsize=fs + 1)
    fig.subplots_adjust(left=0, right=1, bottom=0, top=0.95)
    return render(canvas, side)


def _top_view_limits(ax, people: List[np.ndarray]) -> None:
    """X symmetric about the camera, Z from just behind it to beyond everyone (metres)."""
    finite = [p[np.isfinite(p).all(-1)] for p in people]
    finite = [p for p in finite if len(p)]
    if finite:
        allp = np.concatenate(finite, 0) / 1000.
        zmax = max(float(allp[:, 2].max()) * 1.15, 1.)
        xabs = max(float(np.abs(allp[:, 0]).max()) * 1.15, 0.5)
    else:
        zmax, xabs = 8., 2.5
    half = max(xabs, zmax / 2)
    ax.set_xlim(-half, half)
    ax.set_ylim(-0.03 * zmax - 0.1, max(zmax, 2 * half - 0.1))


def _draw_camera(ax, K: Optional[np.ndarray], img_w: Optional[int], ms: float) -> None:
    """The camera at the origin and, with ``K`` and ``img_w``, its horizontal field of view."""
    ax.plot([0], [0], marker='^', color='k', markersize=ms + 1)
    if K is None or not img_w:
        return
    K = np.asarray(K, np.float64)
    if K.shape == (3, 3) and K[0, 0] > 0:
        zf = ax.get_ylim()[1]
        for u in (0., img_w - 1.):
            x = (u - K[0, 2]) / K[0, 0] * zf
            ax.plot([0, x], [0, zf], ':', color='0.6', linewidth=1)


def draw_top_panel(people: List[np.ndarray],
                   gt_people: List[np.ndarray],
                   labels: Sequence[Label],
                   side: int,
                   dpi: int = 100,
                   K: Optional[np.ndarray] = None,
                   img_w: Optional[int] = None) -> np.ndarray:
    """Bird's-eye view: X (right) against Z (depth), the camera at the origin with its field
    of view (from ``K`` and the image width ``img_w``), each person's root and depth."""
    fig, canvas = new_figure(side, dpi)
    ax = fig.add_subplot(111)
    fs, lw, ms = panel_style(side)
    _top_view_limits(ax, people + gt_people)
    _draw_camera(ax, K, img_w, ms)

    def plot(p, color, style):
        for a, b in _limbs(p):
            ax.plot([p[a, 0], p[b, 0]], [p[a, 2], p[b, 2]], style, color=color,
                    linewidth=0.8 * lw)

    def mark(pid, color, root):
        ax.plot([root[0]], [root[2]], 'o', color=color, markersize=ms)
        ax.annotate(f'#{pid} {root[2]:.1f}m', (root[0], root[2]), textcoords='offset points',
                    xytext=(4, 4), color=color, fontsize=fs)

    _draw_people(plot, mark, people, gt_people, labels)
    ax.set_aspect('equal', adjustable='box')
    ax.set_xlabel('X (m)', fontsize=fs)
    ax.set_ylabel('Z, depth (m)', fontsize=fs)
    ax.tick_params(labelsize=fs - 1)
    ax.grid(True, linewidth=0.3)
    ax.set_title('top view' + ('' if people else ' (no people)'), fontsize=fs + 1)
    fig.tight_layout(pad=0.3)
    return render(canvas, side)


def concat_panels(panels: Sequence[np.ndarray]) -> np.ndarray:
    """Panels (H_i, W_i, 3) uint8 side by side, the shorter ones padded with white at the
    bottom to the tallest height."""
    out_h = max(p.shape[0] for p in panels)
    panels = [
        p if p.shape[0] == out_h else np.concatenate(
            [p, np.full((out_h - p.shape[0], ) + p.shape[1:], 255, np.uint8)], 0)
        for p in panels
    ]
    return np.concatenate(panels, axis=1)
