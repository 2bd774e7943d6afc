#!/usr/bin/env bash
# The checks that need a CUDA GPU, as one script for a lent GPU machine (torch there, no Qt):
#   the CUDA tests, the bench's engine figures with the 20-epoch loss run, and tools/gpu_explore.py.
# Usage: OUT=folder bash tools/gpu_check.sh   (platformdirs wheels in .whl/ are installed first if present)
set -u
OUT=${OUT:-out/gpu}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site:$PWD
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
timeout 60 python3 -m core.commands.main train --device cuda --epochs 2 --out /tmp/gpu.safetensors 2>&1 | tail -4

echo "== bench (engine figures, loss run)"
timeout 200 python3 -m core.commands.main bench --no-gui --loss-run --device cuda --json "$OUT/bench.json" \
  > "$OUT/bench.txt" 2> "$OUT/bench.err"
echo "bench exit $?"; tail -5 "$OUT/bench.err"

echo "== levers"
timeout 120 python3 tools/gpu_explore.py --json "$OUT/explore.json" 2>&1 | tee "$OUT/explore.txt"

echo "== bench table"
cat "$OUT/bench.txt"
