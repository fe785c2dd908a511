#!/usr/bin/env bash
# The sharded item table's memory and speed table (docs/scaling.md's measured inputs). Not a test.
#   bench/item_sharding_bench.sh [RESULT_JSON] [ITEMS] [STEPS]
# Runs build/bench/item_sharding_bench: replicated and sharded at np = 1, 2, 4 on a catalog of
# ITEMS (1M) items; then a catalog of 10M items with each rank capped at 6 GiB of new memory
# (--rank_memory_gb, a device's memory): sharded at np = 1 (it cannot allocate) and np = 4.
# Ranks beyond the cores are oversubscribed: the memory figures hold, the times are per core.
# Prints each run's table line and writes every run's JSON as one list.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
result=${1:-bench/item_sharding_bench.json}
items=${2:-1000000}
steps=${3:-3}
build=${RSDIST_BUILD_DIR:-$repo/build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mpirun=(mpirun --oversubscribe --bind-to none)
if [ "$(id -u)" = 0 ]; then mpirun+=(--allow-run-as-root); fi

run() {  # name np args...
  local name=$1 np=$2
  shift 2
  "${mpirun[@]}" -np "$np" "$build/bench/item_sharding_bench" --json "$tmp/$name.json" "$@" \
    | tail -n 1 || true  # a run that cannot allocate exits 3 and still writes its JSON
}
echo "mode        np     items  table MB grad+Adam logits MB   RSS +MB    step ms   comm ms    comm   sent MB"
for np in 1 2 4; do
  run "replicated-$np" "$np" --mode replicated --items "$items" --steps "$steps"
  run "sharded-$np" "$np" --mode sharded --items "$items" --steps "$steps"
done
run "sharded-10m-1" 1 --mode sharded --items 10000000 --batch 64 --chunk_rows 64 --steps 1 \
  --warmup 0 --rank_memory_gb 6
run "sharded-10m-4" 4 --mode sharded --items 10000000 --batch 64 --chunk_rows 64 --steps 1 \
  --warmup 0 --rank_memory_gb 6
{
  echo "["
  first=1
  for f in "$tmp"/*.json; do
    [ $first = 1 ] || echo ","
    first=0
    cat "$f"
  done
  echo "]"
} > "$result"
echo "wrote $result"
