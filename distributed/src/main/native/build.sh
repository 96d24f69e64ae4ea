#!/usr/bin/env bash
# Builds the C interface over Gloo into the module's classes, for the jar. Run by Maven
# (generate-resources); needs g++ and Gloo's headers and library (Debian/Ubuntu: g++ libgloo-dev).
set -euo pipefail
out="$1"
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v g++ > /dev/null || [ ! -f /usr/include/gloo/allreduce.h ]; then
    echo "djl-precision-distributed needs g++ and Gloo (Debian/Ubuntu: apt-get install g++ libgloo-dev)" >&2
    exit 1
fi
mkdir -p "$out"
lib="$out/libdjlp_gloo.so"
if [ "$lib" -nt "$here/djlp_gloo.cc" ]; then
    exit 0
fi
g++ -std=c++17 -O2 -fPIC -shared -fvisibility=hidden -Wall -Werror -Wl,-z,defs \
    -o "$lib" "$here/djlp_gloo.cc" -lgloo
