"""tools/analysis_tools/train_step_bench.py: the precision each device allows, that a timed
step really trains (the weights move, float32 master weights under bf16 autocast), and the
JSON it writes."""
import json

import pytest
import torch

from mmmar.testing import load_script

SMALL = 'configs/mar_hrnet-small_synthetic-v2-256x256.py'


def _tool():
    return load_script('tools/analysis_tools/train_step_bench.py')


def test_precisions_per_device(capsys):
    tool = _tool()
    assert tool.parse_args([SMALL]).precisions == ['fp32', 'bf16']
    assert tool.parse_args([SMALL, '--device', 'cuda']).precisions == ['fp32', 'fp16']
    with pytest.raises(SystemExit):
        tool.parse_args([SMALL, '--precisions', 'fp16'])
    assert '--precisions fp16 needs --device cuda' in capsys.readouterr().err


@pytest.mark.parametrize('precision', ['fp32', 'bf16'])
def test_timed_steps_train_the_model(precision):
    from mmengine.config import Config
    from mmpose.registry import MODELS

    from mmmar.utils import register_all_modules
    register_all_modules()
    tool = _tool()
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(SMALL).model).train()
    before = [p.detach().clone() for p in model.parameters()]
    times, peak = tool.step_times(model, torch.randn(1, 3, 64, 64), precision, runs=2,
                                  warmup=1)
    assert len(times) == 2 and times == sorted(times) and peak is None  # no CUDA here
    moved = [not torch.equal(a, p) for a, p in zip(before, model.parameters())]
    assert sum(moved) > 0.9 * len(moved)  # 3 Adam steps reach nearly every tensor
    assert all(p.dtype == torch.float32 for p in model.parameters())


def test_json_out(tmp_path):
    out = tmp_path / 'step.json'
    res = _tool().main([SMALL, '--batch-size', '1', '--runs', '1', '--warmup', '0',
                        '--input-size', '64', '32', '--precisions', 'fp32', '--out',
                        str(out)])
    saved = json.loads(out.read_text())
    assert saved == json.loads(json.dumps(res))
    assert saved['input_size'] == [64, 32] and saved['device'] == 'cpu'
    step = saved['steps']['fp32']
    assert step['min_s'] <= step['median_s'] <= step['max_s'] and step['peak_mem_mib'] is None
