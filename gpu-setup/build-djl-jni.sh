#!/usr/bin/env bash
# Builds DJL 0.36.0's PyTorch JNI (libdjl_torch.so) against the PyTorch installed on this machine
# (pip or conda; CUDA or CPU), from DJL's own sources at tag v0.36.0, into an empty folder, and
# writes the environment DJL needs to load that PyTorch with it (djl-env.sh, to `source`).
# README.md beside this script says why and how; `--help` lists the options.
#
# Exit status: 0 built (or, with --check, every prerequisite found), 2 bad arguments,
# 3 a prerequisite is missing (all missing ones are named, with how to get each), 1 the build failed.
set -uo pipefail

DJL_VERSION=0.36.0
DJL_TAG=v0.36.0
DJL_REPOSITORY=https://github.com/deepjavalibrary/djl.git
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest=$here/djl-v0.36.0-jni-sources.sha256
native=engines/pytorch/pytorch-native
header_rel=$native/build/include/ai_djl_pytorch_jni_PyTorchLibrary.h
java_rel=engines/pytorch/pytorch-engine/src/main/java/ai/djl/pytorch/jni/PyTorchLibrary.java

usage() {
  cat <<EOF
Usage: build-djl-jni.sh --out DIR (--djl-src DIR | --fetch) [options]

Builds DJL $DJL_VERSION's PyTorch JNI against this machine's PyTorch into DIR and writes
DIR/djl-env.sh, the environment DJL needs (source it before starting Java).

  --out DIR        folder to build into; must be empty or absent (nothing is overwritten)
  --djl-src DIR    DJL's sources at tag $DJL_TAG: a git checkout of DJL, or a copy holding
                   $native and api/src/main/native (also: env DJL_SRC)
  --fetch          clone DJL $DJL_TAG into DIR/djl-src instead (needs git and network)
  --python PATH    the Python whose torch to build against (also: env PYTHON; default python3)
  --java-home DIR  a JDK 17 or newer, for jni.h (default: JAVA_HOME, else the JDK of javac)
  --jobs N         parallel compile jobs (default: the number of CPUs)
  --check          check the prerequisites only, build nothing
  -h, --help       this text
EOF
}

die_usage() {
  echo "build-djl-jni.sh: $1" >&2
  echo "Accepted options: --out DIR, --djl-src DIR, --fetch, --python PATH, --java-home DIR, --jobs N, --check, --help" >&2
  exit 2
}

out=""
djl_src=${DJL_SRC:-}
fetch=false
python=${PYTHON:-python3}
java_home=${JAVA_HOME:-}
jobs=""
check_only=false
while [ $# -gt 0 ]; do
  case "$1" in
    --out | --djl-src | --python | --java-home | --jobs)
      [ $# -ge 2 ] && [ -n "$2" ] || die_usage "$1 needs a value"
      case "$1" in
        --out) out=$2 ;;
        --djl-src) djl_src=$2 ;;
        --python) python=$2 ;;
        --java-home) java_home=$2 ;;
        --jobs) jobs=$2 ;;
      esac
      shift 2 ;;
    --out=* | --djl-src=* | --python=* | --java-home=* | --jobs=*)
      set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
    --fetch) fetch=true; shift ;;
    --check) check_only=true; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die_usage "unknown argument '$1'" ;;
  esac
done
[ -n "$out" ] || die_usage "--out DIR is required (an empty or absent folder to build into)"
if $fetch && [ -n "$djl_src" ]; then
  die_usage "--fetch and --djl-src (or DJL_SRC) both given: choose one source of DJL's code"
fi
$fetch || [ -n "$djl_src" ] || die_usage "DJL's sources: pass --djl-src DIR (a checkout of tag $DJL_TAG) or --fetch"
if [ -n "$jobs" ] && ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  die_usage "--jobs must be a positive whole number, got '$jobs'"
fi
[ -n "$jobs" ] || jobs=$(nproc 2>/dev/null || echo 2)
if [ -e "$out" ] && { [ ! -d "$out" ] || [ -n "$(ls -A "$out" 2>/dev/null)" ]; }; then
  die_usage "--out $out is not an empty folder; give an empty or absent one (nothing is overwritten)"
fi

# ---- prerequisites: every missing one is collected, then all are named at once ----
missing=()
miss() { missing+=("$1"); }

# python and torch
torch_info=""
if ! command -v "$python" >/dev/null 2>&1; then
  miss "Python: '$python' not found. Install Python 3 with PyTorch, or pass --python PATH (e.g. the python of your venv or conda env)."
else
  torch_info=$("$python" - 2>&1 <<'PY'
import os, sys
try:
    import torch, torch.utils
except Exception as e:
    print("IMPORT-FAILED %s: %s" % (type(e).__name__, e))
    sys.exit(0)
d = os.path.dirname(torch.__file__)
print("version=" + torch.__version__)
print("cuda=" + (torch.version.cuda or ""))
print("hip=" + (getattr(torch.version, "hip", None) or ""))
print("cmake=" + torch.utils.cmake_prefix_path)
print("lib=" + os.path.join(d, "lib"))
print("include=" + os.path.join(d, "include"))
print("site=" + os.path.dirname(d))
PY
  )
  if [ -z "$torch_info" ] || [[ "$torch_info" == IMPORT-FAILED* ]] || ! grep -q '^version=' <<<"$torch_info"; then
    miss "PyTorch: '$python' cannot import torch (${torch_info:-no output}). Install it for that Python (pip install torch, or conda install pytorch; see pytorch.org), or pass --python PATH of a Python that has it."
    torch_info=""
  fi
fi
info() { sed -n "s/^$1=//p" <<<"$torch_info"; }
torch_version=$(info version)
torch_cuda=$(info cuda)
torch_lib=$(info lib)
torch_include=$(info include)
torch_cmake=$(info cmake)
site=$(info site)
if [ -n "$torch_info" ]; then
  [ -z "$(info hip)" ] || miss "PyTorch $torch_version is a ROCm build: DJL's PyTorch engine runs CPU and CUDA builds only."
  [ -f "$torch_lib/libtorch.so" ] || miss "PyTorch's libtorch.so: not in $torch_lib (this torch has no C++ library to link against)."
  [ -f "$torch_cmake/Torch/TorchConfig.cmake" ] \
    || miss "PyTorch's CMake config: $torch_cmake/Torch/TorchConfig.cmake is missing. pip and conda installs of torch have it; a distribution's split package may not (Debian: libtorch-dev)."
  [ -f "$torch_include/torch/csrc/api/include/torch/torch.h" ] \
    || miss "PyTorch's C++ headers: $torch_include/torch/csrc/api/include/torch/torch.h is missing (pip and conda installs of torch have them; Debian: libtorch-dev)."
fi

# C++ compiler and CMake
cxx=${CXX:-}
if [ -z "$cxx" ]; then
  for c in c++ g++ clang++; do command -v "$c" >/dev/null 2>&1 && { cxx=$(command -v "$c"); break; }; done
fi
if [ -z "$cxx" ] || ! command -v "$cxx" >/dev/null 2>&1; then
  miss "C++ compiler: none found (${CXX:+CXX=$CXX, }c++, g++, clang++). Install one with C++17 (Debian/Ubuntu: apt-get install g++; conda: conda install gxx_linux-64), or set CXX."
fi
if ! command -v cmake >/dev/null 2>&1; then
  miss "CMake: not found. Install CMake 3.18 or newer (apt-get install cmake, or pip install cmake)."
else
  cmake_version=$(cmake --version | sed -n 's/^cmake version \([0-9.]*\).*/\1/p')
  if [ "$(printf '%s\n3.18\n' "$cmake_version" | sort -V | head -1)" != 3.18 ]; then
    miss "CMake: $cmake_version found, 3.18 or newer needed (pip install cmake gives a recent one)."
  fi
fi

# DJL's sources
needs_javac=false
if $fetch; then
  command -v git >/dev/null 2>&1 || miss "git: needed by --fetch to clone DJL $DJL_TAG. Install git, or clone $DJL_REPOSITORY at tag $DJL_TAG elsewhere and pass --djl-src."
elif [ ! -d "$djl_src" ]; then
  miss "DJL's sources: '$djl_src' is not a folder. Clone them: git clone --branch $DJL_TAG --depth 1 $DJL_REPOSITORY, then pass --djl-src with that folder (or use --fetch)."
elif [ ! -f "$djl_src/$native/CMakeLists.txt" ] || [ ! -f "$djl_src/api/src/main/native/djl/utils.h" ]; then
  miss "DJL's sources: '$djl_src' holds no $native/CMakeLists.txt or api/src/main/native/djl/utils.h. Pass the root of a DJL checkout at tag $DJL_TAG (git clone --branch $DJL_TAG --depth 1 $DJL_REPOSITORY)."
else
  [ -f "$djl_src/$header_rel" ] || needs_javac=true
  if $needs_javac && [ ! -f "$djl_src/$java_rel" ]; then
    miss "DJL's sources: '$djl_src' has neither the JNI header $header_rel nor $java_rel to generate it from."
  fi
fi

# the JDK: jni.h (and javac where the JNI header must be generated)
if [ -z "$java_home" ] && command -v javac >/dev/null 2>&1; then
  java_home=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
fi
if [ -z "$java_home" ]; then
  miss "JDK: none found (JAVA_HOME is unset and no javac on PATH). Install a JDK 17 or newer (apt-get install openjdk-17-jdk-headless) and set JAVA_HOME, or pass --java-home DIR."
elif [ ! -f "$java_home/include/jni.h" ] || [ ! -f "$java_home/include/linux/jni_md.h" ]; then
  miss "JDK headers: $java_home/include/jni.h or include/linux/jni_md.h is missing (a JRE has none). Point JAVA_HOME or --java-home at a JDK 17 or newer (apt-get install openjdk-17-jdk-headless)."
fi
if { $needs_javac || $fetch; } && [ -n "$java_home" ] && [ ! -x "$java_home/bin/javac" ]; then
  miss "javac: $java_home/bin/javac is missing; it generates DJL's JNI header from PyTorchLibrary.java. Use a full JDK 17 or newer."
fi

# CUDA builds: the CUDA runtime DJL loads by the name libcudart.so to count GPUs
cudart=""
nvidia_dirs=""
if [ -n "$torch_cuda" ]; then
  cuda_major=${torch_cuda%%.*}
  [ -d "$site/nvidia" ] && nvidia_dirs=$(find "$site/nvidia" -name 'lib*.so*' -printf '%h\n' 2>/dev/null | sort -u | tr '\n' ':')
  for d in ${nvidia_dirs//:/ } "$torch_lib" ${CONDA_PREFIX:+"$CONDA_PREFIX/lib"} ${CUDA_HOME:+"$CUDA_HOME/lib64"} /usr/local/cuda/lib64; do
    c=$(find "$d" -maxdepth 1 -name "libcudart.so.$cuda_major*" 2>/dev/null | sort | head -1)
    [ -n "$c" ] && { cudart=$c; break; }
  done
  [ -n "$cudart" ] || cudart=$(ldconfig -p 2>/dev/null | awk -v m="libcudart.so.$cuda_major" '$1 ~ "^"m {print $NF; exit}')
  [ -n "$cudart" ] || miss "CUDA runtime: no libcudart.so.$cuda_major* for torch $torch_version (CUDA $torch_cuda) under $site/nvidia, torch/lib, CONDA_PREFIX, CUDA_HOME or /usr/local/cuda. pip install nvidia-cuda-runtime-cu$cuda_major brings it."
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "build-djl-jni.sh: cannot build DJL $DJL_VERSION's PyTorch JNI here; missing:" >&2
  for m in "${missing[@]}"; do echo "  - $m" >&2; done
  exit 3
fi

# sources must be DJL v0.36.0's own, unmodified: the JNI must match pytorch-engine 0.36.0's Java side
check_sources() {
  local lines
  lines=$(grep -v -e "$header_rel" -e "$java_rel" "$manifest")
  if $needs_javac; then lines+=$'\n'$(grep -e "$java_rel" "$manifest"); else lines+=$'\n'$(grep -e "$header_rel" "$manifest"); fi
  local bad
  bad=$(cd "$1" && sha256sum -c --quiet - <<<"$lines" 2>&1 | sed 's/^/    /')
  if [ -n "$bad" ]; then
    echo "build-djl-jni.sh: the DJL sources in $1 are not DJL $DJL_TAG's (checked against $(basename "$manifest")):" >&2
    echo "$bad" >&2
    echo "Use a checkout of tag $DJL_TAG: git clone --branch $DJL_TAG --depth 1 $DJL_REPOSITORY" >&2
    return 1
  fi
}

cuda_flavor() { local v=${1//./}; echo "cu$v"; }
if [ -n "$torch_cuda" ]; then flavor=$(cuda_flavor "$torch_cuda"); else flavor=cpu; fi
# DJL's cache folder names and version checks take X.Y.Z (no local or pre-release part)
djl_torch_version=$(sed -E 's/^([0-9]+\.[0-9]+\.[0-9]+).*/\1/' <<<"$torch_version")

echo "PyTorch:   $torch_version (${torch_cuda:+CUDA $torch_cuda}${torch_cuda:-CPU}) from $torch_lib"
echo "Compiler:  $cxx; CMake $cmake_version; JDK $java_home"
if $check_only; then
  if ! $fetch; then check_sources "$djl_src" || exit 3; fi
  echo "Every prerequisite found (--check: nothing built)."
  exit 0
fi

mkdir -p "$out" || die_usage "cannot create --out $out"
out=$(cd "$out" && pwd)
build=$out/build
mkdir -p "$build"
log=$build/build.log
if $fetch; then
  echo "Cloning DJL $DJL_TAG from $DJL_REPOSITORY ..."
  git clone --quiet --branch "$DJL_TAG" --depth 1 "$DJL_REPOSITORY" "$out/djl-src" >>"$log" 2>&1 \
    || { echo "build-djl-jni.sh: git clone failed (see $log)" >&2; exit 1; }
  djl_src=$out/djl-src
  [ -f "$djl_src/$header_rel" ] || needs_javac=true
fi
djl_src=$(cd "$djl_src" && pwd)
check_sources "$djl_src" || exit 3
echo "DJL:       $DJL_TAG sources from $djl_src (checksums match)"

# build from a copy: the user's checkout is left as it is
src=$build/djl
mkdir -p "$src/$native/build/include" "$src/api/src/main/native"
cp -r "$djl_src/$native/CMakeLists.txt" "$djl_src/$native/src" "$src/$native/"
cp -r "$djl_src/api/src/main/native/djl" "$src/api/src/main/native/"
if $needs_javac; then
  "$java_home/bin/javac" -h "$src/$native/build/include" -d "$build/javac-classes" "$djl_src/$java_rel" >>"$log" 2>&1 \
    || { echo "build-djl-jni.sh: javac -h failed (see $log)" >&2; exit 1; }
else
  cp "$djl_src/$header_rel" "$src/$native/build/include/"
fi

cmake_args=(-S "$src/$native" -B "$build/cmake" -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_PREFIX_PATH="$torch_cmake" -DCMAKE_CXX_COMPILER="$cxx"
  -DJAVA_HOME="$java_home" -DJAVA_INCLUDE_PATH="$java_home/include" -DJAVA_INCLUDE_PATH2="$java_home/include/linux"
  -DJAVA_AWT_LIBRARY=NotNeeded -DJAVA_AWT_INCLUDE_PATH=NotNeeded)
if [ -f "$java_home/lib/server/libjvm.so" ]; then
  cmake_args+=(-DJAVA_JVM_LIBRARY="$java_home/lib/server/libjvm.so")
else
  cmake_args+=(-DJAVA_JVM_LIBRARY=NotNeeded) # the JNI links no JVM: only jni.h is used
fi
[ -z "$torch_cuda" ] || cmake_args+=(-DUSE_CUDA=1)
# DJL's own build.sh marks these torch versions with PT_VERSION
case "$djl_torch_version" in 1.13.* | 2.0.* | 2.1.*) cmake_args+=(-DPT_VERSION=V1_13_X) ;; esac

echo "Building (log: $log) ..."
start=$SECONDS
if ! cmake "${cmake_args[@]}" >>"$log" 2>&1; then
  echo "build-djl-jni.sh: CMake could not configure the build; last lines of $log:" >&2
  tail -n 25 "$log" >&2
  if grep -q -e "CUDA cannot be found" -e "cannot find the CUDA libraries" -e "Could NOT find CUDA" -e "CUDAToolkit" "$log"; then
    echo "torch $torch_version is a CUDA $torch_cuda build: its CMake config needs the CUDA $torch_cuda toolkit (nvcc and headers)." >&2
    echo "Install it (e.g. NVIDIA's cuda-toolkit-${torch_cuda/./-} package, or conda install cuda-toolkit=$torch_cuda) and set CUDA_HOME / put its nvcc on PATH." >&2
  fi
  exit 1
fi
if ! cmake --build "$build/cmake" -j "$jobs" >>"$log" 2>&1; then
  echo "build-djl-jni.sh: the build failed; last lines of $log:" >&2
  tail -n 25 "$log" >&2
  exit 1
fi
cp "$build/cmake/libdjl_torch.so" "$out/libdjl_torch.so"
echo "Built in $((SECONDS - start)) s"

# DJL finds the JNI in its engine cache: ENGINE_CACHE_DIR/pytorch/VERSION-FLAVOR-CLASSIFIER/DJLVERSION-libdjl_torch.so
case "$(uname -m)" in x86_64 | amd64) arch=x86_64 ;; aarch64 | arm64) arch=aarch64 ;; *) arch=$(uname -m) ;; esac
cache_dir=$out/engine-cache/pytorch/$djl_torch_version-$flavor-linux-$arch
mkdir -p "$cache_dir"
ln -s ../../../libdjl_torch.so "$cache_dir/$DJL_VERSION-libdjl_torch.so"
ld_path=""
if [ -n "$cudart" ]; then
  mkdir -p "$out/lib"
  ln -s "$cudart" "$out/lib/libcudart.so"
  ld_path=$out/lib:$nvidia_dirs
fi
(cd "$out" && sha256sum libdjl_torch.so > libdjl_torch.so.sha256)

{
  echo "# DJL $DJL_VERSION with the PyTorch of $python: torch $torch_version (${torch_cuda:+CUDA $torch_cuda}${torch_cuda:-CPU})"
  echo "# written by gpu-setup/build-djl-jni.sh; source it before starting Java"
  echo "export PYTORCH_LIBRARY_PATH=$torch_lib"
  echo "export PYTORCH_VERSION=$djl_torch_version"
  echo "export PYTORCH_FLAVOR=$flavor"
  echo "export PYTORCH_LIBRARY_EXCLUSION=libtorch_python.so,libshm.so"
  echo "export ENGINE_CACHE_DIR=$out/engine-cache"
  [ -z "$ld_path" ] || echo "export LD_LIBRARY_PATH=$ld_path\${LD_LIBRARY_PATH:-}"
  echo "export DJL_OFFLINE=true OPT_OUT_TRACKING=true"
} > "$out/djl-env.sh"

missing_libs=$(set +u; . "$out/djl-env.sh"; LD_LIBRARY_PATH=$torch_lib:$LD_LIBRARY_PATH ldd "$out/libdjl_torch.so" 2>/dev/null | grep "not found")
[ -z "$missing_libs" ] || { echo "Warning: with this environment, ldd finds no:" >&2; echo "$missing_libs" >&2; }
# DJL looks for its JNI in the LibTorch folder before its engine cache
for stale in "$torch_lib/libdjl_torch.so" "$torch_lib/$DJL_VERSION-libdjl_torch.so"; do
  [ ! -e "$stale" ] || echo "Warning: $stale exists: DJL loads that JNI before the one built here; remove it to use this build." >&2
done

echo
echo "JNI library: $out/libdjl_torch.so"
echo "sha256:      $(cut -d' ' -f1 "$out/libdjl_torch.so.sha256")"
echo
echo "Environment ($out/djl-env.sh; run: source $out/djl-env.sh):"
grep '^export' "$out/djl-env.sh"
