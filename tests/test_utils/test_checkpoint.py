"""Checkpoints under torch's weights_only loader: save, load, resume; foreign objects refused."""
import os.path as osp
import pickle

import pytest
import torch
import torch.nn as nn
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner, load_checkpoint
from torch.utils.data import Dataset

from mmmar.utils import (CorruptCheckpointError, UnsafeCheckpointError,
                         install_safe_checkpoint_loading)


class ToyData(Dataset):

    def __len__(self):
        return 16

    def __getitem__(self, i):
        g = torch.Generator().manual_seed(i)
        x = torch.randn(4, generator=g)
        return dict(inputs=x, target=x.sum(dim=0, keepdim=True))


class ToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 1)

    def forward(self, inputs, target=None, mode='tensor'):
        out = self.fc(inputs)
        if mode == 'loss':
            return dict(loss=((out - target)**2).mean())
        return out


class StopAfter(Hook):
    """Simulates a run killed right after iteration ``n`` (and its checkpoint)."""

    priority = 'LOWEST'

    def __init__(self, n):
        self.n = n

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        if runner.iter + 1 == self.n:
            raise KeyboardInterrupt(f'simulated stop after iteration {self.n}')


def _runner(work_dir, max_iters, resume=False, load_from=None, stop_after=None):
    torch.manual_seed(0)
    return Runner(
        model=ToyModel(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=ToyData(),
            sampler=dict(type='DefaultSampler', shuffle=True, seed=0),
            batch_size=4,
            num_workers=0,
            collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='Adam', lr=1e-2)),
        param_scheduler=dict(type='StepLR', step_size=1, gamma=0.5, by_epoch=False),
        train_cfg=dict(by_epoch=False, max_iters=max_iters),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        resume=resume,
        load_from=load_from,
        custom_hooks=[StopAfter(stop_after)] if stop_after else None,
        default_scope='mmengine',
        randomness=dict(seed=0),
        experiment_name=f'exp_{max_iters}_{resume}')


class Foreign:
    """A class no checkpoint allow-list contains."""

    def __reduce__(self):
        return (Foreign, ())


def test_save_load_resume_round_trip(tmp_path):
    install_safe_checkpoint_loading()
    work = str(tmp_path)
    full = _runner(osp.join(work, 'full'), 4)
    full.train()
    ref_weight = full.model.fc.weight.detach().clone()

    part = _runner(osp.join(work, 'part'), 4, stop_after=2)
    with pytest.raises(KeyboardInterrupt):
        part.train()
    ckpt = osp.join(work, 'part', 'iter_2.pth')
    assert osp.isfile(ckpt)

    # the checkpoint holds mmengine's non-tensor objects and still loads safely
    raw = torch.load(ckpt, weights_only=True)
    assert raw['meta']['iter'] == 2
    assert 'message_hub' in raw and 'optimizer' in raw

    model = ToyModel()
    load_checkpoint(model, ckpt)
    torch.testing.assert_close(model.fc.weight, part.model.fc.weight)

    resumed = _runner(osp.join(work, 'part'), 4, resume=True, load_from=ckpt)
    resumed.train()
    assert resumed.iter == 4
    # the resumed run continues with the same iteration, optimizer and scheduler state
    # and ends where the uninterrupted run ended
    torch.testing.assert_close(resumed.model.fc.weight, ref_weight)
    assert resumed.optim_wrapper.get_lr()['lr'][0] == pytest.approx(
        full.optim_wrapper.get_lr()['lr'][0])


def test_foreign_pickled_object_is_refused(tmp_path):
    install_safe_checkpoint_loading()
    path = str(tmp_path / 'evil.pth')
    torch.save({'state_dict': ToyModel().state_dict(), 'meta': {'x': Foreign()}}, path)
    with pytest.raises(UnsafeCheckpointError) as err:
        load_checkpoint(ToyModel(), path)
    assert 'Foreign' in str(err.value) and 'evil.pth' in str(err.value)
    assert isinstance(err.value, pickle.UnpicklingError)


def test_truncated_checkpoint_names_the_file(tmp_path):
    install_safe_checkpoint_loading()
    path = tmp_path / 'cut.pth'
    torch.save({'state_dict': ToyModel().state_dict()}, str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CorruptCheckpointError, match='cut.pth'):
        load_checkpoint(ToyModel(), str(path))


def test_missing_checkpoint():
    install_safe_checkpoint_loading()
    with pytest.raises(FileNotFoundError, match='nowhere.pth'):
        load_checkpoint(ToyModel(), '/nonexistent/nowhere.pth')
