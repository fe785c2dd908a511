#!/usr/bin/env bash
# NAML training throughput and dev-evaluation time on synthetic data of MIND-small's size
# (51,282 news, 156,965 train / 73,152 dev impressions, 300-d word vectors), with the reference
# hyper-parameters (configs/naml_mind_small.ini: 400 filters, history 50, title 32, abstract 128,
# batch 64 per rank). Not a test.
#   bench/naml_train_bench.sh [RSDIST_BINARY] [CACHE_DIR] [RESULT_JSON] [STEPS]
# Measures samples/s over STEPS steps with and without news de-duplication (the first run also
# times the full dev evaluation: every news and user encoded once, then dot products), and bf16
# where a GPU is present. Prints a table and writes JSON.
set -euo pipefail

rsdist=${1:-build/rsdist}
cache=${2:-/tmp/rsdist-bench-cache}
result=${3:-bench/naml_train_bench.json}
steps=${4:-40}
raw="$cache/mind_small_300"
corpus="$cache/naml_corpus"
config="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/configs/naml_mind_small.ini"

if [[ ! -f "$raw/train/behaviors.tsv" ]]; then
  "$rsdist" synth mind --preset mind_small --word_dim 300 --out "$raw" --force
fi
if [[ ! -f "$corpus/manifest.json" ]]; then
  "$rsdist" preprocess mind --train "$raw/train" --dev "$raw/dev" --glove "$raw/glove.txt" \
    --out "$corpus" --shards 4 --force
fi
device=cpu
if command -v nvidia-smi > /dev/null 2>&1 && nvidia-smi -L > /dev/null 2>&1; then device=cuda; fi

rows=()
json_rows=()
run_case() {  # name, steps, extra options...
  local name=$1 case_steps=$2; shift 2
  local out="$cache/naml-run-$name"
  rm -rf "$out"
  "$rsdist" train --config "$config" --corpus "$corpus" --out "$out" --epochs 1 \
    --max_steps_per_epoch "$case_steps" --keep_checkpoints 1 "$@" 2> "$cache/naml-$name.log"
  local line
  line=$(head -1 "$out/metrics.jsonl")
  local sps dev_s auc
  sps=$(python3 -c 'import json,sys; print("%.1f" % json.loads(sys.argv[1])["samples_per_second"])' "$line")
  dev_s=$(python3 -c 'import json,sys; print("%.1f" % json.loads(sys.argv[1]).get("dev_seconds", 0))' "$line")
  rows+=("$(printf '%-22s %12s %16s' "$name" "$sps" "$dev_s")")
  json_rows+=("{\"case\": \"$name\", \"samples_per_second\": $sps, \"dev_eval_seconds\": $dev_s}")
}
run_case "dedup" "$steps" --dedup_news true
# The dev evaluation is timed once; the other cases measure training only (and fewer steps: the
# samples/s of a case does not depend on how many steps it runs after the first).
run_case "no-dedup" $(( (steps + 2) / 3 )) --dedup_news false --validate false
if [[ $device == cuda ]]; then
  run_case "dedup+bf16" "$steps" --dedup_news true --mixed_precision true --validate false
  run_case "no-dedup+bf16" "$steps" --dedup_news false --mixed_precision true --validate false
fi

printf '%-22s %12s %16s\n' "case ($device, $steps steps)" "samples/s" "dev eval (s)"
printf '%s\n' "${rows[@]}"
mkdir -p "$(dirname "$result")"
printf '{"benchmark": "naml_train", "device": "%s", "data": "synthetic mind_small (73,152 dev impressions), reference hyper-parameters", "steps": %s, "cases": [%s]}\n' \
  "$device" "$steps" "$(IFS=,; echo "${json_rows[*]}")" > "$result"
echo "wrote $result"
