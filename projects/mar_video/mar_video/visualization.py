"""Drawing tracked people: one colour per track in the 2D overlay, the 3D view and the
bird's-eye view (the core :class:`~mmmar.visualization.MARPose3DVisualizer`, which colours
and labels people by their ``track_ids``), with a fixed view volume for a whole video."""
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

from mmmar.structures.skeleton import NUM_JOINTS
from mmmar.visualization import MARPose3DVisualizer
from mmmar.visualization.panels import concat_panels
from .registry import VISUALIZERS

__all__ = ['MARVideoVisualizer', 'view_bounds', 'write_gif']


@VISUALIZERS.register_module()
class MARVideoVisualizer(MARPose3DVisualizer):
    """:class:`MARPose3DVisualizer` for tracked video: :meth:`draw_frame` draws one frame's
    tracks; ``view_bounds`` (camera-space corners, mm) keeps the 3D and top views still
    from frame to frame (they are passed as two joint-less "people" that only widen the
    axes)."""

    def draw_frame(self,
                   image: np.ndarray,
                   people: Sequence[dict],
                   K: Optional[np.ndarray] = None,
                   view_bounds: Optional[Tuple[np.ndarray, np.ndarray]] = None,
                   kpt_thr: float = 0.3,
                   text: Optional[str] = None) -> np.ndarray:
        """``[overlay | 3D | top view]`` RGB image of one frame.

        Args:
            image (np.ndarray): The frame, BGR uint8 (H, W, 3).
            people (list[dict]): Confirmed tracks of the frame: ``track_id``,
                ``keypoints_3d_smoothed`` (17, 3) mm, ``keypoints_smoothed`` (17, 2) px,
                ``keypoint_scores`` (17,), ``root_depth_smoothed``.
            K (np.ndarray, optional): Intrinsics, for the field of view in the top view.
            view_bounds (tuple, optional): ``(lo, hi)`` camera-space corners (mm).
            kpt_thr (float): 2D joints below this score are not drawn.
            text (str, optional): Written at the top left of the overlay (e.g. FPS).

        Returns:
            np.ndarray: RGB uint8 ``(max(H, P), W + 2P, 3)``.
        """
        rgb = np.ascontiguousarray(image[..., ::-1])
        h, w = rgb.shape[:2]
        n = len(people)
        pred = dict(
            kpts2d=np.array([p['keypoints_smoothed'] for p in people],
                            np.float64).reshape(n, NUM_JOINTS, 2),
            kpts3d=np.array([p['keypoints_3d_smoothed'] for p in people],
                            np.float64).reshape(n, NUM_JOINTS, 3),
            scores=np.array([p['keypoint_scores'] for p in people],
                            np.float64).reshape(n, NUM_JOINTS),
            bboxes=None,
            root_depth=np.array([p['root_depth_smoothed'] for p in people],
                                np.float64),
            track_ids=np.array([p['track_id'] for p in people], np.int64),
            n=n)
        anchors = None
        if view_bounds is not None:
            pts = np.full((2, NUM_JOINTS, 3), np.nan)
            pts[0, 0], pts[1, 0] = view_bounds
            anchors = dict(kpts3d=pts)
        overlay = self.draw_overlay(rgb, pred, kpt_thr=kpt_thr)
        if text:
            cv2.putText(overlay, text, (8, 22), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                        (255, 255, 255), 2, cv2.LINE_AA)
        side = self._panel_side(h)
        panels = [
            overlay,
            self.draw_3d_view(pred, side, gt=anchors),
            self.draw_top_view(pred, side, gt=anchors, K=K, img_w=w)
        ]
        return concat_panels(panels)


def view_bounds(poses: np.ndarray, margin: float = 300.0
                ) -> Tuple[np.ndarray, np.ndarray]:
    """Corners (mm) of the box holding every finite joint of ``poses`` (..., 3)."""
    pts = np.asarray(poses, np.float64).reshape(-1, 3)
    pts = pts[np.isfinite(pts).all(-1)]
    if not len(pts):
        return np.array([-2000., -1500., 1000.]), np.array([2000., 1500., 8000.])
    return pts.min(0) - margin, pts.max(0) + margin


def write_gif(frames: List[np.ndarray], path: str, fps: float,
              width: Optional[int] = None, colors: int = 128) -> str:
    """Write RGB frames as a looping GIF (Pillow), resized to ``width`` pixels."""
    from PIL import Image
    if not frames:
        raise ValueError(f'{path}: no frames to write')
    images = []
    for f in frames:
        if width is not None and f.shape[1] != width:
            h = int(round(f.shape[0] * width / f.shape[1]))
            f = cv2.resize(f, (width, h), interpolation=cv2.INTER_AREA)
        images.append(Image.fromarray(f).quantize(colors=colors, method=2))
    images[0].save(path, save_all=True, append_images=images[1:],
                   duration=int(round(1000 / fps)), loop=0, optimize=True)
    return path
