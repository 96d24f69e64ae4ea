#!/usr/bin/env bash
# One run on a machine with two H200 GPUs, from the checkout's root, with
# .device prepared here (see bench/README.md) and copied with the tree. Everything lands in $OUT/results.tgz
# (the device returns few files):
#   1. the README quick start, unchanged (16-mixed), and the Several GPUs snippet (bf16-mixed) on
#      both GPUs: quickstart-2gpu.log;
#   2. the multi suite (1 against 2 GPUs, loss trajectories): multi-mlp-resnet50.{log,json,md};
#   3. then, at once and each configuration in its own process: BERT training on GPU 0, and the
#      inference suite (ResNet-50, then BERT) on GPU 1; memory is sampled per GPU
#      (CUDA_VISIBLE_DEVICES, in nvidia-smi's order).
# Several JVMs may start at once only with a .device/run.sh that leaves the JNI library in place
# when it is unchanged (a copy over a library another JVM has mapped kills that JVM: SIGBUS).
# Time limits keep the whole call under the device's 600 s.
set -uo pipefail
res=/tmp/results
mkdir -p "$res"
export CUDA_DEVICE_ORDER=PCI_BUS_ID
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$res/session.log"; }
start=$SECONDS
{
  nvidia-smi --query-gpu=index,name,memory.total --format=csv
  for snippet in QuickStart SeveralGpus; do
    log "snippets.$snippet"
    timeout 90 bash .device/run.sh -Dorg.slf4j.simpleLogger.defaultLogLevel=info \
      -Dorg.slf4j.simpleLogger.log.ai.djl=warn "snippets.$snippet"
    log "snippets.$snippet exit $?"
  done
} > "$res/quickstart-2gpu.log" 2>&1
log "snippets done at $((SECONDS - start)) s"
python3 bench/device/gpu-bench.py --suites multi --models mlp,resnet50 --out "$res" \
  --budget-s 250 --hard-limit-s 280 > "$res/multi-console.log" 2>&1
log "multi done at $((SECONDS - start)) s"
left=$((570 - (SECONDS - start)))
CUDA_VISIBLE_DEVICES=0 python3 bench/device/gpu-bench.py --suites train --models bert \
  --exclude 'torch-fused/(32|16)-true|library-unfused|plain-autocast' \
  --out "$res" --budget-s $((left - 25)) --hard-limit-s "$left" > "$res/train-bert-console.log" 2>&1 &
(
  for model in resnet50 bert; do
    now=$((570 - (SECONDS - start)))
    CUDA_VISIBLE_DEVICES=1 python3 bench/device/gpu-bench.py --suites infer --models "$model" \
      --out "$res" --budget-s $((now - 25)) --hard-limit-s "$now" > "$res/infer-$model-console.log" 2>&1
  done
) &
wait
log "all done at $((SECONDS - start)) s"
tar czf "$OUT/results.tgz" -C "$res" .
