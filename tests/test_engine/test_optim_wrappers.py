"""AutocastOptimWrapper: bfloat16 autocast on the CPU, float32 parameters and gradients."""
import pytest
import torch
from mmpose.registry import OPTIM_WRAPPERS
from torch import nn

from mmmar.engine import AutocastOptimWrapper


def _model_and_data():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 1, 1))
    x, y = torch.randn(4, 3, 8, 8), torch.randn(4, 1, 8, 8)
    return model, x, y


def _step(model, wrapper, x, y):
    with wrapper.optim_context(model):
        out = model(x)
    loss = (out.float() - y).square().mean()
    wrapper.backward(loss)
    grad_dtypes = {p.grad.dtype for p in model.parameters()}
    wrapper.step()
    wrapper.zero_grad()
    return out, loss, grad_dtypes


def test_bfloat16_step_matches_float32_within_bf16_precision():
    model, x, y = _model_and_data()
    ref = [p.detach().clone() for p in model.parameters()]
    wrapper = OPTIM_WRAPPERS.build(dict(
        type='AutocastOptimWrapper', dtype='bfloat16',
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    assert isinstance(wrapper, AutocastOptimWrapper)
    out, loss, grad_dtypes = _step(model, wrapper, x, y)
    assert out.dtype == torch.bfloat16  # the convolutions ran in bfloat16
    assert grad_dtypes == {torch.float32}
    assert all(p.dtype == torch.float32 for p in model.parameters())
    bf16_params = [p.detach().clone() for p in model.parameters()]

    # the same step in float32 from the same start
    with torch.no_grad():
        for p, r in zip(model.parameters(), ref):
            p.copy_(r)
    fp32 = OPTIM_WRAPPERS.build(dict(
        type='OptimWrapper', optimizer=torch.optim.SGD(model.parameters(), lr=0.1)))
    out32, loss32, _ = _step(model, fp32, x, y)
    assert out32.dtype == torch.float32
    assert float(loss) == pytest.approx(float(loss32), rel=2e-2)
    for a, b, r in zip(bf16_params, model.parameters(), ref):
        # the update (not the weights) agrees to bfloat16's ~3 significant digits
        torch.testing.assert_close(a - r, b.detach() - r, rtol=5e-2, atol=2e-3)


def test_float16_on_cpu_and_bad_dtype_are_refused():
    model, x, _ = _model_and_data()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match='dtype'):
        AutocastOptimWrapper(dtype='int8', optimizer=opt)
    wrapper = AutocastOptimWrapper(dtype='float16', optimizer=opt)
    with pytest.raises(ValueError, match='bfloat16'):
        with wrapper.optim_context(model):
            model(x)
