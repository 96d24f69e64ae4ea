#!/usr/bin/env bash
# Runs on the GPU machine, in the project root, after bench/device/prepare.sh filled .device/
# (see docs/benchmarks.md). PyTorch and DJL alternate twice on the same GPU, then the comparison
# table is printed. Results land in $OUT or /tmp/bench-out.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${OUT:-/tmp/bench-out}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
rounds=${ROUNDS:-21}
gpu() { nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,clocks.mem,temperature.gpu,power.draw --format=csv,noheader; }
echo "# $(gpu)"
for i in 1 2; do
  python3 "$root/bench/src/main/python/torch_forward.py" run --rounds "$rounds" --out "$out/torch$i.json"
  bash "$root/.device/run.sh" io.github.djlprecision.bench.GpuForwardBench --rounds "$rounds" --out "$out/djl$i.json"
done
echo "# $(gpu)"
python3 "$root/bench/src/main/python/torch_forward.py" compare "$out"/djl*.json -- "$out"/torch*.json | tee "$out/compare.md"
