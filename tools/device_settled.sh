set -u
mkdir -p "$OUT"; export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 CUDA_VISIBLE_DEVICES=""
python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/site .whl/*.whl 2>&1 | tail -2
export PYTHONPATH=/tmp/site:$PWD
timeout 150 python3 tools/cpu_threads.py --settle-steps 400 --json "$OUT/threads-settled.json" > "$OUT/threads-16core-5-settled.txt" 2>&1; echo "exit $?"
tail -9 "$OUT/threads-16core-5-settled.txt"
