"""``mmmar.structures.utils``: ``to_numpy`` (tensors / arrays / None as numpy) and
``instance_data``."""
import numpy as np
import pytest
import torch

from mmmar.structures.utils import to_numpy


def test_none_kept_and_array_likes():
    assert to_numpy(None) is None
    a = np.arange(6, dtype=np.float64).reshape(2, 3)
    assert to_numpy(a) is a  # an array is returned as is (np.asarray)
    out = to_numpy([[1, 2], [3, 4]])
    assert isinstance(out, np.ndarray) and out.shape == (2, 2)
    np.testing.assert_array_equal(out, [[1, 2], [3, 4]])
    assert to_numpy(2.5) == np.asarray(2.5)


def test_tensors():
    t = torch.tensor([[1.5, -2.], [0.25, 3.]], requires_grad=True)
    out = to_numpy(t)  # grad tensors are detached
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1.5, -2.], [0.25, 3.]])
    i = torch.tensor([1, 2, 3])
    assert to_numpy(i).dtype == np.int64
    assert to_numpy(i, float32=True).dtype == np.int64  # integers are not cast


def test_half_and_bfloat16():
    vals = [0.5, -1.25, 1024.]  # exact in float16 and bfloat16
    h = torch.tensor(vals, dtype=torch.float16)
    assert to_numpy(h).dtype == np.float16
    out = to_numpy(h, float32=True)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, vals)
    b = torch.tensor(vals, dtype=torch.bfloat16)
    for float32 in (False, True):  # numpy cannot hold bfloat16: always float32
        out = to_numpy(b, float32=float32)
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, vals)
    d = torch.tensor(vals, dtype=torch.float64)
    assert to_numpy(d).dtype == np.float64
    assert to_numpy(d, float32=True).dtype == np.float32


def test_instance_data_equals_mmengine_construction():
    """``instance_data`` gives what ``InstanceData(**fields)`` gives, and names the fields
    whose length differs instead of building a broken object."""
    from mmengine.structures import InstanceData

    from mmmar.structures.utils import instance_data
    rng = np.random.default_rng(0)
    fields = dict(keypoints=rng.random((3, 17, 3)), scores=rng.random(3),
                  reason=np.array(['', 'x', '']))
    got, want = instance_data(**fields), InstanceData(**fields)
    assert len(got) == len(want) == 3 and sorted(got.keys()) == sorted(want.keys())
    for k in want.keys():
        np.testing.assert_array_equal(got.get(k), want.get(k))
    np.testing.assert_array_equal(got[1].scores, want[1].scores)  # indexing works
    assert len(instance_data()) == 0
    with pytest.raises(ValueError, match=r"length 3 .*'keypoints'.*'scores': 2"):
        instance_data(keypoints=fields['keypoints'], scores=fields['scores'][:2])
