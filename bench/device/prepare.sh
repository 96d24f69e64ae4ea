#!/usr/bin/env bash
# Run on a machine with a JDK 17 and Maven, in the project root. Packs what the GPU machine needs
# to run this project's Java code when it has PyTorch (pip or conda), CMake and a C++ compiler,
# but no Java, no Maven and no network, into the git-ignored folder .device/:
#   .device/jre.tgz      a jlink'd Java 17 runtime WITH its header files (include/jni.h), so that it
#                        serves as JAVA_HOME for gpu-setup/build-djl-jni.sh there (about 26 MB;
#                        uncompressed modules gzip smaller than jlink's own compression)
#   .device/cp/          the project's jars and their runtime dependencies, without the CPU
#                        LibTorch (pytorch-native-cpu, 111 MB) and the test-only ArchUnit
#                        (about 23 MB in all); docs-test-classes/ holds the
#                        documentation's snippets (the README quick start), bench-classes/ the
#                        GPU benchmarks, pytorch-test-classes/ the PyTorch engine's CUDA checks
#                        (CudaSpeedProbe, CudaAutocastProbe)
#   .device/djl-src/     DJL v0.36.0's PyTorch JNI sources (the part gpu-setup/build-djl-jni.sh
#                        builds), with the JNI header generated here (the GPU machine has no javac)
#   .device/run.sh       bench/device/run.sh: bash .device/run.sh MAIN_CLASS [ARGS...] there
#
# Usage: bash bench/device/prepare.sh --djl-src DIR
#   DIR: a checkout of DJL at tag v0.36.0 (git clone --branch v0.36.0 --depth 1
#   https://github.com/deepjavalibrary/djl.git), or a copy of its engines/pytorch/pytorch-native
#   and api/src/main/native folders.
# Then copy the working tree with .device/ to the GPU machine, and there run bench/device/gpu-setup-session.sh
# (the set-up as the README documents it) or bash .device/run.sh MAIN_CLASS.
set -euo pipefail
[ "${1:-}" = --djl-src ] && [ -n "${2:-}" ] || { echo "Usage: bash bench/device/prepare.sh --djl-src DIR" >&2; exit 2; }
djl=$(cd "$2" && pwd)
native=engines/pytorch/pytorch-native
header=$native/build/include/ai_djl_pytorch_jni_PyTorchLibrary.h
java_src=engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java
[ -f pom.xml ] && [ -d gpu-setup ] || { echo "run this in the project root" >&2; exit 2; }
out=.device
rm -rf "$out/cp" "$out/djl-src"
mkdir -p "$out/cp"

# the jars: every module the GPU runs need, with their dependencies (test scope for the snippets)
mvn -B -q -pl compat-tests,docs,bench -am -DskipTests package dependency:copy-dependencies \
  -DincludeScope=test \
  -DexcludeArtifactIds=pytorch-native-cpu,tensorflow-core-native,archunit,archunit-junit5,archunit-junit5-api,archunit-junit5-engine,archunit-junit5-engine-api,junit-jupiter-params \
  -DoutputDirectory="$PWD/$out/cp"
for module in djl-precision engines/pytorch breaker engines/tensorflow compat-tests; do
  cp "$module"/target/*-SNAPSHOT.jar "$out/cp/" 2>/dev/null || true
done
rm -f "$out"/cp/*-sources.jar "$out"/cp/*-javadoc.jar "$out"/cp/*-tests.jar
cp -r docs/target/test-classes "$out/cp/docs-test-classes"
cp -r bench/target/classes "$out/cp/bench-classes"
cp -r engines/pytorch/target/test-classes "$out/cp/pytorch-test-classes"

# a Java runtime that is also a JDK enough for jni.h (no --no-header-files)
if [ ! -f "$out/jre.tgz" ]; then
  tmp=$(mktemp -d)
  jlink --add-modules java.base,java.desktop,java.logging,java.management,java.naming,java.sql,java.xml,jdk.unsupported,jdk.zipfs \
    --strip-debug --no-man-pages --compress=0 --output "$tmp/jre"
  test -f "$tmp/jre/include/jni.h" && test -f "$tmp/jre/include/linux/jni_md.h"
  tar czf "$out/jre.tgz" -C "$tmp" jre
  rm -rf "$tmp"
fi

# DJL's JNI sources: only what the build uses; the header made here, where javac is
mkdir -p "$out/djl-src/$native/build/include" "$out/djl-src/api/src/main/native"
cp -r "$djl/$native/CMakeLists.txt" "$djl/$native/src" "$out/djl-src/$native/"
cp -r "$djl/api/src/main/native/djl" "$out/djl-src/api/src/main/native/"
if [ -f "$djl/$header" ]; then
  cp "$djl/$header" "$out/djl-src/$header"
else
  tmp=$(mktemp -d)
  javac -h "$out/djl-src/$native/build/include" -d "$tmp" "$djl/$java_src"
  rm -rf "$tmp"
fi
[ -f "$djl/LICENSE" ] && cp "$djl/LICENSE" "$out/djl-src/"
(cd "$out/djl-src" && grep -v "$java_src" "$OLDPWD/gpu-setup/djl-v0.36.0-jni-sources.sha256" | sha256sum -c --quiet -)

cp bench/device/run.sh "$out/run.sh"
du -sh "$out" "$out"/*
