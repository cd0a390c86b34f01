#!/usr/bin/env bash
# The GPU script of issue 21 (section 6), for a CUDA machine lent for a few minutes, with no
# network: after tools/analysis_tools/gpu_check.sh has installed its venv (same session,
# machine still warm), in one call of under 10 minutes:
#
#   TRAIN_S=300 tools/analysis_tools/gpu_learning.sh
#
# 1. the paper model (configs/mar_hrnet-w32_muco.py, 832x512) at batch 8: one training step
#    (forward + backward + Adam) in fp32 and in AMP (float16 autocast + dynamic GradScaler, what
#    `tools/train.py --amp` does on a GPU), median time and peak memory
#    (tools/analysis_tools/train_step_bench.py, random inputs);
# 2. the synthetic benchmark v2 generated on the machine's CPUs (train/val/test and the extra
#    training split of the long config; two processes, about 90 s), while 1 runs;
# 3. the small v2 long config trained on the GPU with `--amp`, batch 8 as on the CPUs, 8 data
#    workers, for ITERS iterations (default 8000, its own schedule) or until TRAIN_S seconds
#    (default 300) have passed, a checkpoint every 500 iterations;
# 4. the last checkpoint tested on the v2 test split with tools/test.py (the MuPoTS protocol,
#    with the mean-pose guess and the perfect-map ceiling beside it).
# Compare with the CPU run of the same config (docs/learning.md: val PCK_rel_all 24.8 / 29.0 /
# 33.9 / 36.5 at 2k / 4k / 6k / 8k iterations; test 38.3, guess 25.6, ceiling 76.2).
# Output: $OUT (the device runner's folder) or work_dirs/gpu_learning/: step.json, train/
# (logs, scalars), test.log, summary.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/gpu_env.sh"  # ROOT, VENV, PY, need_gpu_venv
RESULTS="${OUT:-$ROOT/work_dirs/gpu_learning}"
ITERS="${ITERS:-8000}"
TRAIN_S="${TRAIN_S:-300}"
CONFIG=configs/mar_hrnet-small_synthetic-v2-long-256x256.py
say() { echo "[gpu_learning] $(date +%T) $*" >&2; }

cd "$ROOT"
export PYTHONPATH="$ROOT"
mkdir -p "$RESULTS"
need_gpu_venv

say "2. synthetic benchmark v2 (background)"
GEN=()
[ -f data/synthetic_v2/annotations/synthetic_test.json ] || {
  "$PY" tools/misc/generate_synthetic.py data/synthetic_v2 --preset v2 \
    > "$RESULTS/gen_v2.log" 2>&1 & GEN+=($!); }
[ -f data/synthetic_v2_extra/annotations/synthetic_train.json ] || {
  "$PY" tools/misc/generate_synthetic.py data/synthetic_v2_extra --preset v2 --seed 2 \
    --num-images 8000 --num-sequences 200 --num-val-sequences 0 --num-test-sequences 1 \
    > "$RESULTS/gen_extra.log" 2>&1 & GEN+=($!); }

say "1. paper model, batch 8, 832x512: training step, fp32 and AMP (fp16)"
"$PY" tools/analysis_tools/train_step_bench.py configs/mar_hrnet-w32_muco.py --device cuda \
  --batch-size 8 --precisions fp32 fp16 --warmup 3 --runs 10 --out "$RESULTS/step.json" \
  2>&1 | tee "$RESULTS/step.log"

for p in "${GEN[@]}"; do wait "$p" || { say "data generation failed (see $RESULTS/gen_*.log)"; exit 4; }; done
say "3. small v2 long config on the GPU, --amp, up to $ITERS iterations or ${TRAIN_S} s"
timeout --signal=INT "$TRAIN_S" "$PY" tools/train.py "$CONFIG" --amp \
  --work-dir "$RESULTS/train" --cfg-options train_cfg.max_iters="$ITERS" \
  train_cfg.val_interval=100000 train_dataloader.num_workers=8 \
  train_dataloader.persistent_workers=True default_hooks.checkpoint.interval=500 \
  default_hooks.checkpoint.max_keep_ckpts=2 > "$RESULTS/train.log" 2>&1
say "training ended (status $?): $(grep -o 'Iter(train) \[ *[0-9]*/[0-9]*\].*time: [0-9.]*' \
  "$RESULTS/train.log" | tail -n1)"
CKPT="$(cat "$RESULTS/train/last_checkpoint" 2>/dev/null)"
[ -f "$CKPT" ] || { say "no checkpoint was saved"; exit 5; }

say "4. test $CKPT on the v2 test split"
"$PY" tools/test.py "$CONFIG" "$CKPT" --work-dir "$RESULTS/test" 2>&1 | tail -n 25 \
  | tee "$RESULTS/test.log"
{ echo "checkpoint: $CKPT"; cat "$RESULTS/step.log"; tail -n 12 "$RESULTS/test.log"; } \
  > "$RESULTS/summary.txt"
say "done: $RESULTS/summary.txt"
