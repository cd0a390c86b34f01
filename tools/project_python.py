"""Run the Python tools under the project's environment (standard library only).

Every entry point of ``tools/`` and ``demo/`` calls :func:`ensure_project_python` before it
imports torch. When the running interpreter cannot import the project's dependencies and a
project environment exists, the script re-runs itself with that environment's Python and says
so; otherwise the error says what to do. The environment is looked up in the order of
``tools/project_python.sh``: ``PYTHON``, ``$VENV/bin/python``, the activated ``VIRTUAL_ENV``,
``<repository>/.venv/bin/python``.
"""
import importlib.util
import os
import os.path as osp
import sys
from typing import List, Optional, Sequence, Tuple

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: the packages every tool needs
REQUIRED = ('torch', 'mmengine', 'mmpose')
#: set in the environment of the re-run (guards against a loop)
REEXEC_FLAG = 'MMMAR_PROJECT_PYTHON'


def project_python_candidates(environ=None, repo: str = REPO) -> List[Tuple[str, str]]:
    """(path, origin) of the interpreters to try, in order of preference.

    Args:
        environ (dict, optional): the environment (default ``os.environ``).
        repo (str): repository root (its ``.venv`` is the last candidate).

    Returns:
        list[tuple[str, str]]: existing executable candidates only.
    """
    env = os.environ if environ is None else environ
    cands = []
    if env.get('PYTHON'):
        cands.append((env['PYTHON'], 'PYTHON'))
    if env.get('VENV'):
        cands.append((osp.join(env['VENV'], 'bin', 'python'), 'VENV'))
    if env.get('VIRTUAL_ENV'):
        cands.append((osp.join(env['VIRTUAL_ENV'], 'bin', 'python'), 'active environment'))
    cands.append((osp.join(repo, '.venv', 'bin', 'python'), "the repository's .venv"))
    out = []
    for path, origin in cands:
        if os.sep not in path:  # a bare command name such as PYTHON=python3
            from shutil import which
            path = which(path) or path
        if osp.isfile(path) and os.access(path, os.X_OK):
            out.append((path, origin))
    return out


def missing_modules(required: Sequence[str] = REQUIRED) -> List[str]:
    """The modules of ``required`` the running interpreter cannot find (no import done)."""
    return [m for m in required if importlib.util.find_spec(m) is None]


def ensure_project_python(required: Sequence[str] = REQUIRED,
                          argv: Optional[List[str]] = None) -> None:
    """Re-run the current script with the project's Python if this one lacks ``required``.

    Args:
        required (Sequence[str]): modules the script imports.
        argv (list[str], optional): the script and its arguments (default ``sys.argv``).

    Raises:
        SystemExit: with an explanation when no usable interpreter is found.
    """
    missing = missing_modules(required)
    if not missing:
        return
    argv = list(sys.argv if argv is None else argv)
    if os.environ.get(REEXEC_FLAG):
        raise SystemExit(
            f'[mmmar] the project environment {sys.executable} cannot import '
            f'{", ".join(missing)}: run `make install` (it repairs the environment).')
    here = osp.abspath(sys.executable)
    for path, origin in project_python_candidates():
        if osp.abspath(path) == here:
            continue
        print(f'[mmmar] {sys.executable} cannot import {", ".join(missing)}; '
              f'using the project environment: {path} (from {origin})', file=sys.stderr)
        sys.stderr.flush()
        os.execve(path, [path] + argv, dict(os.environ, **{REEXEC_FLAG: path}))
    raise SystemExit(
        f'[mmmar] {sys.executable} cannot import {", ".join(missing)} and no other project '
        f'environment was found (looked at PYTHON, $VENV/bin/python, an activated venv, '
        f'{osp.join(REPO, ".venv", "bin", "python")}). Run `make install` and then '
        f'`source .venv/bin/activate`, or set VENV=<env dir> or PYTHON=<interpreter>.')
