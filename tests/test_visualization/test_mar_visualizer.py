"""MARPose3DVisualizer on hand-made predictions (0, 1, 3 people)."""
import os.path as osp
import uuid

import mmcv
import numpy as np
import pytest
import torch
from mmpose.registry import VISUALIZERS

import mmmar.visualization  # noqa: F401  (registers MARPose3DVisualizer)
from mmmar.testing import make_data_sample
from mmmar.visualization import PERSON_COLORS, MARPose3DVisualizer

W, H = 320, 240


def _vis(**kwargs):
    return VISUALIZERS.build(
        dict(type='MARPose3DVisualizer', name=f'v-{uuid.uuid4().hex}',
             **kwargs))


def _near(img, color, tol=40):
    return (np.abs(img.astype(int) - np.array(color)) <= tol).all(-1)


def test_registered_subclass():
    vis = _vis()
    assert isinstance(vis, MARPose3DVisualizer)
    from mmpose.visualization import PoseLocalVisualizer
    assert isinstance(vis, PoseLocalVisualizer)


@pytest.mark.parametrize('n', [0, 1, 3])
def test_add_datasample_sizes_and_people(n, tmp_path):
    ds, K = make_data_sample(n, W, H)
    vis = _vis()
    image = np.zeros((H, W, 3), np.uint8)
    out_file = str(tmp_path / f'vis_{n}.jpg')
    drawn = vis.add_datasample(
        'img', image, ds, draw_gt=False, draw_bbox=True, draw_heatmap=True,
        show=False, wait_time=0, kpt_thr=0.3, out_file=out_file, step=0)
    assert drawn.shape == (H, W + 2 * H, 3) and drawn.dtype == np.uint8
    assert osp.isfile(out_file)
    assert mmcv.imread(out_file).shape == (H, W + 2 * H, 3)

    overlay, view3d, top = drawn[:, :W], drawn[:, W:W + H], drawn[:, W + H:]
    # the 3D panels are drawn (axes, labels) even without people
    assert (view3d < 250).any() and (top < 250).any()
    if n == 0:
        assert not overlay.any()
        for c in PERSON_COLORS[:3]:
            assert not _near(view3d, c, 20).any()
            assert not _near(top, c, 20).any()
        return
    inst = ds.pred_instances
    for i in range(n):
        color = PERSON_COLORS[i]
        x0, y0, x1, y1 = np.round(inst.bboxes[i]).astype(int)
        x0, y0 = max(x0, 0), max(y0, 0)
        region = overlay[y0:y1 + 1, x0:x1 + 1]
        assert _near(region, color, 10).sum() > 20, f'person {i} not drawn'
        assert _near(view3d, color).sum() > 5, f'person {i} missing in 3D'
        assert _near(top, color).sum() > 5, f'person {i} missing in top view'
    if n == 3:
        # person 0 is nearest: lower in the top view (depth grows upwards)
        rows = [np.nonzero(_near(top, PERSON_COLORS[i]))[0].mean()
                for i in range(3)]
        assert rows[0] > rows[1] > rows[2]
        # outside every box (and the labels above them) the overlay stays black
        assert not overlay[-5:, :5].any()


def test_tensor_fields_panel_size_and_no_3d():
    ds, _ = make_data_sample(2, W, H)
    for key in ('keypoints', 'keypoints_3d', 'keypoint_scores'):
        ds.pred_instances.set_field(
            torch.as_tensor(ds.pred_instances.get(key)), key)
    vis = _vis(panel_size=160)
    img = np.zeros((H, W, 3), np.uint8)
    drawn = vis.add_datasample('a', img, ds, draw_gt=False)
    assert drawn.shape == (H, W + 2 * 160, 3)
    drawn = vis.add_datasample('a', img, ds, draw_gt=False, draw_3d=False)
    assert drawn.shape == (H, W, 3)
    # grayscale input
    drawn = vis.add_datasample('a', img[..., 0], ds, draw_gt=False)
    assert drawn.shape == (H, W + 2 * 160, 3)
    # a panel taller than the image pads the overlay
    vis = _vis(panel_size=300)
    assert vis.add_datasample('a', img, ds).shape == (300, W + 600, 3)


def test_gt_and_low_scores():
    ds, K = make_data_sample(1, W, H)
    ds.pred_instances.keypoint_scores[:] = 0.1  # below kpt_thr: not drawn in 2D
    from mmengine.structures import InstanceData
    gt = InstanceData()
    gt.keypoints = ds.pred_instances.keypoints.copy() + 3
    gt.keypoints_cam = ds.pred_instances.keypoints_3d.copy() + 100
    ds.gt_instances = gt
    vis = _vis()
    img = np.zeros((H, W, 3), np.uint8)
    drawn = vis.add_datasample('a', img, ds, draw_gt=True, kpt_thr=0.3)
    overlay = drawn[:, :W]
    x0, y0, x1, y1 = np.round(ds.pred_instances.bboxes[0]).astype(int)
    inside = overlay[max(y0, 0) + 2:y1 + 1, max(x0, 0):x1 + 1]
    assert _near(inside, PERSON_COLORS[0], 10).sum() == 0  # joints hidden
    assert _near(inside, (255, 255, 255), 10).sum() > 20  # GT in white


def test_readable_panels_upscale_a_small_image(tmp_path):
    # a 256 x 256 input (the demo's size): three 480 x 480 panels, one per view
    w = h = 256
    ds, K = make_data_sample(2, w, h)
    img = np.zeros((h, w, 3), np.uint8)
    small = _vis().add_datasample('a', img, ds, draw_gt=False)
    assert small.shape == (h, w + 2 * h, 3)
    vis = _vis(min_panel_size=480, min_overlay_size=480)
    out_file = str(tmp_path / 'demo.jpg')
    drawn = vis.add_datasample('a', img, ds, draw_gt=False, out_file=out_file)
    assert drawn.shape == (480, 3 * 480, 3)
    assert mmcv.imread(out_file).shape == (480, 1440, 3)
    overlay, view3d, top = drawn[:, :480], drawn[:, 480:960], drawn[:, 960:]
    s = 480 / 256
    for i in range(2):
        color = PERSON_COLORS[i]
        # every joint lands where the 256 px joint lands after the upscale
        for u, v in ds.pred_instances.keypoints[i]:
            x, y = int(round((u + 0.5) * s - 0.5)), int(round((v + 0.5) * s - 0.5))
            if 0 <= x < 480 and 0 <= y < 480:
                assert _near(overlay[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2],
                             color, 10).any(), (i, u, v)
        # thicker lines and markers: lines of the old width would only grow with their
        # length (x 1.875 pixels); here about x 3
        assert _near(overlay, color, 10).sum() > 2.5 * _near(small[:, :w], color, 10).sum()
        assert _near(view3d, color).sum() > 5 and _near(top, color).sum() > 5
    # an image taller than min_overlay_size is left as it is
    tall = np.zeros((600, 400, 3), np.uint8)
    ds2, _ = make_data_sample(1, 400, 600)
    assert vis.add_datasample('b', tall, ds2, draw_gt=False).shape == (600, 400 + 1200, 3)
