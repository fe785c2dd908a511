#!/usr/bin/env bash
# Builds the libFuzzer target fuzz/mind_parsers_fuzz.cpp with clang (ASan + UBSan) in build-fuzz/
# and runs it for a bounded time on the seed corpus fuzz/corpus/.
#
#   scripts/fuzz.sh                      fuzz for ${RSDIST_FUZZ_SECONDS:-30} seconds
#   scripts/fuzz.sh fuzz/crashes/crash-* re-run saved inputs (any arguments go to the fuzzer binary)
#
# fuzz/CMakeLists.txt is configured as a standalone project (-S fuzz): it needs only fmt and
# nlohmann_json, so neither LibTorch nor the rest of rsdist has to be configured with clang.
# New inputs go to build-fuzz/corpus/ (fuzz/corpus/ holds only the hand-written seeds); a crashing
# input is saved under fuzz/crashes/ and the script exits non-zero. Exit 77: clang is missing (CTest
# reports the test as skipped).
#
# Environment: RSDIST_FUZZ_SECONDS (30), RSDIST_FUZZ_BUILD_DIR (build-fuzz), RSDIST_FUZZ_JOBS (2),
# CC / CXX (clang / clang++).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

seconds="${RSDIST_FUZZ_SECONDS:-30}"
build_dir="${RSDIST_FUZZ_BUILD_DIR:-build-fuzz}"
jobs="${RSDIST_FUZZ_JOBS:-2}"
cc="${CC:-clang}"
cxx="${CXX:-clang++}"
# A g++ CC/CXX from the caller's environment cannot build a libFuzzer target.
case "$cxx" in *clang*) ;; *) cc=clang; cxx=clang++ ;; esac

if ! command -v "$cxx" >/dev/null 2>&1; then
  echo "fuzz.sh: $cxx not found; the fuzz target needs clang (skipped)" >&2
  exit 77
fi

CC="$cc" CXX="$cxx" cmake -S fuzz -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DRSDIST_BUILD_FUZZ=ON >/dev/null
cmake --build "$build_dir" --target mind_parsers_fuzz -j "$jobs"

fuzzer="$build_dir/mind_parsers_fuzz"
mkdir -p fuzz/crashes "$build_dir/corpus"

# libFuzzer exits 77 on a crash by default, which CTest would read as "skipped".
exit_codes=(-error_exitcode=1 -timeout_exitcode=2)

if [[ $# -gt 0 ]]; then
  exec "$fuzzer" "${exit_codes[@]}" "$@"
fi

echo "fuzz.sh: fuzzing for ${seconds}s (crashes go to fuzz/crashes/)" >&2
status=0
"$fuzzer" "$build_dir/corpus" fuzz/corpus \
  -max_total_time="$seconds" \
  -timeout=10 \
  -rss_limit_mb=2048 \
  -max_len=8192 \
  -print_final_stats=1 \
  -artifact_prefix=fuzz/crashes/ \
  "${exit_codes[@]}" || status=$?

if [[ $status -ne 0 ]]; then
  echo "fuzz.sh: the fuzzer failed (exit $status); the input is in fuzz/crashes/:" >&2
  ls -t fuzz/crashes/ >&2 || true
  echo "fuzz.sh: reproduce with scripts/fuzz.sh fuzz/crashes/<file>" >&2
fi
exit "$status"
