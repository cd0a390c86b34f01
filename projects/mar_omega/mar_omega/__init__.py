"""mar_omega: MAR with the torso length Omega of the geometry depth predicted per person.

A project of mmmar (``projects/mar_omega``), loaded with
``custom_imports = dict(imports=['mar_omega'])`` (the project folder on ``sys.path``). It
registers :class:`MAROmegaHead` into mmpose's ``MODELS`` registry; the mmmar core never
imports it.
"""
from .mar_omega_head import MAROmegaHead

__all__ = ['MAROmegaHead']
