#!/usr/bin/env bash
# The checks that need a CUDA GPU, as one script for a GPU machine (torch there, no Qt needed):
#   the CUDA tests, a short headless run with and without the opt-in levers (--bf16, --compile), and the bench's
#   engine figures with the 20-epoch loss run (docs/performance.md, "CUDA GPU").
# Usage, from the repository's root: OUT=folder bash tools/gpu_check.sh
#   (wheels in .whl/, e.g. platformdirs on a machine without a network, are installed first if present)
set -u
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
if compgen -G ".whl/*.whl" >/dev/null; then
  SITE=$(mktemp -d)
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" .whl/*.whl
  export PYTHONPATH=$SITE:$PWD
else
  export PYTHONPATH=$PWD
fi
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm,clocks.max.sm --format=csv
python3 -c "import torch, torchvision; print('torch', torch.__version__, 'torchvision', torchvision.__version__, 'cuda', torch.version.cuda)"
nproc

echo "== CUDA tests"
timeout 170 python3 -m pytest -q -p no:cacheprovider -o addopts="" tests/core/training/test_engine_cuda.py tests/core/training/test_engine.py \
  2>&1 | tee "$OUT/tests.log" | tail -25

echo "== headless train on cuda"
timeout 60 python3 -m core train --device cuda --epochs 2 --out "$OUT/gpu.safetensors" 2>&1 | tail -4

echo "== headless train on cuda with the levers (--bf16 --compile; the first compile takes seconds)"
timeout 120 python3 -m core train --device cuda --epochs 2 --bf16 --compile --out "$OUT/gpu-levers.safetensors" \
  2>&1 | tail -4

echo "== bench (engine figures, loss run)"
timeout 200 python3 -m core bench --no-gui --loss-run --device cuda --json "$OUT/bench.json" \
  > "$OUT/bench.txt" 2> "$OUT/bench.err"
echo "bench exit $?"; tail -5 "$OUT/bench.err"

echo "== bench table"
cat "$OUT/bench.txt"
