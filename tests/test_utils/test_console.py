"""A short terminal: quiet runner logger (file gets everything), progress hook, prints."""
import io
import logging
import os.path as osp
import uuid
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.model import BaseModel
from mmengine.registry import MODELS

from mmmar.utils import (ConsoleProgressHook, build_quiet_runner, format_seconds, prints_to_file,
                         quiet_console)


@MODELS.register_module(force=True)
class _ConsoleToyModel(BaseModel):

    def __init__(self):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(1))

    def forward(self, inputs=None, data_samples=None, mode='tensor'):
        return dict(loss=self.w.sum())


def test_format_seconds():
    assert format_seconds(65) == '1:05'
    assert format_seconds(3725.2) == '1:02:05'
    assert format_seconds(-3) == '0:00'


def test_progress_hook_lines_and_interval_means():
    stream = io.StringIO()
    hook = ConsoleProgressHook(interval=4, prefix='[t]', stream=stream)
    runner = SimpleNamespace(iter=0, max_iters=10)
    hook.before_train(runner)
    for i in range(10):  # iteration i + 1: loss = i + 1, loss_a = 2 (i + 1), acc ignored
        runner.iter = i
        hook.after_train_iter(runner, i, outputs=dict(
            loss=torch.tensor(float(i + 1)), loss_a=torch.tensor(2. * (i + 1)),
            acc=torch.tensor(0.5), name='not a number'))
    lines = stream.getvalue().splitlines()
    assert [ln.split(' | ')[0] for ln in lines] == ['[t] iter 4/10', '[t] iter 8/10',
                                                    '[t] iter 10/10']
    # means over each interval: iters 1-4 -> 2.5 / 5, 5-8 -> 6.5 / 13, 9-10 -> 9.5 / 19
    assert lines[0].endswith('loss 2.5 (a 5)')
    assert lines[1].endswith('loss 6.5 (a 13)')
    assert lines[2].endswith('loss 9.5 (a 19)')
    assert 'ETA 0:00' in lines[2]
    with pytest.raises(ValueError, match='interval'):
        ConsoleProgressHook(interval=0)


def test_quiet_console_keeps_the_file_handler(tmp_path):
    from mmengine.logging import MMLogger
    log = str(tmp_path / 'a.log')
    out = io.StringIO()
    logger = MMLogger.get_instance(f'quiet-{uuid.uuid4().hex}', log_file=log,
                                   log_level='INFO')
    for h in logger.handlers:  # the terminal handler writes to our buffer
        if type(h) is logging.StreamHandler:
            h.setStream(out)
    quiet_console(logger, 'WARNING')
    logger.info('an info line')
    logger.warning('a warning line')
    assert 'an info line' not in out.getvalue() and 'a warning line' in out.getvalue()
    text = open(log).read()
    assert 'an info line' in text and 'a warning line' in text


def test_quiet_runner_logs_to_file_only(tmp_path, capsys):
    cfg = Config(dict(model=dict(type='_ConsoleToyModel'), work_dir=str(tmp_path),
                      experiment_name=f'quiet-runner-{uuid.uuid4().hex}', log_level='INFO',
                      default_scope='mmengine'))
    runner = build_quiet_runner(cfg, 'WARNING')
    runner.logger.info('after build')
    runner.logger.warning('a runner warning')
    out = capsys.readouterr().out
    assert 'System environment' not in out and 'after build' not in out
    assert 'a runner warning' in out
    text = open(osp.join(runner.log_dir, f'{runner.timestamp}.log')).read()
    # the environment dump and the config, logged while the runner was built
    assert 'System environment' in text and '_ConsoleToyModel' in text and 'after build' in text


def test_prints_to_file(tmp_path, capsys):
    path = str(tmp_path / 'p.log')
    with open(path, 'w') as f:
        f.write('first\n')
    with prints_to_file(path):
        print('Loads checkpoint by something')
    print('visible')
    assert capsys.readouterr().out == 'visible\n'
    assert open(path).read() == 'first\nLoads checkpoint by something\n'
