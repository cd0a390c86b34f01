"""tools/analysis_tools/baselines.py: where the annotation files are, the neutral pipeline,
the printed table."""
from tools.analysis_tools.baselines import ann_file_of, format_rows, no_aug_pipeline


def test_ann_file_of_looks_inside_wrappers():
    single = dict(type='MARSyntheticDataset', data_root='data/a/', ann_file='ann/train.json')
    assert ann_file_of(single) == 'data/a/ann/train.json'
    concat = dict(type='ConcatDataset', datasets=[
        dict(type='RepeatDataset', times=2, dataset=dict(single, data_root='data/b/')), single])
    assert ann_file_of(concat) == 'data/b/ann/train.json'
    assert ann_file_of(dict(type='ConcatDataset', datasets=[])) is None
    assert ann_file_of(None) is None


def test_no_aug_pipeline_keeps_the_test_geometry():
    pipe = [dict(type='MARLoadImage'),
            dict(type='MARRandomAffine', input_size=(256, 256), scale_prob=1., rotate_prob=1.),
            dict(type='MARRandomFlip', prob=0.5), dict(type='GenerateTarget')]
    out = no_aug_pipeline(pipe)
    assert [t['type'] for t in out] == ['MARLoadImage', 'MARRandomAffine', 'GenerateTarget']
    affine = out[1]
    assert (affine['scale_prob'], affine['rotate_prob'], affine['shift_prob']) == (0, 0, 0)
    assert pipe[1]['scale_prob'] == 1.  # the input is left as it was


def test_format_rows_reads_both_key_styles():
    text = format_rows([('model', {'mupots/PCK_rel_all': 31.25}),
                        ('guess', {'PCK_rel_all': 25.6, 'MPJPE_rel': None})],
                       keys=('PCK_rel_all', 'MPJPE_rel'))
    lines = text.splitlines()
    assert lines[1].split() == ['model', '31.2', 'n/a']
    assert lines[2].split() == ['guess', '25.6', 'n/a']
