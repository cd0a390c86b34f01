"""A test-only mmengine hook: records the loss (averaged over all processes) and the learning
rate of every training iteration to ``<work_dir>/loss_trajectory.json`` (written by rank 0
after every iteration, so that an interrupted run keeps what it did).

With the environment variable ``LOSS_RECORDER_CRASH_AFTER=N`` the process exits abruptly
(``os._exit(3)``, no clean-up, as a killed job) after iteration N, once the other hooks (the
checkpoint included) have run: the resume test's "stopped mid-way" run.

The tests copy this file next to their temporary config and import it through
``custom_imports`` (the training processes are separate ``python`` / ``torchrun``
processes that do not see pytest's ``sys.path``).
"""
import json
import os
import os.path as osp

import torch
from mmengine.dist import get_rank, get_world_size
from mmengine.hooks import Hook
from mmpose.registry import HOOKS


@HOOKS.register_module(force=True)
class LossRecorderHook(Hook):
    priority = 'LOWEST'

    def before_train(self, runner):
        self.records = []
        path = osp.join(runner.work_dir, 'loss_trajectory.json')
        if runner.iter > 0 and osp.exists(path):  # resumed: keep what came before
            with open(path) as f:
                self.records = [r for r in json.load(f) if r['iter'] < runner.iter]

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        loss = outputs['loss'].detach().float().reshape(1).clone()
        per_rank = [torch.zeros_like(loss) for _ in range(get_world_size())]
        if get_world_size() > 1:
            torch.distributed.all_gather(per_rank, loss)
        else:
            per_rank = [loss]
        mean = torch.stack(per_rank).mean()
        lr = runner.optim_wrapper.get_lr()['lr'][0]
        self.records.append(dict(iter=runner.iter, loss=float(mean),
                                 loss_per_rank=[float(x) for x in per_rank],
                                 lr=float(lr), world_size=get_world_size()))
        if get_rank() == 0:
            with open(osp.join(runner.work_dir, 'loss_trajectory.json'), 'w') as f:
                json.dump(self.records, f, indent=1)
        crash_after = os.environ.get('LOSS_RECORDER_CRASH_AFTER')
        if crash_after and runner.iter + 1 == int(crash_after):
            os._exit(3)
