"""Visualiser of MAR predictions: 2D overlay + camera-space 3D view + bird's-eye view."""
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import cv2
import mmcv
import numpy as np
from mmengine.structures import InstanceData
from mmpose.registry import VISUALIZERS
from mmpose.structures import PoseDataSample
from mmpose.visualization import PoseLocalVisualizer

from mmmar.structures.instances import first_field, instance_keypoints
from mmmar.structures.skeleton import LIMBS, ROOT
from mmmar.structures.utils import to_numpy
from .panels import concat_panels, draw_3d_panel, draw_top_panel

__all__ = ['MARPose3DVisualizer', 'PERSON_COLORS', 'instances_to_numpy']

#: One colour per person (RGB 0-255, matplotlib's tab10), cycled.
PERSON_COLORS: Tuple[Tuple[int, int, int], ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40),
    (148, 103, 189), (140, 86, 75), (227, 119, 194), (127, 127, 127),
    (188, 189, 34), (23, 190, 207))

_GT_COLOR = (255, 255, 255)


def instances_to_numpy(instances: Optional[InstanceData]) -> Dict[str, np.ndarray]:
    """The drawable fields of MAR ``pred_instances`` (or ``gt_instances``) as numpy.

    Returns a dict with ``kpts2d`` (N, K, 2) original-image px or None, ``kpts3d`` (N, K, 3)
    camera mm or None (``keypoints_3d``, else ground truth's ``keypoints_cam``; see
    :func:`mmmar.structures.instances.instance_keypoints`), ``scores`` (N, K) or None,
    ``bboxes`` (N, 4) or None, ``root_depth`` (N,) or None, ``track_ids`` (N,) int or None
    (tracking: colour and label per track), ``n``.
    """
    out = dict(kpts2d=None, kpts3d=None, scores=None, bboxes=None,
               root_depth=None, track_ids=None, n=0)
    if instances is None:
        return out
    kpts2d, kpts3d = instance_keypoints(instances, keys_3d=('keypoints_3d', 'keypoints_cam'))
    scores = first_field(instances, ('keypoint_scores', 'keypoints_visible'))

    def field(key, shape, dtype=np.float64):
        value = to_numpy(instances.get(key))
        return None if value is None else value.reshape(shape).astype(dtype)

    out.update(
        kpts2d=None if kpts2d is None else kpts2d.reshape(
            -1, kpts2d.shape[-2], 2).astype(np.float64),
        kpts3d=None if kpts3d is None else kpts3d.reshape(
            -1, kpts3d.shape[-2], 3).astype(np.float64),
        scores=None if scores is None else scores.astype(np.float64),
        bboxes=field('bboxes', (-1, 4)),
        root_depth=field('root_depth', -1),
        track_ids=field('track_ids', -1, np.int64))
    for key in ('kpts2d', 'kpts3d', 'bboxes'):
        if out[key] is not None:
            out['n'] = max(out['n'], len(out[key]))
    return out


def _draw_skeletons(img: np.ndarray, data: Dict[str, np.ndarray], color_of: Callable,
                    thr: Optional[float], lw: int, r: int, font_scale: float,
                    show_kpt_idx: bool = False) -> None:
    """Draw the 2D skeletons of ``data`` on ``img`` in place: person ``i`` in ``color_of(i)``,
    joints that are finite and (with ``thr``) scored >= ``thr``, limbs between two such."""
    kpts = data['kpts2d']
    if kpts is None:
        return
    h, w = img.shape[:2]
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
                         tuple(int(v) for v in pts[b]), color, lw, cv2.LINE_AA)
        for k, p in enumerate(pts):
            if ok[k]:
                cv2.circle(img, (int(p[0]), int(p[1])), r, color, -1, cv2.LINE_AA)
                if show_kpt_idx:
                    cv2.putText(img, str(k), (int(p[0]) + r, int(p[1]) - r),
                                cv2.FONT_HERSHEY_SIMPLEX, font_scale, color, 1,
                                cv2.LINE_AA)


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

    * overlay: 2D skeletons (``keypoints``, joints with score >= ``kpt_thr``),
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
                 text_color: Optional[Union[str, Tuple[int]]] = (255, 255, 255),
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
                 person_colors: Optional[Sequence[Tuple[int, int, int]]] = None):
        super().__init__(
            name=name, image=image, vis_backends=vis_backends, save_dir=save_dir,
            bbox_color=bbox_color, kpt_color=kpt_color, link_color=link_color,
            text_color=text_color,
            skeleton=skeleton if skeleton is not None else [list(limb) for limb in LIMBS],
            line_width=line_width, radius=radius, show_keypoint_weight=show_keypoint_weight,
            backend=backend, alpha=alpha)
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
        draw = partial(_draw_skeletons, img, lw=lw, r=r, font_scale=0.8 * scale,
                       show_kpt_idx=show_kpt_idx)
        if gt is not None:
            draw(gt, lambda i: _GT_COLOR, None)
        draw(pred, lambda i: self.person_color(self._person_id(pred, i)), kpt_thr)
        self._draw_labels(img, pred, draw_bbox, lw, scale)
        return img

    def _draw_labels(self, img: np.ndarray, pred: Dict[str, np.ndarray], draw_bbox: bool,
                     lw: int, scale: float) -> None:
        """Per person: its box (with ``draw_bbox``) and ``#id depth`` at the box's (else the
        2D joints') top-left corner."""
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
    # 3D and top view (matplotlib Agg, :mod:`mmmar.visualization.panels`)
    def _people_3d(self, data: Optional[Dict[str, np.ndarray]]
                   ) -> List[np.ndarray]:
        if data is None or data['kpts3d'] is None:
            return []
        return [p for p in data['kpts3d']]

    def _labels(self, pred: Dict[str, np.ndarray], n: int) -> List[Tuple[int, tuple]]:
        """``(id, RGB colour in [0, 1])`` of the first ``n`` predicted people."""
        ids = [self._person_id(pred, i) for i in range(n)]
        return [(pid, tuple(np.array(self.person_color(pid)) / 255.)) for pid in ids]

    def draw_3d_view(self,
                     pred: Dict[str, np.ndarray],
                     side: int,
                     gt: Optional[Dict[str, np.ndarray]] = None,
                     elev: float = 15.,
                     azim: float = -75.) -> np.ndarray:
        """Camera-space 3D view of everyone, (side, side, 3) RGB uint8
        (:func:`~mmmar.visualization.panels.draw_3d_panel`)."""
        people = self._people_3d(pred)
        return draw_3d_panel(people, self._people_3d(gt), self._labels(pred, len(people)),
                             side, self.dpi, elev=elev, azim=azim)

    def draw_top_view(self,
                      pred: Dict[str, np.ndarray],
                      side: int,
                      gt: Optional[Dict[str, np.ndarray]] = None,
                      K: Optional[np.ndarray] = None,
                      img_w: Optional[int] = None) -> np.ndarray:
        """Bird's-eye view (X right, Z away from the camera), (side, side, 3) RGB uint8
        (:func:`~mmmar.visualization.panels.draw_top_panel`)."""
        people = self._people_3d(pred)
        return draw_top_panel(people, self._people_3d(gt), self._labels(pred, len(people)),
                              side, self.dpi, K=K, img_w=img_w)

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
                ("Names along the inference path"); ``gt_instances`` with ``keypoints`` (2D) and/or
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
        image = self._as_rgb_uint8(image)
        h, w = image.shape[:2]
        draw_3d = self.default_draw_3d if draw_3d is None else draw_3d
        pred, gt = self._instances_of(data_sample, draw_pred, draw_gt)
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
        drawn_img = concat_panels(panels)

        self.set_image(drawn_img)
        if show:
            self.show(drawn_img, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn_img[..., ::-1], out_file)
        else:
            self.add_image(name, drawn_img, step)
        return self.get_image()

    @staticmethod
    def _as_rgb_uint8(image: np.ndarray) -> np.ndarray:
        """A grey or RGB(A) image as (H, W, 3) uint8 (clipped to [0, 255])."""
        if image.ndim == 2:
            image = np.stack([image] * 3, -1)
        image = image[..., :3]
        if image.dtype != np.uint8:
            image = np.clip(image, 0, 255).astype(np.uint8)
        return image

    @staticmethod
    def _instances_of(data_sample: PoseDataSample, draw_pred: bool, draw_gt: bool
                      ) -> Tuple[Dict[str, np.ndarray], Optional[Dict[str, np.ndarray]]]:
        """``(pred, gt)`` drawable fields (:func:`instances_to_numpy`); ``gt`` None when not
        drawn or without people."""
        pred = instances_to_numpy(
            data_sample.get('pred_instances') if draw_pred else None)
        gt = None
        if draw_gt and 'gt_instances' in data_sample:
            gt = instances_to_numpy(data_sample.gt_instances)
            # ground truth 'keypoints' are 2D; 'keypoints_cam' 3D
            if gt['n'] == 0:
                gt = None
        return pred, gt
