#!/usr/bin/env bash
# Configures and builds rsdist in <checkout>/build with ccache.
#   scripts/build.sh [extra cmake -D options...]
# RSDIST_TARGETS="rsdist ..." builds only those targets (scripts/demo.sh: the binary alone, not the
# test binaries); unset, everything.
# LibTorch: the checkout's .venv (scripts/setup.sh), or RSDIST_LIBTORCH=/path/to/libtorch.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${RSDIST_BUILD_DIR:-$repo/build}
jobs=${RSDIST_JOBS:-$(nproc)}

if [ -n "${RSDIST_LIBTORCH:-}" ]; then
  torch_prefix=$RSDIST_LIBTORCH
else
  torch_prefix=$("$repo/.venv/bin/python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
fi

# ccache keys on paths relative to the checkout, so a fresh clone elsewhere still hits the cache.
export CCACHE_BASEDIR=$repo
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}

generator=()
if command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
if [ ! -f "$build/CMakeCache.txt" ]; then
  cmake -S "$repo" -B "$build" "${generator[@]}" \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_CXX_COMPILER_LAUNCHER=ccache \
    -DCMAKE_PREFIX_PATH="$torch_prefix" "$@"
elif [ "$#" -gt 0 ]; then
  cmake "$build" "$@"
fi
targets=()
if [ -n "${RSDIST_TARGETS:-}" ]; then
  read -r -a names <<<"$RSDIST_TARGETS"
  targets=(--target "${names[@]}")
fi
cmake --build "$build" -j "$jobs" "${targets[@]}"
