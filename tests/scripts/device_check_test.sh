#!/usr/bin/env bash
# CTest's runs of scripts/device_check.sh, so that the GPU check cannot rot between the sessions
# that have a GPU:
#   device_check_test.sh cpu-tiny BUILD_DIR   every stage in CPU mode at tiny sizes, on the build
#       CTest runs from: exit 0, every stage ok or skipped with its reason, and the stages that
#       can run on a CPU (training, EASE, two MPI ranks, the benchmarks) ok;
#   device_check_test.sh timeout              a stage that hangs is ended by its limit with all it
#       started, recorded as "timeout", and the check fails naming it.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
mode=${1:?usage: device_check_test.sh cpu-tiny BUILD_DIR | timeout}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAIL: $*" >&2; cat "$out/device_check.log" >&2 2> /dev/null || true; exit 1; }

case $mode in
  cpu-tiny)
    build=${2:?usage: device_check_test.sh cpu-tiny BUILD_DIR}
    "$repo/scripts/device_check.sh" --cpu --tiny --no-build --build-dir "$build" --out "$out" ||
      fail "device_check.sh --cpu --tiny exited $?"
    python3 - "$out/device_check.json" <<'PY' || fail "device_check.json"
import json, sys
r = json.load(open(sys.argv[1]))
stages = {s["stage"]: s for s in r["stages"]}
must_pass = ["environment", "data", "train_naml_fp32", "train_gcl4sr_fp32", "train_multvae_fp32",
             "train_neumf_fp32", "ease_fit", "mpi_two_ranks", "resume_exact", "bench_reducer", "bench_allreduce",
             "bench_gcl4sr", "bench_multvae", "bench_neumf", "bench_naml", "bench_item_sharding"]
problems = [f"{n}: {stages.get(n, {}).get('status', 'missing')}" for n in must_pass
            if stages.get(n, {}).get("status") != "ok"]
problems += [f"{s['stage']} skipped without a reason" for s in r["stages"]
             if s["status"] == "skipped" and not s["note"]]
losses = stages["train_neumf_fp32"]["figures"]["losses"]
if not losses[-1] < losses[0]:
    problems.append(f"NeuMF losses {losses} do not fall")
if problems:
    sys.exit("; ".join(problems))
print(f"{len(stages)} stages, {r['seconds']} s")
PY
    [ -s "$out/device_check.md" ] || fail "no device_check.md"
    ;;
  timeout)
    begin=$SECONDS
    if "$repo/scripts/device_check.sh" --cpu --self-test-timeout --out "$out"; then
      fail "a hanging stage did not fail the check"
    fi
    [ $((SECONDS - begin)) -lt 60 ] || fail "the hanging stage was not ended in time"
    python3 - "$out/device_check.json" <<'PY' || fail "device_check.json"
import json, sys
r = json.load(open(sys.argv[1]))
hang = [s for s in r["stages"] if s["stage"] == "self_test_hang"]
if not hang or hang[0]["status"] != "timeout" or r["failed"] != ["self_test_hang"]:
    sys.exit(f"expected self_test_hang timed out and named, got {r['stages']}")
PY
    if pgrep -f '^sleep 60[01]$' > /dev/null; then fail "the hanging stage's processes outlived it"; fi
    ;;
  *) echo "unknown mode '$mode'" >&2; exit 2 ;;
esac
echo "ok: $mode"
