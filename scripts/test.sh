#!/usr/bin/env bash
# Installs what rsdist needs, builds it, and runs every test (CTest), printing CTest's summary.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
start=$SECONDS
"$repo/scripts/setup.sh"
setup_done=$SECONDS
"$repo/scripts/build.sh"
build_done=$SECONDS
cd "${RSDIST_BUILD_DIR:-$repo/build}"
status=0
ctest --output-on-failure -j "${RSDIST_JOBS:-$(nproc)}" || status=$?
echo "[test] setup $((setup_done - start)) s, build $((build_done - setup_done)) s, tests $((SECONDS - build_done)) s"
exit "$status"
