#!/usr/bin/env bash
# The main job on a CUDA machine, PyTorch cells on the GPU only. Runs there, in the project root,
# with a Java runtime and the jars packed into the git-ignored .device/ (its run.sh takes a main
# class and its arguments). Pack them here first:
#
#   bash bench/device/prepare.sh --djl-src DIR   # DIR: DJL at tag v0.36.0 (see gpu-setup/README.md)
#
# device-deps leaves out the CPU libtorch and TensorFlow's natives: the TensorFlow engine stays on
# the class path without natives, which the job must survive (it is not selected here; the machine
# description names it "not loaded"). A runtime without fonts or libharfbuzz cannot draw the plots:
# the report is written without them and says why. The report and the log land in $OUT.
set -uo pipefail
out=${OUT:-/tmp/main-job-gpu}
mkdir -p "$out"
bash .device/run.sh io.github.djlprecision.compat.mainjob.MainJob \
    --out="$out/compat-report" --engines=PyTorch --devices=gpu 2>&1 | tee "$out/main-job.log"
status=${PIPESTATUS[0]}
echo "main job exit status: $status" | tee -a "$out/main-job.log"
ls -l "$out/compat-report" | tee -a "$out/main-job.log"
exit "$status"
