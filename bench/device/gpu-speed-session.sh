#!/usr/bin/env bash
# One call on a one-GPU CUDA machine (H100 or H200), from the checkout's root, with .device
# prepared here and carried:
#
#   bash bench/device/prepare.sh --djl-src DIR   # DIR: DJL at tag v0.36.0 (see gpu-setup/README.md)
#   device call: carry [".device"], command "bash bench/device/gpu-speed-session.sh --budget-s 530"
#
# What it runs, each step in its own process under `timeout` (a process killed by a signal is
# logged with the signal's name: SIGABRT is a C++ exception that reached the JVM):
#   1. CudaSpeedProbe, one JVM per group (fused, channels-last, layouts, serving): a fused 16-true /
#      O3 SGD step equals the unfused one within fp16 rounding and skips an inf step
#      bit-identically; channels-last by default with fused SGD momentum trains in 16-mixed,
#      bf16-mixed, 16-true and O2 without abort, its 4-D parameters (and O2's working copies)
#      really channels-last, weights as with channels-last off; fused Adam; 32-true untouched;
#      serving; a fused step given a channels-last parameter with a default-format gradient;
#      DJL's LSTM and GRU in the 16-bit precisions, counting LibTorch's "RNN module weights are
#      not part of single contiguous chunk of memory" warnings per run (5 steps each).
#      One "PASS name: ..." or "FAIL name: ..." line per check, in cuda-speed-probes.log.
#   2. The training benchmark, each configuration in its own process (gpu-bench.py): ResNet-50
#      (32-true, 16-mixed, bf16-mixed, 16-true) as the library's default (channels-last on in
#      16-bit), the library with channels-last off, PyTorch eager at its defaults and with every
#      opt-in (channels_last, cudnn.benchmark, SGD(fused=True)); the MLP in 16-true (library,
#      PyTorch eager, fused, all opt-ins); then, in 16-mixed and bf16-mixed, PyTorch eager with one
#      opt-in each (channels_last, cudnn.benchmark, SGD(fused=True)). PyTorch rows add their
#      per-phase allocated peaks.
# Everything lands in $OUT/results.tgz; the probe log and the tables are also copied to $OUT.
set -uo pipefail
budget=530
while [ $# -gt 0 ]; do
  case "$1" in
    --budget-s)
      budget="${2:-}"
      shift 2 || { echo "--budget-s needs a number of seconds" >&2; exit 2; }
      ;;
    *)
      echo "unknown option '$1'; accepted: --budget-s SECONDS (default 530, at most the call's limit)" >&2
      exit 2
      ;;
  esac
done
case "$budget" in
  '' | *[!0-9]*) echo "--budget-s must be a whole number of seconds, got '$budget'" >&2; exit 2 ;;
esac
[ -f .device/run.sh ] || { echo ".device/run.sh missing: prepare .device and carry it (see this script's header)" >&2; exit 2; }
out=${OUT:-/tmp/gpu-speed-out}
res=/tmp/speed-results
mkdir -p "$res" "$out"
start=$SECONDS
left() { echo $((budget - (SECONDS - start))); }
log() { echo "[$(date -u +%H:%M:%S) +$((SECONDS - start))s] $*" | tee -a "$res/session.log"; }
exit_note() {
  local rc=$1
  if [ "$rc" -eq 124 ]; then echo "timed out"
  elif [ "$rc" -gt 128 ]; then echo "killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
  else echo "exit $rc"; fi
}

nvidia-smi --query-gpu=index,name,memory.total,driver_version --format=csv > "$res/gpu.txt" 2>&1
log "GPU: $(tail -n +2 "$res/gpu.txt" | head -1)"

# 1. probes: about 15-30 s each (JVM and CUDA start, small models)
for group in fused channels-last layouts serving rnn; do
  limit=$(( $(left) - 300 ))   # keep 300 s for the benchmark
  [ "$limit" -gt 120 ] && limit=120
  if [ "$limit" -lt 20 ]; then log "probe $group SKIPPED (budget)"; continue; fi
  echo "===== CudaSpeedProbe $group" >> "$res/cuda-speed-probes.log"
  timeout -k 5 "$limit" bash .device/run.sh -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    io.github.djlprecision.pytorch.CudaSpeedProbe "$group" >> "$res/cuda-speed-probes.log" 2>&1
  rc=$?
  echo "===== CudaSpeedProbe $group: $(exit_note $rc)" >> "$res/cuda-speed-probes.log"
  log "probe $group: $(exit_note $rc)"
done
grep -E '^(PASS|FAIL|ALL PASSED|FAILED)' "$res/cuda-speed-probes.log" | tee -a "$res/session.log"
# LibTorch's warning when cuDNN must compact an RNN's weights on a call, per LSTM/GRU run
awk '/^MARK begin/ {name = substr($0, 12); n = 0; next}
     /not part of single contiguous chunk/ {n++}
     /^MARK end/ {print "RNN weight-compaction warnings in " name ": " n}' \
  "$res/cuda-speed-probes.log" | tee -a "$res/session.log"

# 2. benchmark: configurations in order of importance, each in its own process
now=$(left)
if [ "$now" -gt 60 ]; then
  python3 bench/device/gpu-bench.py --suites train --models resnet50,mlp \
    --only 'resnet50/(library|library-nocl|torch|torch-all)/|resnet50/(torch-cl|torch-bench|torch-fused)/(16|bf16)-mixed$|mlp/(library|torch|torch-fused|torch-all)/16-true$' \
    --steps 20 --warmup 5 --memory-trace --tag speed-train \
    --out "$res" --budget-s $((now - 20)) --hard-limit-s $((now - 8)) > "$res/speed-train-console.log" 2>&1
  log "benchmark: $(exit_note $?)"
else
  log "benchmark SKIPPED (budget)"
fi

log "done at $((SECONDS - start)) s"
cp "$res/cuda-speed-probes.log" "$res/session.log" "$out/" 2>/dev/null
cp "$res"/speed-train.md "$out/" 2>/dev/null
tar czf "$out/results.tgz" -C "$res" .
