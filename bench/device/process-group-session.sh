#!/usr/bin/env bash
# One call on a one-GPU machine (device kind nvidia-h100-x1 or nvidia-h200), from the checkout's
# root, with .device prepared as bench/README.md says (its jars include djl-precision-distributed)
# and Gloo's shared libraries beside it, copied from a Debian/Ubuntu machine with libgloo0:
#   mkdir -p .device/gloo && cp -L $(ldd distributed/target/classes/native/linux-x86_64/libdjlp_gloo.so \
#       | awk '/gloo|hiredis|ibverbs|libnl/ {print $3}') .device/gloo/
# Carry .device. Everything lands in $OUT (session.log, every process's raw output, summary.txt):
#   1. the cost of the process-group path at world size 1 against the single-process trainer:
#      GpuTrainBench side library (PrecisionTrainer.newTrainer(model, config, precision)) and side
#      library-process-group (the same with ProcessGroupTopology, started by bin/djlp-run
#      --nproc-per-node 1), 16-mixed, MLP and ResNet-50, each configuration in its own process,
#      interleaved three times; summary.txt gives the median ms/step of each and their ratio
#      (target: process group <= 1.02 x single process);
#   2. two processes sharing the GPU through the process group (Gloo over host copies: NCCL refuses
#      two ranks on one GPU), ResNet-50 16-mixed, batch 64 each, each rank with its own random
#      weights and data (--seed 42 + RANK): both ranks' RESULT lines must show the same steps,
#      skipped steps, loss scale and weights_sum (rank 0's weights broadcast, one averaged update),
#      and no process may fail.
# Time limits keep the whole call under the device's 600 s.
set -uo pipefail
out=${OUT:?OUT must name the folder to write to}
export LD_LIBRARY_PATH="$PWD/.device/gloo${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
export DJL_OFFLINE=true OPT_OUT_TRACKING=true
log() { echo "[$(date -u +%H:%M:%S)] $*" | tee -a "$out/session.log"; }
bench=io.github.djlprecision.bench.GpuTrainBench
start=$SECONDS
port=29500

{
    nvidia-smi --query-gpu=index,name,memory.total --format=csv
    # the process group finds CPU arrays' memory through LibTorch's DLPack export
    torch_lib=$(python3 -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
    echo "at::toDLPack(Tensor const&) exported: $(nm -D --defined-only "$torch_lib/libtorch_cpu.so" \
        | grep -c ' _ZN2at8toDLPackERKNS_6TensorE$')"
    ldd "$PWD/.device/gloo/libgloo.so.0" 2>&1 | grep -i 'not found' || echo "Gloo's libraries resolve"
} > "$out/gpu.txt" 2>&1
for rep in 1 2 3; do
    for model in mlp resnet50; do
        steps=$([ "$model" = mlp ] && echo 200 || echo 60)
        log "rep $rep $model single process"
        timeout 120 bash .device/run.sh "$bench" --model "$model" --side library \
            --precision 16-mixed --seed 42 --steps "$steps" --warmup 10 \
            >> "$out/single-$model.log" 2>&1
        log "rep $rep $model single process exit $?"
        port=$((port + 1))
        log "rep $rep $model process group, world size 1"
        timeout 150 bin/djlp-run --nproc-per-node 1 --master-port "$port" \
            bash .device/run.sh "$bench" --model "$model" --side library-process-group \
            --precision 16-mixed --seed 42 --steps "$steps" --warmup 10 \
            >> "$out/group1-$model.log" 2>&1
        log "rep $rep $model process group exit $?"
    done
done
log "world size 1 done at $((SECONDS - start)) s"

port=$((port + 1))
log "two processes on one GPU, resnet50 16-mixed, batch 64 each"
timeout 240 bin/djlp-run --nproc-per-node 2 --master-port "$port" \
    bash .device/run.sh "$bench" --model resnet50 --side library-process-group \
    --precision 16-mixed --seed 42 --batch 64 --steps 30 --warmup 5 \
    > "$out/group2-resnet50.log" 2>&1
log "two processes exit $? at $((SECONDS - start)) s"

python3 - "$out" > "$out/summary.txt" 2>&1 << 'PY'
import json, statistics, sys, pathlib
out = pathlib.Path(sys.argv[1])
def results(name):
    rows = []
    for line in (out / name).read_text(errors="replace").splitlines():
        if line.startswith("RESULT "):
            rows.append(json.loads(line[len("RESULT "):]))
    return rows
for model in ("mlp", "resnet50"):
    single = [r["ms_per_step"] for r in results(f"single-{model}.log") if "ms_per_step" in r]
    group = [r["ms_per_step"] for r in results(f"group1-{model}.log") if "ms_per_step" in r]
    if not single or not group:
        print(f"{model}: missing results (single {len(single)}, group {len(group)})")
        continue
    s, g = statistics.median(single), statistics.median(group)
    print(f"{model} 16-mixed: single process {s:.3f} ms/step {single}, process group (world size 1)"
          f" {g:.3f} ms/step {group}, ratio {g / s:.4f} ({'<=' if g / s <= 1.02 else '>'} 1.02)")
two = results("group2-resnet50.log")
print(f"two processes on one GPU: {len(two)} RESULT lines")
for r in two:
    print(json.dumps(r))
PY
cat "$out/summary.txt"
