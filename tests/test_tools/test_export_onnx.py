"""Issue 7.7: ``tools/deployment/export_onnx.py`` exports the network and onnxruntime agrees
with PyTorch on a real image. Issue 12: the graph also holds the dense decode stages (NMS,
peak gathering, reads at the roots, PAF integrals); only the grouping stays in Python, and
it finds the people of the PyTorch decode."""
import os.path as osp

from mmmar.testing import SHARED_DATA
from .conftest import REPO, SMALL_CONFIG, python_exe, run_tool

COCO_IMAGE = osp.join(SHARED_DATA, 'coco', '000000000785.jpg')


def test_export_onnx_matches_pytorch(tmp_path):
    out = str(tmp_path / 'mar_small.onnx')
    proc = run_tool([python_exe(), osp.join('tools', 'deployment', 'export_onnx.py'),
                     SMALL_CONFIG, '--out', out, '--image', COCO_IMAGE,
                     '--input-size', '128', '96', '--atol', '1e-3', '--cfg-options',
                     # random weights: low thresholds, so that there are peaks and people
                     'model.head.decoder.decode_root_thr=0.02',
                     'model.head.decoder.decode_candidate_thr=0.02',
                     'model.head.decoder.decode_keypoint_thr=0.02'], {}, cwd=REPO)
    print(proc.stdout[-3000:])
    assert osp.isfile(out)
    import onnx
    model = onnx.load(out)
    onnx.checker.check_model(model)
    names = [o.name for o in model.graph.output]
    assert names[:3] == ['heatmaps', 'pafs', 'offsets']
    from mmmar.codecs.dense_decode import EVIDENCE_FIELDS
    assert names[-len(EVIDENCE_FIELDS):] == list(EVIDENCE_FIELDS)
    assert any(n.op_type == 'MaxPool' for n in model.graph.node)
    assert any(n.op_type == 'TopK' for n in model.graph.node)
    line = [ln for ln in proc.stdout.splitlines()
            if ln.startswith('max abs difference over all outputs')][0]
    diff = float(line.split(':')[1].split()[0])
    assert diff <= 1e-3, proc.stdout
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith('Python decoding:')][0]
    n_torch = int(line.split(':')[1].split()[0])
    assert n_torch > 0, proc.stdout
    line = [ln for ln in proc.stdout.splitlines()
            if ln.startswith("grouping of the graph's evidence")][0]
    assert int(line.split(':')[1].split()[0]) == n_torch, line
    assert float(line.split('decode:')[1].split()[0]) <= 1e-3, line
