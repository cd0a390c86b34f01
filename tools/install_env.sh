#!/usr/bin/env bash
# Create or update the mmmar virtual environment, idempotently.
#
#   VENV=.venv (default)   where the environment lives; point it at an existing one to reuse it
#   MMMAR_CACHE            where the built mmcv wheel is cached (default ~/.cache/mmmar)
#   PYTHON                 interpreter used to create the venv (default python3)
#   MMMAR_HEARTBEAT_S      seconds between the progress lines of the mmcv compile (default 30)
#
# Steps (each names itself when it fails):
#   1 venv  2 build tools  3 torch  4 mmcv (cached wheel, else built from the sdist with ops, C++20)
#   5 OpenMMLab + runtime deps  6 mmmar (editable)  7 import check
# A stamp file records the hash of requirements/ and setup.py: a second run with nothing changed
# only re-checks the imports (seconds).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${VENV:-$ROOT/.venv}"
PYTHON="${PYTHON:-python3}"
CACHE="${MMMAR_CACHE:-$HOME/.cache/mmmar}"
MMCV_VERSION=2.1.0
STAMP="$VENV/.mmmar-install-stamp"
# heartbeat_run: a progress line while the mmcv compile runs (MMMAR_HEARTBEAT_S, default 30 s)
source "$ROOT/tools/heartbeat.sh"

step() { CURRENT_STEP="$1"; echo "[install] step: $1" >&2; }
trap 'echo "[install] FAILED at step: ${CURRENT_STEP:-start} (see the output above)" >&2' ERR

want_hash() {
  cat "$ROOT"/requirements/*.txt "$ROOT/setup.py" "$ROOT/tools/install_env.sh" | sha256sum | cut -d' ' -f1
}

step "1/7 virtual environment at $VENV"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP=("$PY" -m pip --disable-pip-version-check)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$(want_hash)" ]; then
  step "7/7 import check (environment up to date)"
  "$PY" -c "import torch, mmcv.ops, mmengine, mmdet, mmpose.models, mmmar; print('[install] ok: torch', torch.__version__, 'mmcv', mmcv.__version__, 'mmpose', __import__('mmpose').__version__)"
  exit 0
fi

step "2/7 build tools (requirements/build.txt)"
"${PIP[@]}" install -q -r "$ROOT/requirements/build.txt"

step "3/7 torch and torchvision"
"${PIP[@]}" install -q torch==2.14.1 torchvision==0.29.1

step "4/7 mmcv $MMCV_VERSION with ops"
if ! "$PY" -c "import mmcv, mmcv.ops, sys; sys.exit(mmcv.__version__ != '$MMCV_VERSION')" 2>/dev/null; then
  mkdir -p "$CACHE"
  WHEEL="$(ls "$CACHE"/mmcv-$MMCV_VERSION-*.whl 2>/dev/null | head -n1 || true)"
  if [ -z "$WHEEL" ]; then
    echo "[install] no cached mmcv wheel in $CACHE: building from the sdist (about 12 min on 2 cores)" >&2
    BUILD="$(mktemp -d)"
    "${PIP[@]}" download -q --no-deps --no-binary mmcv --no-build-isolation "mmcv==$MMCV_VERSION" -d "$BUILD"
    tar -xzf "$BUILD/mmcv-$MMCV_VERSION.tar.gz" -C "$BUILD"
    # torch 2.14 headers need C++20; mmcv's setup.py forces C++17.
    sed -i 's/-std=c++17/-std=c++20/g; s#/std:c++17#/std:c++20#g' "$BUILD/mmcv-$MMCV_VERSION/setup.py"
    grep -q 'c++20' "$BUILD/mmcv-$MMCV_VERSION/setup.py" || { echo "[install] could not patch mmcv setup.py to C++20" >&2; false; }
    # objects to compile: the CPU ops, plus the CUDA ones when torch sees a GPU (as mmcv's setup)
    SRC="$BUILD/mmcv-$MMCV_VERSION"
    shopt -s nullglob
    OPS=("$SRC"/mmcv/ops/csrc/pytorch/*.cpp "$SRC"/mmcv/ops/csrc/pytorch/cpu/*.cpp)
    if [ "${FORCE_CUDA:-0}" = 1 ] || \
        "$PY" -c "import torch, sys; sys.exit(not torch.cuda.is_available())" 2>/dev/null; then
      OPS+=("$SRC"/mmcv/ops/csrc/pytorch/cuda/*.cu "$SRC"/mmcv/ops/csrc/pytorch/cuda/*.cpp)
    fi
    shopt -u nullglob
    echo "[install] compiling ${#OPS[@]} mmcv sources; progress every ${MMMAR_HEARTBEAT_S:-30} s" >&2
    (cd "$SRC" && export MMCV_WITH_OPS=1 MAX_JOBS="${MAX_JOBS:-$(nproc)}" && \
      heartbeat_run "${MMMAR_HEARTBEAT_S:-30}" "mmcv compile" "$SRC/build" "${#OPS[@]}" -- \
      "$PY" -m pip wheel -q --no-deps --no-build-isolation -w "$BUILD/dist" .)
    cp "$BUILD"/dist/mmcv-$MMCV_VERSION-*.whl "$CACHE"/
    rm -rf "$BUILD"
    WHEEL="$(ls "$CACHE"/mmcv-$MMCV_VERSION-*.whl | head -n1)"
  fi
  echo "[install] mmcv wheel: $WHEEL" >&2
  "${PIP[@]}" install -q --no-deps "$WHEEL"
fi

step "5/7 OpenMMLab packages and runtime dependencies"
"${PIP[@]}" install -q -r "$ROOT/requirements/runtime.txt" -r "$ROOT/requirements/tests.txt" \
  "mmengine==0.10.7" "mmdet==3.3.0" addict packaging pyyaml yapf rich termcolor \
  pycocotools shapely six terminaltables "setuptools>=77,<81"
"${PIP[@]}" install -q --no-deps "mmpose==1.3.2"

step "6/7 mmmar (editable)"
"${PIP[@]}" install -q --no-deps --no-build-isolation -e "$ROOT"

step "7/7 import check"
"$PY" -c "import torch, mmcv.ops, mmengine, mmdet, mmpose.models, mmmar; print('[install] ok: torch', torch.__version__, 'mmcv', mmcv.__version__, 'mmpose', __import__('mmpose').__version__)"
want_hash > "$STAMP"
