#!/usr/bin/env bash
# Issue 16's second device visit, as one script (CPU only; torch there, no Qt): what denormal gradients cost the
# lecture's network on a 16-core host (tools/denormal_cost.py), then the per-thread-count table again with the
# engine's teams flushing denormals (tools/cpu_threads.py), twice. Usage: OUT=folder bash tools/device_denormals.sh
set -u
OUT=${OUT:-out/device}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 CUDA_VISIBLE_DEVICES=""
if compgen -G ".whl/*.whl" >/dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl 2>&1 | tail -2
  export PYTHONPATH=/tmp/site:$PWD
else
  export PYTHONPATH=$PWD
fi
{ nproc; lscpu | grep -m1 "Model name"; python3 -c "import torch; print('torch', torch.__version__)"; } 2>&1 | tee "$OUT/machine.txt"

echo "== denormal cost per layer, 1 and 4 threads"
timeout 100 python3 tools/denormal_cost.py --steps 30 300 1000 --threads 1 > "$OUT/denormal-cost-1.txt" 2>&1; echo "exit $?"
timeout 60 python3 tools/denormal_cost.py --steps 300 --threads 4 > "$OUT/denormal-cost-4.txt" 2>&1; echo "exit $?"
grep -E "after|all convs|decoder" "$OUT"/denormal-cost-*.txt

for run in 1 2; do
  echo "== CPU thread table, run $run"
  timeout 170 python3 tools/cpu_threads.py --json "$OUT/threads-$run.json" > "$OUT/threads-$run.txt" 2>&1; echo "exit $?"
  tail -9 "$OUT/threads-$run.txt"
done
