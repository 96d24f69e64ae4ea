#!/usr/bin/env bash
# The follow-up call on the two-H200 machine after h200-x2-session.sh, for what changed since:
# the CUDA probes (the logic of the GPU-only tests), the library's several-GPU rows again (each
# device's backward on its own thread, the seed gradient and loss scale made on each device), and
# the DJL side of BERT again (Linear weights initialised as the twin's; composed from DJL
# containers), training on GPU 0 and inference on GPU 1 at once. The PyTorch rows and plain DJL's
# are unchanged code and stay those of h200-x2-session.sh. Everything lands in $OUT/results.tgz.
set -uo pipefail
res=/tmp/results
mkdir -p "$res"
export CUDA_DEVICE_ORDER=PCI_BUS_ID
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$res/session.log"; }
start=$SECONDS
for probe in CudaAutocastProbe CudaWeightConversionProbe; do
  log "$probe"
  CUDA_VISIBLE_DEVICES=0 timeout 60 bash .device/run.sh -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
    "io.github.djlprecision.pytorch.$probe" >> "$res/cuda-probes.log" 2>&1
  log "$probe exit $?"
done
python3 bench/device/gpu-bench.py --suites multi --models mlp,resnet50 --out "$res" \
  --only '/library/' \
  --budget-s 185 --hard-limit-s 200 > "$res/multi-console.log" 2>&1
log "multi done at $((SECONDS - start)) s"
left=$((340 - (SECONDS - start)))
CUDA_VISIBLE_DEVICES=0 python3 bench/device/gpu-bench.py --suites train --models bert \
  --only 'library/|plain-autocast' --exclude 'library/16-true|O2' \
  --out "$res" --budget-s $((left - 20)) --hard-limit-s "$left" > "$res/train-bert-console.log" 2>&1 &
CUDA_VISIBLE_DEVICES=1 python3 bench/device/gpu-bench.py --suites infer --models bert \
  --only 'djl/' --exclude '16-true' \
  --out "$res" --budget-s $((left - 20)) --hard-limit-s "$left" > "$res/infer-bert-console.log" 2>&1 &
wait
log "all done at $((SECONDS - start)) s"
tar czf "$OUT/results.tgz" -C "$res" .
