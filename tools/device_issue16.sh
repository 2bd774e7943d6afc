#!/usr/bin/env bash
# Issue 16's checks on a lent GPU machine, as one script (torch there, no Qt): the engine's 20 epochs of 60,000
# images with each opt-in GPU lever (tools/gpu_epochs.py), the per-thread-count CPU table on its 16-core host
# (tools/cpu_threads.py), and the CUDA tests. Usage: OUT=folder bash tools/device_issue16.sh
# Wheels in .whl/ (platformdirs, safetensors, pytest) are installed first when present.
set -u
OUT=${OUT:-out/device}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl 2>&1 | tail -2
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
{ nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv; nproc; lscpu | grep -m1 "Model name";
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"; } 2>&1 | tee "$OUT/machine.txt"

echo "== 20 epochs x 60,000 images, each lever"
timeout 250 python3 tools/gpu_epochs.py --json "$OUT/epochs.json" > "$OUT/epochs.txt" 2>&1; echo "exit $?"
cat "$OUT/epochs.txt" | grep -v Warning | tail -20

echo "== CPU thread table (GPU idle)"
timeout 170 python3 tools/cpu_threads.py --json "$OUT/threads.json" > "$OUT/threads.txt" 2>&1; echo "exit $?"
tail -22 "$OUT/threads.txt"

echo "== CUDA tests"
timeout 120 python3 -m pytest -q -p no:cacheprovider -o addopts="" tests/core/training/test_engine_cuda.py tests/core/training/test_gpu_levers.py \
  > "$OUT/tests.txt" 2>&1; echo "exit $?"
tail -15 "$OUT/tests.txt"
