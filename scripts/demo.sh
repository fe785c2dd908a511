#!/usr/bin/env bash
# Installs, builds, and runs the main job on bundled synthetic data: every stage that exists.
# Outputs go to <checkout>/demo-out (replaced on each run).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
"$repo/scripts/build.sh"
rsdist=${RSDIST_BUILD_DIR:-$repo/build}/rsdist
out=$repo/demo-out
cd "$repo"

"$rsdist" version
"$rsdist" synth mind --out "$out/mind" --preset small --seed 1 --force
"$rsdist" synth seq --out "$out/seq" --seed 1 --force
"$rsdist" synth ratings --out "$out/ratings" --seed 1 --force
"$rsdist" preprocess mind --train "$out/mind/train" --dev "$out/mind/dev" --test "$out/mind/test" \
  --glove "$out/mind/glove.txt" --out "$out/mind-corpus" --shards 2 --force
"$rsdist" inspect "$out/mind-corpus"
"$rsdist" preprocess seq --input "$out/seq/sequences.txt" --out "$out/seq-corpus" --force
"$rsdist" inspect "$out/seq-corpus"
"$rsdist" train --config configs/naml_synthetic.ini --print-config
echo "[demo] synthetic data and MIND and sequence corpora in $out; training and evaluation"
echo "[demo] arrive with their issues"
