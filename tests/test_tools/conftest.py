"""Shared fixtures of the tools tests: a few synthetic images and a tiny, deterministic
training config derived from ``configs/mar_hrnet-small_synthetic-256x256.py`` at a small input
size (stated, as in mmpose's configs, wherever the codec is used).

Training runs are separate processes (``tools/train.py``, ``tools/dist_train.sh``), as a
user would run them; the schedule is shrunk with ``--cfg-options``.
"""
import json
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys

import pytest

REPO = osp.abspath(osp.join(osp.dirname(__file__), '..', '..'))
SMALL_CONFIG = osp.join(REPO, 'configs', 'mar_hrnet-small_synthetic-256x256.py')
#: network input of the tests (W, H) and heatmap size: a stride-4 HRNet needs multiples of 32
INPUT_SIZE = (96, 96)
HEATMAP_SIZE = (24, 24)
#: iterations of every test run, checkpoint interval (the resume test stops after one)
MAX_ITERS = 4
CKPT_INTERVAL = 2
#: total batch: one process x TOTAL_BATCH or two processes x TOTAL_BATCH / 2
TOTAL_BATCH = 4

# The base config's transforms with the random parts removed (a plain resize-and-pad): the
# single-process and the two-process runs then see exactly the same targets, and a resumed
# run the same data as the uninterrupted one. The codec at INPUT_SIZE, stated where it is used.
TEST_CONFIG = '''
_base_ = [{base!r}]
codec = dict(type='MARCodec', input_size={input_size!r}, heatmap_size={heatmap_size!r})
model = dict(head=dict(decoder=codec))
custom_imports = dict(
    imports=['mmmar.utils', 'mmmar.codecs', 'mmmar.models', 'mmmar.datasets',
             'mmmar.evaluation', 'mmmar.visualization', 'mmmar.apis',
             'loss_recorder_hook'],
    allow_failed_imports=False)
custom_hooks = [dict(type='SyncBuffersHook'), dict(type='LossRecorderHook')]
train_pipeline = [
    dict(type='MARLoadImage'),
    dict(type='MARResizePad', input_size=codec['input_size']),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs',
         meta_keys=('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
                    'input_size', 'cam_param', 'dataset_name')),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(data_root={data_root!r}, pipeline=train_pipeline))
val_pipeline = [
    dict(type='MARLoadImage', on_corrupt='raise'),
    dict(type='MARDefaultIntrinsics'),
    dict(type='MARResizePad', input_size=codec['input_size']),
    dict(type='PackPoseInputs',
         meta_keys=('id', 'img_id', 'img_path', 'ori_shape', 'img_shape',
                    'input_size', 'cam_param', 'ori_cam_param', 'input_affine',
                    'seq_name', 'frame_idx', 'raw_ann_info', 'dataset_name')),
]
val_dataloader = dict(num_workers=0, persistent_workers=False,
                      dataset=dict(data_root={data_root!r}, pipeline=val_pipeline))
test_dataloader = val_dataloader
randomness = dict(seed=0)
log_level = 'WARNING'
'''


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def python_exe() -> str:
    return os.environ.get('PYTHON', sys.executable)


def shrink_options(work_dir: str, batch_size: int, max_iters: int = MAX_ITERS):
    """``--cfg-options`` that make a run short (the input size is the test config's)."""
    return [
        '--work-dir', work_dir, '--no-validate', '--cfg-options',
        f'train_dataloader.batch_size={batch_size}',
        f'train_cfg.max_iters={max_iters}',
        f'default_hooks.checkpoint.interval={CKPT_INTERVAL}',
        'default_hooks.logger.interval=1',
    ]


def run_tool(cmd, env_extra, cwd=REPO, timeout=600):
    env = dict(os.environ)
    env.update(env_extra)
    env['OMP_NUM_THREADS'] = '1'  # same kernels in every compared run (make test sets 2)
    proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f'command failed ({proc.returncode}): {" ".join(cmd)}\n'
                             f'{proc.stdout[-6000:]}')
    return proc


def read_trajectory(work_dir):
    with open(osp.join(work_dir, 'loss_trajectory.json')) as f:
        return json.load(f)


@pytest.fixture(scope='session')
def tiny_setup(tmp_path_factory):
    """Synthetic data + the test config + the environment the training processes need."""
    from mmmar.datasets.synthetic import generate_synthetic_dataset
    root = tmp_path_factory.mktemp('tools')
    data_root = str(root / 'synthetic') + '/'
    # 3 sequences x 4 frames: TS1 = test split, TS2-3 = 8 training images = two total batches
    generate_synthetic_dataset(data_root, num_images=12, num_sequences=3, num_test_sequences=1,
                               img_size=(128, 96), min_people=1, max_people=3, seed=11)
    mod_dir = root / 'modules'
    mod_dir.mkdir()
    shutil.copy(osp.join(osp.dirname(__file__), 'loss_recorder_hook.py'), mod_dir)
    config = root / 'mar_tools_test.py'
    config.write_text(TEST_CONFIG.format(base=SMALL_CONFIG, data_root=data_root,
                                         input_size=INPUT_SIZE, heatmap_size=HEATMAP_SIZE))
    pythonpath = os.pathsep.join(
        [str(mod_dir), REPO] + [p for p in os.environ.get('PYTHONPATH', '').split(os.pathsep)
                                if p])
    return dict(root=root, config=str(config), data_root=data_root,
                env=dict(PYTHONPATH=pythonpath))


@pytest.fixture(scope='session')
def single_run(tiny_setup):
    """One process, batch TOTAL_BATCH, MAX_ITERS iterations, checkpoints every
    CKPT_INTERVAL (the reference of the distributed and the resume tests)."""
    work_dir = str(tiny_setup['root'] / 'single')
    run_tool([python_exe(), 'tools/train.py', tiny_setup['config']] +
             shrink_options(work_dir, TOTAL_BATCH), tiny_setup['env'])
    return work_dir
