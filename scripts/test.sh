#!/usr/bin/env bash
# Installs what rsdist needs, builds it, and runs every test (CTest), printing CTest's summary.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
"$repo/scripts/build.sh"
cd "${RSDIST_BUILD_DIR:-$repo/build}"
ctest --output-on-failure -j "${RSDIST_JOBS:-$(nproc)}"
