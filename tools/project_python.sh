# Sourced by the shell tools (dist_*.sh, slurm_*.sh): choose the project's Python.
#
#   PYTHON=path        use exactly this interpreter
#   VENV=dir           else $VENV/bin/python (the variable `make` uses)
#   VIRTUAL_ENV        else the python of an activated environment (`source .venv/bin/activate`)
#                      else <repository>/.venv/bin/python (what `make install` creates)
#                      else `python` from the PATH
#
# Sets PYTHON and prints the choice (stderr) so that a wrong interpreter is seen at once.

mmmar_project_python() {
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
  if [ -n "${PYTHON:-}" ]; then
    echo "$PYTHON|PYTHON"
  elif [ -n "${VENV:-}" ] && [ -x "$VENV/bin/python" ]; then
    echo "$VENV/bin/python|VENV"
  elif [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    echo "$VIRTUAL_ENV/bin/python|active environment"
  elif [ -x "$root/.venv/bin/python" ]; then
    echo "$root/.venv/bin/python|the repository's .venv"
  else
    echo "python|PATH; no project environment found: run 'make install' or set VENV"
  fi
}

_mmmar_choice="$(mmmar_project_python)"
PYTHON="${_mmmar_choice%%|*}"
echo "[mmmar] python: $PYTHON (from ${_mmmar_choice#*|})" >&2
unset _mmmar_choice
