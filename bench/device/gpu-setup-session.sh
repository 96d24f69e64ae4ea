#!/usr/bin/env bash
# The README's GPU set-up, run exactly as documented on a GPU machine that has PyTorch from pip
# (here torch 2.11 with CUDA 13), CMake and a C++ compiler, but no Java, no Maven and no network:
#   1. gpu-setup/build-djl-jni.sh from the checkout, against the machine's python3 torch, into an
#      empty folder; its checksum and the environment it printed;
#   2. `source` that environment, then the README quick start (snippets.QuickStart, 16-mixed) on
#      the GPU;
#   3. RecommendPrecision (the advice for this machine, compute capability read through CUDA);
#   4. the main job on the GPU, PyTorch engine: MainJob --devices=gpu --engines=pytorch.
# Everything goes to $OUT/gpu-setup-session.log (and the main job's report.md beside it), about
# 5 to 8 minutes, under 9 by the time limits below.
#
# Prepared on a machine with a JDK 17 and Maven, in the project root:
#   bash bench/device/prepare.sh --djl-src DIR   # DIR: DJL at tag v0.36.0 (see gpu-setup/README.md)
# which builds the jars without the CPU LibTorch and packs .device/ (a jlink'd Java runtime with
# jni.h, the jars, DJL's JNI sources; about 48 MB). Copy .device/ with the working tree to the
# GPU machine; there, in the project root:
#   bash bench/device/gpu-setup-session.sh
# The committed log of this run is docs/notes/gpu-setup-session.log.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
out=${OUT:-/tmp/gpu-setup-out}
work=/tmp/gpu-setup
rm -rf "$work"
mkdir -p "$out" "$work"
exec > >(tee "$out/gpu-setup-session.log") 2>&1
start=$SECONDS
step() { echo; echo "=== [$(date -u +%H:%M:%S), $((SECONDS - start)) s] $*"; }

step "machine"
nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv
python3 -c 'import torch, sys; print("python", sys.version.split()[0], "torch", torch.__version__, "CUDA", torch.version.cuda, "GPUs", torch.cuda.device_count())'
cmake --version | head -1
c++ --version | head -1
command -v java mvn || echo "no java, no mvn on PATH (as expected)"
# DJL looks for its JNI in torch/lib before its engine cache: a copy an older kit left there
# would shadow the one built below, so none may be there
torch_lib=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), "lib"))')
for stale in "$torch_lib"/*djl_torch*; do
  [ ! -e "$stale" ] || { echo "removing $stale, left by an earlier set-up"; rm -f "$stale"; }
done

step "Java runtime (jlink'd, with include/jni.h), used as JAVA_HOME"
tar xzf .device/jre.tgz -C "$work"
export JAVA_HOME=$work/jre
"$JAVA_HOME/bin/java" -version 2>&1 | head -1

jni=$work/djl-jni
step "gpu-setup/build-djl-jni.sh --djl-src .device/djl-src --out $jni"
echo "output folder before: $(ls -A "$jni" 2>/dev/null | wc -l) entries (absent or empty)"
timeout 300 bash gpu-setup/build-djl-jni.sh --djl-src .device/djl-src --out "$jni"
rc=$?
echo "build-djl-jni.sh exit $rc"
[ $rc -eq 0 ] || { step "stopped: the JNI build failed"; exit 1; }

step "checksum and environment"
sha256sum "$jni/libdjl_torch.so"
cat "$jni/djl-env.sh"
find "$jni" -maxdepth 4 \( -type l -o -name '*.so' \) -printf '%p -> %l\n'

step "source $jni/djl-env.sh"
# shellcheck disable=SC1091
source "$jni/djl-env.sh"
env | grep -E '^(PYTORCH_|ENGINE_CACHE_DIR|LD_LIBRARY_PATH|DJL_OFFLINE|OPT_OUT)' | sort
echo "DJL JNI libraries in torch's own folder (nothing copied there): $(ls "$PYTORCH_LIBRARY_PATH" | grep -c djl_torch)"
cp=$(find .device/cp -mindepth 1 -maxdepth 1 \( -name '*.jar' -o -type d \) | sort | tr '\n' ':')

step "README quick start: java snippets.QuickStart (16-mixed)"
timeout 150 "$JAVA_HOME/bin/java" -cp "$cp" -Dorg.slf4j.simpleLogger.defaultLogLevel=info \
  -Dorg.slf4j.simpleLogger.log.ai.djl.pytorch.jni.LibUtils=debug snippets.QuickStart
echo "QuickStart exit $?"

step "the precision this library recommends for this machine: java RecommendPrecision"
timeout 60 "$JAVA_HOME/bin/java" -cp "$cp" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  io.github.djlprecision.pytorch.RecommendPrecision
echo "RecommendPrecision exit $?"

left=$((525 - (SECONDS - start)))
step "main job on the GPU: MainJob --devices=gpu --engines=pytorch (time limit ${left} s)"
timeout "$left" "$JAVA_HOME/bin/java" -cp "$cp" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  io.github.djlprecision.compat.mainjob.MainJob --devices=gpu --engines=pytorch \
  --out="$work/compat-report"
echo "MainJob exit $?"
cp "$work/compat-report/report.md" "$out/gpu-setup-main-job-report.md" 2>/dev/null || true
step "done"
exec >&- 2>&-
sleep 1  # lets tee write the last lines
