#!/usr/bin/env bash
# Times `rsdist preprocess mind` on synthetic data of MIND-small's size (51,282 news, 156,965 train
# and 73,152 dev impressions; 300-d GloVe-format words padded to 400,000 lines as glove.6B.300d).
# Not a test. Usage: bench/preprocess_mind_bench.sh [RSDIST_BINARY] [CACHE_DIR] [RESULT_JSON]
# The synthetic data is written once into CACHE_DIR and reused; each run writes a fresh corpus.
set -euo pipefail

rsdist=${1:-build/rsdist}
cache=${2:-/tmp/rsdist-bench-cache}
result=${3:-bench/preprocess_mind_bench.json}
runs=3
raw="$cache/mind_small_300"
glove="$raw/glove_400k.txt"

if [[ ! -f "$raw/train/behaviors.tsv" ]]; then
  "$rsdist" synth mind --preset mind_small --word_dim 300 --out "$raw" --force
fi
if [[ ! -f "$glove" ]]; then
  # Pad with deterministic filler words (absent from the corpus) to a real GloVe file's size, so
  # that the GloVe stream costs what it costs on glove.6B.300d.
  have=$(wc -l < "$raw/glove.txt")
  { cat "$raw/glove.txt"
    awk -v n=$((400000 - have)) -v d=300 'BEGIN { srand(1); for (i = 0; i < n; i++) {
        line = "zzfill" i; for (j = 0; j < d; j++) line = line sprintf(" %.5f", rand() - 0.5);
        print line } }'
  } > "$glove.tmp"
  mv "$glove.tmp" "$glove"
fi

out="$cache/corpus"
times=()
rss_kb=0
for ((i = 0; i < runs; i++)); do
  rm -rf "$out"
  log="$cache/run-$i.log"
  start=$(date +%s.%N)
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -v "$rsdist" preprocess mind --train "$raw/train" --dev "$raw/dev" \
      --glove "$glove" --out "$out" --shards 4 2> "$log"
    kb=$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$log")
    ((kb > rss_kb)) && rss_kb=$kb
  else
    "$rsdist" preprocess mind --train "$raw/train" --dev "$raw/dev" --glove "$glove" \
      --out "$out" --shards 4 2> "$log"
  fi
  end=$(date +%s.%N)
  times+=("$(echo "$end - $start" | bc)")
  grep -o 'stages (s):.*' "$log" || true
done
median=$(printf '%s\n' "${times[@]}" | sort -g | sed -n 2p)
size_bytes=$(du -sb "$out" | cut -f1)
input_bytes=$(du -sbL "$raw/train" "$raw/dev" "$glove" | awk '{ s += $1 } END { print s }')

printf '%-28s %s\n' "runs (s)" "${times[*]}" "median wall time (s)" "$median" \
  "peak RSS (MiB)" "$((rss_kb / 1024))" "corpus size (MiB)" "$((size_bytes / 1048576))" \
  "input size (MiB)" "$((input_bytes / 1048576))"
mkdir -p "$(dirname "$result")"
printf '{"benchmark": "preprocess_mind", "data": "synthetic mind_small, 400k x 300 GloVe", "shards": 4, "runs_s": [%s], "median_s": %s, "peak_rss_kb": %s, "corpus_bytes": %s, "input_bytes": %s}\n' \
  "$(IFS=,; echo "${times[*]}")" "$median" "$rss_kb" "$size_bytes" "$input_bytes" > "$result"
echo "wrote $result"
