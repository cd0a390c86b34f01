#!/usr/bin/env bash
# The GPU check of issue 12, ready to run on a machine with a CUDA GPU and no network
# (Python 3.12, a recent torch already installed, no OpenMMLab packages).
#
#   tools/analysis_tools/gpu_check.sh WHEELS_DIR [WHEELS_DIR ...]   install, then measure
#   tools/analysis_tools/gpu_check.sh --stash WHEELS_DIR             keep a part, nothing else
#   tools/analysis_tools/gpu_check.sh --install-only WHEELS_DIR ...  install only
#   tools/analysis_tools/gpu_check.sh --run-only                     measure only
#
# WHEELS_DIR: the parts made by tools/analysis_tools/gpu_check_prepare.sh on a machine with
# network (work_dirs/gpu_check_wheels/part1..3, each below the 64 MiB that the device runner
# carries per call). With the device runner: one call per part with `--stash PART` (carry
# PART; the wheels are copied to $GPU_WHEELS, default work_dirs/gpu_wheels, ignored, which
# stays on the machine while it is warm), then a call with no folder (or the last part)
# installs from everything stashed and measures. Everything installed lives in the ignored
# $GPU_VENV (default work_dirs/gpu_venv), which also stays between warm calls.
#
# Install (from the wheels only, --no-index): a venv that sees the system's torch
# (--system-site-packages); mmcv 2.1.0 built from its sdist with its CPU ops (mmpose imports
# mmcv.ops; MAR runs none of them: the build hides the GPU so that no CUDA compiler is
# needed; C++20 for recent torch headers; about 2-3 min on 16 cores), xtcocotools from its
# sdist (cython), mmengine, mmdet, mmpose (--no-deps) and their dependencies; mmmar is used
# from this checkout (PYTHONPATH).
#
# Measure (tools/analysis_tools/benchmark.py, paper config, 832x512, random weights: speed
# does not depend on them; the decode is fed the maps of a perfect network, see there):
#   - network + decode latency at batch 1, fp32 and fp16, 3 and 20 people;
#   - throughput at batch 32 (and 1), fp32 and fp16, images/s;
#   - the decode share, bytes moved to the host, device decode vs the numpy reference;
#   - fp32 against float16 on the shipped trained model (small v2 config): keypoint and root
#     depth differences of the people both find.
# then the goals of issue 12 (tools/analysis_tools/gpu_goals.py): batch 1 fp16 end to end
# < 10 ms, >= 300 images/s at batch 32, decode share <= 5 %. Output: the tables on stdout,
# the raw JSON and the tables in $OUT (the device runner's folder) or work_dirs/gpu_check/.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/gpu_env.sh"  # ROOT, VENV, PY, need_gpu_venv
STASH="${GPU_WHEELS:-$ROOT/work_dirs/gpu_wheels}"
PYTHON="${PYTHON:-python3}"
RESULTS="${OUT:-$ROOT/work_dirs/gpu_check}"
INSTALL=1
RUN=1
DIRS=()
for arg in "$@"; do
  case "$arg" in
    --install-only) RUN=0 ;;
    --run-only) INSTALL=0 ;;
    --stash) INSTALL=stash; RUN=0 ;;
    *) DIRS+=("$(cd "$arg" && pwd)") ;;
  esac
done
say() { echo "[gpu_check] $*" >&2; }

if [ "$INSTALL" = stash ]; then
  mkdir -p "$STASH"
  for d in "${DIRS[@]}"; do cp "$d"/* "$STASH"/; done
  say "stashed: $(ls "$STASH" | wc -l) files in $STASH"
  exit 0
fi

if [ "$INSTALL" = 1 ]; then
  [ -d "$STASH" ] && DIRS+=("$STASH")
  [ "${#DIRS[@]}" -gt 0 ] || { say "give the wheel folder(s) of gpu_check_prepare.sh"; exit 2; }
  "$PYTHON" -c "import sys, torch; assert sys.version_info[:2] == (3, 12), sys.version; \
print('[gpu_check] python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', \
torch.version.cuda, 'gpu', torch.cuda.is_available())" >&2
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv --system-site-packages "$VENV"
  LINKS=()
  for d in "${DIRS[@]}"; do LINKS+=(--find-links "$d"); done
  PIP=("$VENV/bin/python" -m pip --disable-pip-version-check install -q --no-index "${LINKS[@]}")
  say "build tools and numeric packages"
  "${PIP[@]}" "setuptools>=77,<81" wheel cython ninja numpy pillow
  if ! "$VENV/bin/python" -c "import mmcv.ops" 2>/dev/null; then
    say "mmcv 2.1.0 from its sdist, CPU ops ($(nproc) jobs)"
    SDIST="$(ls "${DIRS[@]/%//mmcv-2.1.0.tar.gz}" 2>/dev/null | head -n1)"
    BUILD="$(mktemp -d)"
    tar -xzf "$SDIST" -C "$BUILD"
    sed -i 's/-std=c++17/-std=c++20/g' "$BUILD/mmcv-2.1.0/setup.py"
    (cd "$BUILD/mmcv-2.1.0" && CUDA_VISIBLE_DEVICES= FORCE_CUDA=0 MMCV_WITH_OPS=1 \
      MAX_JOBS="$(nproc)" "${PIP[@]}" --no-build-isolation --no-deps .)
    rm -rf "$BUILD"
  fi
  say "xtcocotools from its sdist"
  "${PIP[@]}" --no-build-isolation --no-deps "xtcocotools==1.14.3"
  say "runtime dependencies, mmengine, mmdet, mmpose"
  "${PIP[@]}" addict pyyaml rich termcolor yapf json_tricks munkres opencv-python-headless \
    scipy matplotlib pycocotools shapely terminaltables six
  # --no-deps: they ask for opencv-python, the headless build is the same cv2
  "${PIP[@]}" --no-deps "mmengine==0.10.7" "mmdet==3.3.0" "mmpose==1.3.2"
  say "import check"
  (cd "$ROOT" && PYTHONPATH="$ROOT" "$VENV/bin/python" -c "import torch, mmcv.ops, mmengine, \
mmdet, mmpose.models, mmmar; from mmmar.utils import register_all_modules; \
register_all_modules(); print('[gpu_check] ok: mmcv', mmcv.__version__, 'mmpose', \
__import__('mmpose').__version__)")
fi

if [ "$RUN" = 1 ]; then
  mkdir -p "$RESULTS"
  need_gpu_venv
  cd "$ROOT"
  say "benchmark: MAR, 832x512, batch 1 (3 and 20 people) and 32, fp32 and fp16"
  PYTHONPATH="$ROOT" "$PY" tools/analysis_tools/benchmark.py --device cuda --methods mar \
    --people 3 20 --precision fp32 fp16 --warmup 20 --runs 50 --batch-sizes 1 32 \
    --out "$RESULTS/gpu_bench.json" | tee "$RESULTS/gpu_bench.md"
  say "goals of issue 12"
  PYTHONPATH="$ROOT" "$PY" tools/analysis_tools/gpu_goals.py "$RESULTS/gpu_bench.json" \
    | tee -a "$RESULTS/gpu_bench.md"
  say "fp32 against float16 on the shipped trained model (small v2 config, 256x256)"
  PYTHONPATH="$ROOT" "$PY" tools/analysis_tools/benchmark.py --device cuda --methods mar \
    --config configs/mar_hrnet-small_synthetic-v2-256x256.py --input-size 256 256 \
    --people 3 20 --fp16 --warmup 5 --runs 10 --no-decoder-compare \
    --checkpoint demo/checkpoints/mar_hrnet-small_synthetic-v2-256x256.pth \
    --out "$RESULTS/gpu_fp16_trained.json" | tee "$RESULTS/gpu_fp16_trained.md"
fi
