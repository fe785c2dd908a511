#!/usr/bin/env bash
# Installs what rsdist needs, builds it, and runs every test (CTest), printing CTest's summary.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
start=$SECONDS
"$repo/scripts/setup.sh"
setup_done=$SECONDS
"$repo/scripts/build.sh"
echo "[test] setup $((setup_done - start)) s, build $((SECONDS - setup_done)) s"
cd "${RSDIST_BUILD_DIR:-$repo/build}"
# CTest's own summary (and total test time) stays the last thing printed.
exec ctest --output-on-failure -j "${RSDIST_JOBS:-$(nproc)}"
