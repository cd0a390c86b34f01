"""Issue 7.7: ``tools/deployment/export_onnx.py`` exports the network and onnxruntime agrees
with PyTorch on a real image; decoding stays in Python."""
import os.path as osp

import pytest

from tests.shared_data import SHARED_DATA

from .conftest import REPO, SMALL_CONFIG, python_exe, run_tool

COCO_IMAGE = osp.join(SHARED_DATA, 'coco', '000000000785.jpg')


def test_export_onnx_matches_pytorch(tmp_path):
    out = str(tmp_path / 'mar_small.onnx')
    proc = run_tool([python_exe(), osp.join('tools', 'deployment', 'export_onnx.py'),
                     SMALL_CONFIG, '--out', out, '--image', COCO_IMAGE,
                     '--input-size', '128', '96', '--atol', '1e-3'], {}, cwd=REPO)
    print(proc.stdout[-3000:])
    assert osp.isfile(out)
    import onnx
    model = onnx.load(out)
    onnx.checker.check_model(model)
    assert [o.name for o in model.graph.output][:3] == ['heatmaps', 'pafs', 'offsets']
    line = [ln for ln in proc.stdout.splitlines()
            if ln.startswith('max abs difference over all outputs')][0]
    diff = float(line.split(':')[1].split()[0])
    assert diff <= 1e-3, proc.stdout
    assert 'Python decoding:' in proc.stdout
