"""torch.distributed on machines without GPUs.

mmengine 0.10.7's ``init_dist('pytorch')`` always calls ``torch.cuda.set_device`` and so fails
on CPU-only machines. mmengine skips its own initialisation when a process group already
exists, so :func:`init_cpu_process_group` creates one (gloo, from torchrun's environment)
before the Runner is built. On machines with GPUs it does nothing and mmengine proceeds as usual.
"""
import os
from datetime import timedelta

import torch
import torch.distributed as torch_dist

__all__ = ['init_cpu_process_group', 'prepare_runner_config', 'finalize_process_group']


def init_cpu_process_group(launcher: str, cfg=None) -> bool:
    """Initialise a gloo process group for a ``pytorch`` launch without CUDA.

    Args:
        launcher (str): The ``--launcher`` of the tool.
        cfg (Config, optional): Its ``env_cfg.dist_cfg.timeout`` (seconds) is honoured.

    Returns:
        bool: Whether a process group was created here.
    """
    if launcher != 'pytorch' or torch.cuda.is_available() or torch_dist.is_initialized():
        return False
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher pytorch needs {", ".join(missing)} in the environment '
                           '(start the tool with tools/dist_train.sh or torchrun)')
    timeout = None
    if cfg is not None:
        timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
    kwargs = dict(timeout=timedelta(seconds=timeout)) if timeout else {}
    torch_dist.init_process_group(backend='gloo', **kwargs)
    return True


def prepare_runner_config(cfg, launcher: str):
    """What ``tools/train.py`` and ``tools/test.py`` do to a merged config before the Runner:
    :func:`mmmar.utils.check_config` (raises where the codec's copies disagree), and for a
    CPU-only ``pytorch`` launch a gloo process group plus a DistributedDataParallel wrapper
    without ``device_ids`` (CPU modules take none)."""
    from .config import check_config
    check_config(cfg)
    if init_cpu_process_group(launcher, cfg):
        cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
        cfg.setdefault('model_wrapper_cfg', dict(
            type='MMDistributedDataParallel', device_ids=None, broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False)))
    return cfg


def finalize_process_group() -> None:
    """End of a distributed tool run: wait for every rank, then destroy the process group.

    Left to interpreter exit, the gloo process group's threads can still be running while it
    is torn down, and the process aborts ("terminate called without an active exception",
    exit code -6) after a run that succeeded. Nothing happens without a process group.
    """
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.barrier()
        torch_dist.destroy_process_group()
