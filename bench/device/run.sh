#!/usr/bin/env bash
# Runs on the GPU machine, from the project root, after bench/device/prepare.sh filled .device/
# (copied there as .device/run.sh): bash .device/run.sh MAIN_CLASS [ARGS...]
# Unpacks the Java runtime, builds DJL's PyTorch JNI against the machine's PyTorch with the
# README's set-up script (gpu-setup/build-djl-jni.sh, once per machine: several JVMs may start at
# once and wait for one build), sources the environment it wrote, and starts Java.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${DEVICE_WORK:-/tmp/djl-device}
mkdir -p "$work"
(
  flock 9
  [ -x "$work/jre/bin/java" ] || tar xzf "$root/.device/jre.tgz" -C "$work"
  if [ ! -f "$work/djl-jni/djl-env.sh" ]; then
    rm -rf "$work/djl-jni"
    bash "$root/gpu-setup/build-djl-jni.sh" --djl-src "$root/.device/djl-src" \
      --java-home "$work/jre" --out "$work/djl-jni" >&2
  fi
) 9>"$work/.lock"
# shellcheck disable=SC1091
source "$work/djl-jni/djl-env.sh"
cp=$(find "$root/.device/cp" -mindepth 1 -maxdepth 1 \( -name '*.jar' -o -type d \) | sort | tr '\n' ':')
exec "$work/jre/bin/java" -cp "$cp" "$@"
