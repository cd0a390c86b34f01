"""The matplotlib panels of the MAR visualiser (mmmar.visualization.panels)."""
import numpy as np

from mmmar.testing import TEMPLATE
from mmmar.visualization.panels import (concat_panels, draw_3d_panel, draw_top_panel, panel_style,
                                        view_cube)


def test_view_cube_and_style():
    centre, half = view_cube([])
    assert centre.tolist() == [0., 0., 4000.] and half == 2500.
    person = TEMPLATE * [1, 1, 0] + [0, 0, 3000]  # a flat person (z extent 0)
    nan = np.full_like(person, np.nan)
    centre, half = view_cube([person, nan])
    assert centre[2] == 3000. and half == 1000.  # at least a metre
    assert panel_style(360) == (9., 1.5, 5.)


def test_panels_and_concat():
    people = [TEMPLATE + [-500, 0, 3000], TEMPLATE + [500, 0, 5000]]
    labels = [(0, (1., 0., 0.)), (7, (0., 0., 1.))]
    K = np.array([[50., 0, 31.5], [0, 50., 23.5], [0, 0, 1]])
    top = draw_top_panel(people, [], labels, 120, K=K, img_w=64)
    view = draw_3d_panel(people, [TEMPLATE + [0, 0, 4000]], labels, 120)
    empty = draw_top_panel([], [], [], 96)
    for img, side in ((top, 120), (view, 120), (empty, 96)):
        assert img.shape == (side, side, 3) and img.dtype == np.uint8
    assert (top != 255).any(axis=-1).mean() > 0.01  # something was drawn
    out = concat_panels([np.zeros((48, 64, 3), np.uint8), top, empty])
    assert out.shape == (120, 64 + 120 + 96, 3)
    assert (out[48:, :64] == 255).all() and (out[:48, :64] == 0).all()
