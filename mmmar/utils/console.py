"""A short terminal for long runs: framework logs to the log file, a compact progress line.

* :func:`build_quiet_runner` builds an mmengine ``Runner`` whose logger writes everything
  (``log_level``, INFO by default) to the run's log file but shows only warnings and errors
  in the terminal (the environment dump, the config and the per-iteration logs are over a
  thousand lines for a short CPU run).
* :class:`ConsoleProgressHook` prints one line every ``interval`` iterations: iteration,
  elapsed time, ETA and the mean of each loss over the interval. It can also be used from a
  config: ``custom_hooks = [dict(type='ConsoleProgressHook', interval=50)]``.
* :func:`prints_to_file` sends plain ``print`` output of a block (mmengine prints e.g.
  "Loads checkpoint by ..." without its logger) to a log file.
"""
import contextlib
import io
import logging
import sys
import time
from collections import OrderedDict
from typing import Iterator, Optional, Union

from mmengine.hooks import Hook
from mmpose.registry import HOOKS

__all__ = ['ConsoleProgressHook', 'quiet_console', 'build_quiet_runner', 'format_seconds',
           'prints_to_file']


def format_seconds(seconds: float) -> str:
    """``3725.2`` -> ``'1:02:05'``; ``65`` -> ``'1:05'``."""
    s = int(round(max(float(seconds), 0.)))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    return f'{h}:{m:02d}:{s:02d}' if h else f'{m}:{s:02d}'


def quiet_console(logger: logging.Logger, level: Union[int, str] = logging.WARNING) -> None:
    """Raise the level of ``logger``'s terminal handlers to ``level``; file handlers keep
    theirs (a ``FileHandler`` is a ``StreamHandler`` too, so it is told apart explicitly)."""
    if isinstance(level, str):
        level = logging.getLevelName(level.upper())
    for handler in logger.handlers:
        if isinstance(handler, logging.StreamHandler) and \
                not isinstance(handler, logging.FileHandler):
            handler.setLevel(level)


def build_quiet_runner(cfg, console_level: Union[int, str] = logging.WARNING):
    """``Runner.from_cfg(cfg)`` with :func:`quiet_console` applied to its logger before the
    runner logs anything (the log file still gets ``cfg.log_level``)."""
    from mmengine.runner import Runner

    class _QuietRunner(Runner):

        def build_logger(self, *args, **kwargs):
            logger = super().build_logger(*args, **kwargs)
            quiet_console(logger, console_level)
            return logger

    return _QuietRunner.from_cfg(cfg)


@contextlib.contextmanager
def prints_to_file(path: str) -> Iterator[io.StringIO]:
    """Collect what the block writes to ``sys.stdout`` and append it to the text file
    ``path`` afterwards. Loggers created before the block keep their own streams; the buffer
    is never closed, so a stream handler created inside the block cannot fail later."""
    buf = io.StringIO()
    try:
        with contextlib.redirect_stdout(buf):
            yield buf
    finally:
        if buf.getvalue():
            with open(path, 'a') as f:
                f.write(buf.getvalue())


@HOOKS.register_module()
class ConsoleProgressHook(Hook):
    """Print ``<prefix> iter 100/500 | 1:05 elapsed, ETA 4:20 | loss 12.3 (loss_x 1.2, ...)``
    every ``interval`` training iterations (and at the last one) to stdout.

    Args:
        interval (int): Iterations between two lines. Defaults to 50.
        prefix (str): Start of every line. Defaults to ``'[train]'``.
        stream: Where to print; None: ``sys.stdout`` at print time.
    """
    priority = 'BELOW_NORMAL'

    def __init__(self, interval: int = 50, prefix: str = '[train]', stream=None):
        if interval < 1:
            raise ValueError(f'ConsoleProgressHook: interval must be >= 1, got {interval}')
        self.interval = int(interval)
        self.prefix = prefix
        self.stream = stream
        self._t0: Optional[float] = None
        self._start_iter = 0
        self._sums: 'OrderedDict[str, float]' = OrderedDict()
        self._count = 0

    def before_train(self, runner) -> None:
        self._t0 = time.time()
        self._start_iter = runner.iter

    def after_train_iter(self, runner, batch_idx: int, data_batch=None, outputs=None) -> None:
        for key, value in (outputs or {}).items():
            try:
                value = float(value.detach().mean()) if hasattr(value, 'detach') \
                    else float(value)
            except (TypeError, ValueError):
                continue
            self._sums[key] = self._sums.get(key, 0.) + value
        self._count += 1
        it, total = runner.iter + 1, runner.max_iters
        if it % self.interval and it != total:
            return
        print(self.progress_line(it, total), file=self.stream or sys.stdout, flush=True)
        self._sums.clear()
        self._count = 0

    def progress_line(self, it: int, total: int) -> str:
        """The line for iteration ``it`` of ``total`` from the losses gathered so far."""
        elapsed = time.time() - (self._t0 if self._t0 is not None else time.time())
        done = max(it - self._start_iter, 1)
        eta = elapsed / done * max(total - it, 0)
        means = {k: v / max(self._count, 1) for k, v in self._sums.items()}
        parts = [f'{self.prefix} iter {it}/{total}',
                 f'{format_seconds(elapsed)} elapsed, ETA {format_seconds(eta)}']
        if means:
            total_loss = means.pop('loss', None)
            losses = ', '.join(f'{k.replace("loss_", "")} {v:.3g}' for k, v in means.items()
                               if 'loss' in k)
            head = f'loss {total_loss:.4g}' if total_loss is not None else 'losses'
            parts.append(f'{head} ({losses})' if losses else head)
        return ' | '.join(parts)
