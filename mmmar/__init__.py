"""mmmar: MAR (Mutual Adaptive Reasoning, ACM MM 2022) as mmpose components.

Importing this package is light: no model code is imported. Components register into
mmpose's registries when :func:`mmmar.utils.register_all_modules` runs or when a config
loads them through ``custom_imports``.
"""
from .version import __version__, short_version

__all__ = ['__version__', 'short_version']
