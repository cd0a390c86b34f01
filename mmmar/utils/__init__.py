"""Utilities: registration, the config check, safe checkpoint loading, a quiet console.

Importing this module allow-lists the types mmengine writes into checkpoints for torch's
``weights_only`` loader (see :mod:`mmmar.utils.checkpoint`).
"""
from .checkpoint import (CorruptCheckpointError, UnsafeCheckpointError,
                         install_safe_checkpoint_loading, load_from_local_safely)
from .config import check_config
from .console import (ConsoleProgressHook, build_quiet_runner, format_seconds, prints_to_file,
                      quiet_console)
from .dist import finalize_process_group, init_cpu_process_group, prepare_runner_config
from .setup_env import register_all_modules

install_safe_checkpoint_loading()

__all__ = [
    'register_all_modules', 'check_config', 'init_cpu_process_group', 'finalize_process_group',
    'prepare_runner_config', 'install_safe_checkpoint_loading',
    'load_from_local_safely', 'UnsafeCheckpointError', 'CorruptCheckpointError',
    'ConsoleProgressHook', 'build_quiet_runner', 'quiet_console', 'format_seconds',
    'prints_to_file'
]
