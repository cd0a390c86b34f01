#!/usr/bin/env bash
# Prepare, on a machine WITH network access, the folder of wheels that
# tools/analysis_tools/gpu_check.sh installs on a GPU machine WITHOUT network (issue 12):
# Python 3.12, Linux x86_64, a recent torch already installed there, no OpenMMLab packages.
#
#   tools/analysis_tools/gpu_check_prepare.sh [DIR]     (default: work_dirs/gpu_check_wheels)
#
# DIR receives: the mmcv 2.1.0 sdist (built there without ops, MMCV_WITH_OPS=0: MAR and the
# mmpose modules it uses need no mmcv op; mmpose's optional imports of mmcv.ops are guarded),
# mmengine, mmpose and the runtime dependencies of the three and of mmmar as cp312
# manylinux wheels (not torch). Split into parts below the 64 MiB of ignored paths that the
# device runner carries per call.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DIR="${1:-$ROOT/work_dirs/gpu_check_wheels}"
PY="${PYTHON:-python3}"
mkdir -p "$DIR"
PIP=("$PY" -m pip --disable-pip-version-check download -q -d "$DIR")
BIN=(--only-binary=:all: --python-version 3.12 --implementation cp --abi cp312
     --platform manylinux2014_x86_64 --platform manylinux_2_17_x86_64
     --platform manylinux_2_28_x86_64)

echo "[gpu_check_prepare] sdists (mmcv 2.1.0; xtcocotools 1.14.3, which has no cp312 wheel) -> $DIR"
"${PIP[@]}" --no-deps --no-binary :all: "mmcv==2.1.0" "xtcocotools==1.14.3"
echo "[gpu_check_prepare] OpenMMLab wheels (no dependencies: listed below)"
"${PIP[@]}" --no-deps "${BIN[@]}" "mmengine==0.10.7" "mmpose==1.3.2" "mmdet==3.3.0"
echo "[gpu_check_prepare] runtime and build dependencies (cp312 wheels)"
# mmengine / mmcv: addict, pyyaml, rich, termcolor, yapf, matplotlib, opencv; mmpose:
# json_tricks, munkres, xtcocotools (built there: cython), scipy; mmpose.models imports
# mmdet: pycocotools, shapely, terminaltables; mmmar: scipy.
if ! "${PIP[@]}" "${BIN[@]}" addict pyyaml rich termcolor yapf json_tricks munkres \
    "opencv-python-headless>=4.7,<4.11" "scipy>=1.10" "matplotlib>=3.7" pycocotools shapely \
    terminaltables six cython "numpy<2.3" pillow "setuptools>=77,<81" wheel ninja; then
  echo "[gpu_check_prepare] FAILED: a cp312 wheel is missing (see above)" >&2; exit 1
fi
# (numpy, pillow, packaging and setuptools < 81 included: a torch installation does not
# require them; mmcv's setup.py and mmengine import pkg_resources)
# Parts below the 64 MiB that the device runner carries per call (first fit, largest
# first): carry each part in turn; gpu_check.sh --stash PART keeps it on the device
# (work_dirs/gpu_wheels, ignored, kept while the machine stays warm), the last call
# installs from everything and measures.
"$PY" - "$DIR" <<'PYEOF'
import os, shutil, sys
root = sys.argv[1]
files = sorted((f for f in os.listdir(root) if f.endswith(('.whl', '.tar.gz'))),
               key=lambda f: -os.path.getsize(os.path.join(root, f)))
limit, parts = 60 * 2**20, []
for f in files:
    size = os.path.getsize(os.path.join(root, f))
    for part in parts:
        if part[0] + size <= limit:
            part[0] += size
            part[1].append(f)
            break
    else:
        parts.append([size, [f]])
for i, (size, names) in enumerate(parts, 1):
    d = os.path.join(root, f'part{i}')
    os.makedirs(d, exist_ok=True)
    for f in names:
        shutil.move(os.path.join(root, f), d)
    print(f'[gpu_check_prepare] {d}: {size / 2**20:.1f} MiB, {len(names)} files')
PYEOF
