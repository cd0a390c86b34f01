# Sourced by gpu_check.sh and gpu_learning.sh: the repository root, the venv that gpu_check.sh
# installs ($GPU_VENV, default work_dirs/gpu_venv, ignored; it stays while the machine is warm)
# and its Python, and need_gpu_venv (exit 2 without that venv, 3 when its torch sees no CUDA
# GPU; reports through the caller's `say`).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${GPU_VENV:-$ROOT/work_dirs/gpu_venv}"
PY="$VENV/bin/python"

need_gpu_venv() {
  [ -x "$PY" ] || { say "no venv at $VENV: install it with tools/analysis_tools/gpu_check.sh"; exit 2; }
  "$PY" -c "import torch, sys; sys.exit(not torch.cuda.is_available())" || {
    say "torch sees no CUDA GPU"; exit 3; }
}
