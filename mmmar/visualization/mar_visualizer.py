"""Visualiser of MAR predictions: 2D overlay + camera-space 3D view + bird's-eye view."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmengine.structures import InstanceData

from mmpose.registry import VISUALIZERS
from mmpose.structures import PoseDataSample
from mmpose.visualization import PoseLocalVisualizer

from mmmar.structures.skeleton import LIMBS, NUM_JOINTS, ROOT

__all__ = ['MARPose3DVisualizer', 'PERSON_COLORS', 'instances_to_numpy']

#: One colour per person (RGB 0-255, matplotlib's tab10), cycled.
PERSON_COLORS: Tuple[Tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
    (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
    (188, 189, 34), (23, 190, 207))

_GT_COLOR = (255, 255, 255)


def _np(x) -> Optional[np.ndarray]:
    if x is None:
        return None
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def instances_to_numpy(instances: Optional[InstanceData]) -> Dict[str, np.ndarray]:
    """The drawable fields of MAR ``pred_instances`` (or ``gt_instances``) as numpy.

    Returns a dict with ``kpts2d`` (N, K, 2) original-image px or None, ``kpts3d`` (N, K, 3)
    camera mm or None, ``scores`` (N, K) or None, ``bboxes`` (N, 4) or None, ``root_depth``
    (N,) or None, ``track_ids`` (N,) int or None (tracking: colour and label per track),
    ``n``.
    """
    out = dict(kpts2d=None, kpts3d=None, scores=None, bboxes=None,
               root_depth=None, track_ids=None, n=0)
    if instances is None:
        return out
    get = instances.get
    kpts = _np(get('keypoints'))
    kpts2d = _np(get('transformed_keypoints'))
    if kpts2d is None:
        kpts2d = _np(get('keypoints_2d'))
    kpts3d = _np(get('keypoints_3d'))
    if kpts3d is None:
        kpts3d = _np(get('keypoints_cam'))
    if kpts is not None and kpts.ndim == 3:
        if kpts.shape[-1] == 3 and kpts3d is None:
            kpts3d = kpts
        elif kpts.shape[-1] == 2 and kpts2d is None:
            kpts2d = kpts
    scores = _np(get('keypoint_scores'))
    if scores is None:
        scores = _np(get('keypoints_visible'))
    out.update(
        kpts2d=None if kpts2d is None else kpts2d.reshape(
            -1, kpts2d.shape[-2], 2).astype(np.float64),
        kpts3d=None if kpts3d is None else kpts3d.reshape(
            -1, kpts3d.shape[-2], 3).astype(np.float64),
        scores=None if scores is None else scores.astype(np.float64),
        bboxes=None if get('bboxes') is None else _np(get('bboxes')).reshape(
            -1, 4).astype(np.float64),
        root_depth=None if get('root_depth') is None else _np(
            get('root_depth')).reshape(-1).astype(np.float64),
        track_ids=None if get('track_ids') is None else _np(
            get('track_ids')).reshape(-1).astype(np.int64))
    for key in ('kpts2d', 'kpts3d', 'bboxes'):
        if out[key] is not None:
            out['n'] = max(out['n'], len(out[key]))
    return out


@VISUALIZERS.register_module()
class MARPose3DVisualizer(PoseLocalVisualizer):
    """MAR visualiser: the 2D overlay, a camera-space 3D view and a bird's-eye view.

    :meth:`add_datasample` returns (and saves / shows / sends to the backends) one RGB image
    ``[overlay | 3D | top view]``, one panel per view, of size ``max(H', P) x (W' + 2 * P)``,
    where ``H' x W'`` is the input image, upscaled (aspect kept) to a height of at least
    ``min_overlay_size``, and ``P = panel_size or max(H, min_panel_size)`` is the side of the
    two square panels (exactly ``H x (W + 2H)`` by default; ``H' x W'`` with
    ``draw_3d=False``). Fonts, lines and markers grow with the panel size, so
    ``min_panel_size=480, min_overlay_size=480`` (what ``make demo`` uses) turns a 256 x 256
    input into three readable 480 x 480 panels. Every person keeps one colour
    (:data:`PERSON_COLORS`) in all
    three panels, limbs are :data:`mmmar.structures.skeleton.LIMBS` and people are labelled
    ``#i`` (the index in ``pred_instances``; with a ``track_ids`` field, the track id, which
    also picks the colour, so a track keeps its colour across frames) with their root depth
    in metres:

    * overlay: 2D skeletons (``transformed_keypoints``, joints with score >= ``kpt_thr``),
      optional boxes;
    * 3D: camera space (X right, Z forward, Y down drawn upwards), metres, equal axes;
    * top view: X (right) against Z (depth, away from the camera), the camera at the origin
      with its field of view (from ``ori_cam_param``/``cam_param`` ``K`` in the metainfo when
      present), so one sees who stands in front of whom.

    Matplotlib is used through its Agg canvas only (no display, no pyplot state). It works in
    mmpose's ``PoseVisualizationHook`` / ``tools/test.py --show-dir`` and with
    ``MMPoseInferencer``/:class:`mmmar.apis.MARInferencer`.

    Args:
        panel_size (int, optional): Side of the 3D and top-view panels in pixels. Defaults to
            the image height (at least ``min_panel_size``).
        min_panel_size (int): Smallest panel side when ``panel_size`` is None. Defaults to 0
            (exactly the image height).
        min_overlay_size (int): Smallest height of the 2D overlay: a smaller image is
            upscaled (aspect kept) before the skeletons are drawn on it. Defaults to 0 (the
            image as it is).
        draw_3d (bool): Default of ``add_datasample(draw_3d=...)``. Defaults to True.
        dpi (int): Matplotlib resolution of the panels. Defaults to 100.
        Others: as :class:`mmpose.visualization.PoseLocalVisualizer` (``line_width`` and
            ``radius`` are used by the overlay).
    """

    def __init__(self,
                 name: str = 'visualizer',
                 image: Optional[np.ndarray] = None,
                 vis_backends: Optional[Dict] = None,
                 save_dir: Optional[str] = None,
                 bbox_color: Optional[Union[str, Tuple[int]]] = 'green',
                 kpt_color: Optional[Union[str, Tuple[Tuple[int]]]] = 'red',
                 link_color: Optional[Union[str, Tuple[Tuple[int]]]] = None,
                 text_color: Optional[Union[str, Tuple[int]]] = (255, 255,
                                                                  255),
                 skeleton: Optional[Union[List, Tuple]] = None,
                 line_width: Union[int, float] = 2,
                 radius: Union[int, float] = 3,
                 show_keypoint_weight: bool = False,
                 backend: str = 'opencv',
                 alpha: float = 1.0,
                 panel_size: Optional[int] = None,
                 min_panel_size: int = 0,
                 min_overlay_size: int = 0,
                 draw_3d: bool = True,
                 dpi: int = 100,
                 person_colors: Optional[Sequence[Tuple[int, int,
                                                        int]]] = None):
        super().__init__(
            name=name,
            image=image,
            vis_backends=vis_backends,
            save_dir=save_dir,
            bbox_color=bbox_color,
            kpt_color=kpt_color,
            link_color=link_color,
            text_color=text_color,
            skeleton=skeleton if skeleton is not None else
            [list(limb) for limb in LIMBS],
            line_width=line_width,
            radius=radius,
            show_keypoint_weight=show_keypoint_weight,
            backend=backend,
            alpha=alpha)
        self.panel_size = panel_size
        self.min_panel_size = int(min_panel_size)
        self.min_overlay_size = int(min_overlay_size)
        self.default_draw_3d = draw_3d
        self.dpi = int(dpi)
        self.person_colors = tuple(
            tuple(int(v) for v in c)
            for c in (person_colors or PERSON_COLORS))

    # ------------------------------------------------------------------
    def person_color(self, i: int) -> Tuple[int, int, int]:
        """RGB colour (0-255) of person ``i``."""
        return self.person_colors[i % len(self.person_colors)]

    def _person_id(self, data: Dict[str, np.ndarray], i: int) -> int:
        """The id that colours and labels person ``i``: its ``track_ids`` entry when the
        instances carry track ids (one colour per track across frames), else ``i``."""
        ids = data.get('track_ids')
        return int(ids[i]) if ids is not None and i < len(ids) else i

    def _panel_side(self, img_h: int) -> int:
        if self.panel_size is not None:
            return int(self.panel_size)
        return max(int(img_h), self.min_panel_size)

    # ------------------------------------------------------------------
    # 2D overlay
    def draw_overlay(self,
                     image: np.ndarray,
                     pred: Dict[str, np.ndarray],
                     kpt_thr: float = 0.3,
                     draw_bbox: bool = False,
                     show_kpt_idx: bool = False,
                     gt: Optional[Dict[str, np.ndarray]] = None
                     ) -> np.ndarray:
        """Draw skeletons (one colour per person) on a copy of the RGB ``image``."""
        img = np.ascontiguousarray(image.copy())
        h, w = img.shape[:2]
        grow = max(1., min(h, w) / 320.)  # thicker lines and markers on large images
        lw = max(1, int(round(self.line_width * grow)))
        r = max(1, int(round(self.radius * grow)))
        scale = max(0.35, min(h, w) / 600.)

        def draw_people(data, color_of, thr):
            kpts = data['kpts2d']
            if kpts is None:
                return
            scores = data['scores']
            for i, person in enumerate(kpts):
                color = color_of(i)
                ok = np.isfinite(person).all(-1)
                if scores is not None and thr is not None and i < len(scores):
                    ok &= scores[i] >= thr
                pts = np.round(np.nan_to_num(person)).astype(np.int64)
                pts = np.clip(pts, -10 * max(h, w), 10 * max(h, w))
                for a, b in LIMBS:
                    if a < len(pts) and b < len(pts) and ok[a] and ok[b]:
                        cv2.line(img, tuple(int(v) for v in pts[a]),
                                 tuple(int(v) for v in pts[b]), color, lw,
                                 cv2.LINE_AA)
                for k, p in enumerate(pts):
                    if ok[k]:
                        cv2.circle(img, (int(p[0]), int(p[1])), r, color, -1,
                                   cv2.LINE_AA)
                        if show_kpt_idx:
                            cv2.putText(img, str(k), (int(p[0]) + r,
                                                      int(p[1]) - r),
                                        cv2.FONT_HERSHEY_SIMPLEX, 0.8 * scale,
                                        color, 1, cv2.LINE_AA)

        if gt is not None:
            draw_people(gt, lambda i: _GT_COLOR, None)
        draw_people(pred, lambda i: self.person_color(self._person_id(pred, i)),
                    kpt_thr)

        bboxes = pred['bboxes']
        for i in range(pred['n']):
            color = self.person_color(self._person_id(pred, i))
            anchor = None
            if bboxes is not None and i < len(bboxes) and \
                    np.isfinite(bboxes[i]).all():
                x0, y0, x1, y1 = np.round(bboxes[i]).astype(int)
                if draw_bbox:
                    cv2.rectangle(img, (x0, y0), (x1, y1), color, lw)
                anchor = (x0, y0)
            elif pred['kpts2d'] is not None and i < len(pred['kpts2d']):
                finite = pred['kpts2d'][i][np.isfinite(
                    pred['kpts2d'][i]).all(-1)]
                if len(finite):
                    anchor = tuple(np.round(finite.min(0)).astype(int))
            if anchor is None:
                continue
            label = f'#{self._person_id(pred, i)}'
            depth = self._root_depth(pred, i)
            if depth is not None:
                label += f' {depth / 1000.:.1f}m'
            x, y = int(anchor[0]), max(int(anchor[1]) - 4, int(14 * scale))
            cv2.putText(img, label, (x, y), cv2.FONT_HERSHEY_SIMPLEX,
                        0.9 * scale, color, max(1, lw - 1), cv2.LINE_AA)
        return img

    @staticmethod
    def _root_depth(data: Dict[str, np.ndarray], i: int) -> Optional[float]:
        if data['root_depth'] is not None and i < len(data['root_depth']) \
                and np.isfinite(data['root_depth'][i]):
            return float(data['root_depth'][i])
        if data['kpts3d'] is not None and i < len(data['kpts3d']):
            z = data['kpts3d'][i, ROOT if data['kpts3d'].shape[1] > ROOT
                               else 0, 2]
            if np.isfinite(z):
                return float(z)
        return None

    # ------------------------------------------------------------------
    # 3D and top view (matplotlib Agg)
    @staticmethod
    def _new_figure(side: int, dpi: int):
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        fig = Figure(figsize=(side / dpi, side / dpi), dpi=dpi)
        canvas = FigureCanvasAgg(fig)
        return fig, canvas

    @staticmethod
    def _render(fig, canvas, side: int) -> np.ndarray:
        canvas.draw()
        buf = np.asarray(canvas.buffer_rgba())[..., :3].copy()
        if buf.shape[:2] != (side, side):
            buf = cv2.resize(buf, (side, side), interpolation=cv2.INTER_AREA)
        return buf

    @staticmethod
    def _bounds(people: List[np.ndarray]) -> Tuple[np.ndarray, float]:
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

    @staticmethod
    def _panel_style(side: int) -> Tuple[float, float, float]:
        """Font size (pt), line width and marker size of a ``side`` px matplotlib panel:
        those of a 360 px panel (9 pt, 1.5, 5) scaled with the side."""
        k = side / 360.
        return max(5., min(16., 9. * k)), max(1., 1.5 * k), max(3., 5. * k)

    def _people_3d(self, data: Optional[Dict[str, np.ndarray]]
                   ) -> List[np.ndarray]:
        if data is None or data['kpts3d'] is None:
            return []
        return [p for p in data['kpts3d']]

    def draw_3d_view(self,
                     pred: Dict[str, np.ndarray],
                     side: int,
                     gt: Optional[Dict[str, np.ndarray]] = None,
                     elev: float = 15.,
                     azim: float = -75.) -> np.ndarray:
        """Camera-space 3D view of everyone, (side, side, 3) RGB uint8."""
        import mpl_toolkits.mplot3d  # noqa: F401  (registers '3d')
        fig, canvas = self._new_figure(side, self.dpi)
        ax = fig.add_subplot(111, projection='3d')
        people = self._people_3d(pred)
        gt_people = self._people_3d(gt)
        centre, half = self._bounds(people + gt_people)
        fs, lw, _ = self._panel_style(side)

        def plot(person, color, style):
            # plot axes: x = X (right), y = Z (forward), z = -Y (up), metres
            p = person / 1000.
            for a, b in LIMBS:
                if a < len(p) and b < len(p) and np.isfinite(p[[a, b]]).all():
                    ax.plot([p[a, 0], p[b, 0]], [p[a, 2], p[b, 2]],
                            [-p[a, 1], -p[b, 1]], style, color=color,
                            linewidth=lw)

        for person in gt_people:
            plot(person, (0.5, 0.5, 0.5), '--')
        for i, person in enumerate(people):
            pid = self._person_id(pred, i)
            color = np.array(self.person_color(pid)) / 255.
            plot(person, color, '-')
            root = person[ROOT if len(person) > ROOT else 0] / 1000.
            if np.isfinite(root).all():
                ax.text(root[0], root[2], -root[1], f'#{pid}', color=color,
                        fontsize=fs)
        c, h = centre / 1000., half / 1000.
        ax.set_xlim(c[0] - h, c[0] + h)
        ax.set_ylim(c[2] - h, c[2] + h)
        ax.set_zlim(-c[1] - h, -c[1] + h)
        from matplotlib.ticker import MaxNLocator
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
        ax.view_init(elev=elev, azim=azim)
        title = 'camera space 3D'
        if not people:
            title += ' (no people)'
        ax.set_title(title, fontsize=fs + 1)
        fig.subplots_adjust(left=0, right=1, bottom=0, top=0.95)
        return self._render(fig, canvas, side)

    def draw_top_view(self,
                      pred: Dict[str, np.ndarray],
                      side: int,
                      gt: Optional[Dict[str, np.ndarray]] = None,
                      K: Optional[np.ndarray] = None,
                      img_w: Optional[int] = None) -> np.ndarray:
        """Bird's-eye view (X right, Z away from the camera), (side, side, 3) RGB uint8."""
        fig, canvas = self._new_figure(side, self.dpi)
        ax = fig.add_subplot(111)
        people = self._people_3d(pred)
        gt_people = self._people_3d(gt)
        fs, lw, ms = self._panel_style(side)
        finite = [p[np.isfinite(p).all(-1)] for p in people + gt_people]
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
        # camera and its horizontal field of view
        ax.plot([0], [0], marker='^', color='k', markersize=ms + 1)
        if K is not None and img_w:
            K = np.asarray(K, np.float64)
            if K.shape == (3, 3) and K[0, 0] > 0:
                zf = ax.get_ylim()[1]
                for u in (0., img_w - 1.):
                    x = (u - K[0, 2]) / K[0, 0] * zf
                    ax.plot([0, x], [0, zf], ':', color='0.6', linewidth=1)

        def plot(person, color, style):
            p = person / 1000.
            for a, b in LIMBS:
                if a < len(p) and b < len(p) and np.isfinite(p[[a, b]]).all():
                    ax.plot([p[a, 0], p[b, 0]], [p[a, 2], p[b, 2]], style,
                            color=color, linewidth=0.8 * lw)

        for person in gt_people:
            plot(person, (0.5, 0.5, 0.5), '--')
        for i, person in enumerate(people):
            pid = self._person_id(pred, i)
            color = np.array(self.person_color(pid)) / 255.
            plot(person, color, '-')
            root = person[ROOT if len(person) > ROOT else 0] / 1000.
            if np.isfinite(root).all():
                ax.plot([root[0]], [root[2]], 'o', color=color, markersize=ms)
                ax.annotate(f'#{pid} {root[2]:.1f}m', (root[0], root[2]),
                            textcoords='offset points', xytext=(4, 4),
                            color=color, fontsize=fs)
        ax.set_aspect('equal', adjustable='box')
        ax.set_xlabel('X (m)', fontsize=fs)
        ax.set_ylabel('Z, depth (m)', fontsize=fs)
        ax.tick_params(labelsize=fs - 1)
        ax.grid(True, linewidth=0.3)
        ax.set_title('top view' + ('' if people else ' (no people)'),
                     fontsize=fs + 1)
        fig.tight_layout(pad=0.3)
        return self._render(fig, canvas, side)

    # ------------------------------------------------------------------
    def _upscale_overlay(self, image: np.ndarray, pred: Dict[str, np.ndarray],
                         gt: Optional[Dict[str, np.ndarray]]):
        """The image upscaled to a height of ``min_overlay_size`` (aspect kept) and copies of
        ``pred``/``gt`` with their 2D keypoints and boxes in the upscaled pixels (pixel
        centres map to pixel centres: ``u' = (u + 0.5) * s - 0.5``); unchanged when the image
        is tall enough."""
        h, w = image.shape[:2]
        if self.min_overlay_size <= h:
            return image, pred, gt
        s = self.min_overlay_size / float(h)
        size = (max(int(round(w * s)), 1), self.min_overlay_size)
        image = cv2.resize(image, size, interpolation=cv2.INTER_LINEAR)

        def scaled(data):
            if data is None:
                return None
            data = dict(data)
            for key in ('kpts2d', 'bboxes'):
                if data[key] is not None:
                    data[key] = (data[key] + 0.5) * s - 0.5
            return data

        return image, scaled(pred), scaled(gt)

    @staticmethod
    def _intrinsics_of(data_sample: PoseDataSample) -> Optional[np.ndarray]:
        meta = data_sample.metainfo if data_sample is not None else {}
        for key in ('intrinsics', 'ori_cam_param'):
            cp = meta.get(key)
            if isinstance(cp, dict) and cp.get('K') is not None:
                return np.asarray(cp['K'], np.float64)
        if 'input_affine' not in meta:  # cam_param is the original image's
            cp = meta.get('cam_param')
            if isinstance(cp, dict) and cp.get('K') is not None:
                return np.asarray(cp['K'], np.float64)
        return None

    def add_datasample(self,
                       name: str,
                       image: np.ndarray,
                       data_sample: PoseDataSample,
                       draw_gt: bool = True,
                       draw_pred: bool = True,
                       draw_heatmap: bool = False,
                       draw_bbox: bool = False,
                       show_kpt_idx: bool = False,
                       skeleton_style: str = 'mmpose',
                       show: bool = False,
                       wait_time: float = 0,
                       out_file: Optional[str] = None,
                       kpt_thr: float = 0.3,
                       step: int = 0,
                       draw_3d: Optional[bool] = None) -> np.ndarray:
        """Draw one sample: ``[2D overlay | 3D view | top view]``.

        Args:
            name (str): Image identifier (window name / backend key).
            image (np.ndarray): The RGB image (H, W, 3) (grayscale accepted).
            data_sample (PoseDataSample): With ``pred_instances`` as in design.md
                ("Predictions"); ``gt_instances`` with ``keypoints`` (2D) and/or
                ``keypoints_cam`` (3D) are drawn in grey when ``draw_gt``.
            draw_gt (bool): Draw ground truth when present. Defaults to True.
            draw_pred (bool): Draw predictions. Defaults to True.
            draw_heatmap (bool): Ignored (accepted for mmpose's hooks).
            draw_bbox (bool): Draw person boxes on the overlay. Defaults to False.
            show_kpt_idx (bool): Write joint indices on the overlay.
            skeleton_style (str): Ignored (MAR's skeleton is always used).
            show (bool): Show in a window (needs a display). Defaults to False.
            wait_time (float): Seconds to wait when showing.
            out_file (str, optional): Save the image there instead of to the backends.
            kpt_thr (float): Joints below this score are not drawn in 2D.
            step (int): Global step for the backends.
            draw_3d (bool, optional): Add the 3D and top-view panels; None uses the
                constructor's ``draw_3d``.

        Returns:
            np.ndarray: The drawn RGB image, (max(H', P), W' + 2 * P, 3) uint8 (panels padded
            with white at the bottom), or (H', W', 3) without the 3D panels; ``H' x W'`` is
            the image upscaled to ``min_overlay_size`` (the image itself by default).
        """
        if image.ndim == 2:
            image = np.stack([image] * 3, -1)
        image = image[..., :3]
        if image.dtype != np.uint8:
            image = np.clip(image, 0, 255).astype(np.uint8)
        h, w = image.shape[:2]
        draw_3d = self.default_draw_3d if draw_3d is None else draw_3d

        pred = instances_to_numpy(
            data_sample.get('pred_instances') if draw_pred else None)
        gt = None
        if draw_gt and 'gt_instances' in data_sample:
            gt = instances_to_numpy(data_sample.gt_instances)
            # ground truth 'keypoints' are 2D; 'keypoints_cam' 3D
            if gt['n'] == 0:
                gt = None

        image, pred_2d, gt_2d = self._upscale_overlay(image, pred, gt)
        panels = [
            self.draw_overlay(image, pred_2d, kpt_thr=kpt_thr,
                              draw_bbox=draw_bbox, show_kpt_idx=show_kpt_idx,
                              gt=gt_2d)
        ]
        if draw_3d:
            side = self._panel_side(h)
            K = self._intrinsics_of(data_sample)
            view3d = self.draw_3d_view(pred, side, gt=gt)
            top = self.draw_top_view(pred, side, gt=gt, K=K, img_w=w)
            panels += [view3d, top]
        out_h = max(p.shape[0] for p in panels)
        panels = [
            p if p.shape[0] == out_h else np.concatenate(
                [p, np.full((out_h - p.shape[0], ) + p.shape[1:], 255,
                            np.uint8)], 0) for p in panels
        ]
        drawn_img = np.concatenate(panels, axis=1)

        self.set_image(drawn_img)
        if show:
            self.show(drawn_img, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn_img[..., ::-1], out_file)
        else:
            self.add_image(name, drawn_img, step)
        return self.get_image()
