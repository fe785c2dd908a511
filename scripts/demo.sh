#!/usr/bin/env bash
# Installs, builds, and runs the main job on bundled synthetic data: every stage that exists.
# Outputs go to <checkout>/demo-out (replaced on each run).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$repo/scripts/setup.sh"
# The main job needs the binary only; scripts/test.sh builds the rest.
RSDIST_TARGETS=rsdist "$repo/scripts/build.sh"
rsdist=${RSDIST_BUILD_DIR:-$repo/build}/rsdist
out=$repo/demo-out
cd "$repo"

"$rsdist" version
rm -rf "$out/naml-run" "$out/gcl4sr-run" "$out/pop-run" "$out/pop-ratings-run" "$out/neumf-run" \
  "$out/ncf-run" "$out/ease-run" "$out/multvae-run" "$out/s3rec-pretrain-run" "$out/s3rec-run" \
  "$out/sasrec-run"
"$rsdist" synth mind --out "$out/mind" --preset small --seed 1 --force
"$rsdist" synth seq --out "$out/seq" --seed 1 --force
"$rsdist" synth ratings --out "$out/ratings" --seed 1 --force
"$rsdist" preprocess mind --train "$out/mind/train" --dev "$out/mind/dev" --test "$out/mind/test" \
  --glove "$out/mind/glove.txt" --out "$out/mind-corpus" --shards 2 --force
"$rsdist" inspect "$out/mind-corpus"
"$rsdist" preprocess seq --input "$out/seq/sequences.txt" --out "$out/seq-corpus" --force
"$rsdist" inspect "$out/seq-corpus"
# The same users in S3-Rec's format with their items' attributes and 99 sampled candidates each.
"$rsdist" preprocess seq --input "$out/seq/sequences_s3rec.txt" \
  --attributes "$out/seq/item2attributes.json" --out "$out/s3rec-corpus" --force
"$rsdist" inspect "$out/s3rec-corpus"
"$rsdist" preprocess ratings --input "$out/ratings/u.data" --out "$out/ratings-corpus" --split loo \
  --negatives 99 --force
"$rsdist" inspect "$out/ratings-corpus"
"$rsdist" preprocess ratings --input "$out/ratings/u.data" --out "$out/ratings-ratio-corpus" \
  --split ratio --force
"$rsdist" preprocess ratings --input "$out/ratings/u.data" --out "$out/ratings-heldout-corpus" \
  --split heldout_users --heldout_users 40 --implicit_threshold 4 --force
# NAML on 2 MPI ranks: train with dev validation, early stopping and the best checkpoint, then
# evaluate it (and write MIND's prediction.txt) and recommend for a few users.
RSDIST_BIN="$rsdist" "$repo/launch/rsdist-mpirun" -np 2 rsdist train \
  --config configs/naml_synthetic.ini --corpus "$out/mind-corpus" --out "$out/naml-run"
"$rsdist" evaluate --run "$out/naml-run" --split dev --prediction "$out/naml-run/prediction-dev.txt"
"$rsdist" recommend --run "$out/naml-run" --k 5 --max_users 3
# GCL4SR on 2 MPI ranks on the synthetic sequences: train with full-ranking validation (NDCG@20),
# evaluate the best checkpoint on test, recommend the next items for a few users.
RSDIST_BIN="$rsdist" "$repo/launch/rsdist-mpirun" -np 2 rsdist train \
  --config configs/gcl4sr_synthetic.ini --corpus "$out/seq-corpus" --out "$out/gcl4sr-run"
"$rsdist" evaluate --run "$out/gcl4sr-run" --split test
"$rsdist" recommend --run "$out/gcl4sr-run" --split test --k 5 --max_users 3
# The most-popular baseline on the same sequences, to compare GCL4SR's test metrics against.
RSDIST_BIN="$rsdist" "$repo/launch/rsdist-mpirun" -np 2 rsdist train --model pop \
  --corpus "$out/seq-corpus" --out "$out/pop-run"
# ... and on the rating matrix: full ranking and NCF's 1 + 99 sampled protocol (sampled_hr10).
"$rsdist" train --model pop --corpus "$out/ratings-corpus" --out "$out/pop-ratings-run"
# NeuMF on 2 MPI ranks on the same ratings (4 fresh negatives per positive, HR@10 on the 1 + 99
# candidates), then its test metrics and recommendations; the seed's explicit NCF on a ratio split
# (RMSE, MAE, AUC).
RSDIST_BIN="$rsdist" "$repo/launch/rsdist-mpirun" -np 2 rsdist train \
  --config configs/neumf_synthetic.ini --corpus "$out/ratings-corpus" --out "$out/neumf-run"
"$rsdist" evaluate --run "$out/neumf-run" --split test
"$rsdist" recommend --run "$out/neumf-run" --split test --k 5 --max_users 3
"$rsdist" train --model ncf --corpus "$out/ratings-ratio-corpus" --out "$out/ncf-run" --epochs 10 \
  --batch_size 256
# EASE in closed form on 2 MPI ranks (each counts its users' co-occurrences, one all-reduce, the
# solve) with a lambda sweep, on held-out users as Mult-VAE evaluates: Recall@20/50, NDCG@100.
RSDIST_BIN="$rsdist" "$repo/launch/rsdist-mpirun" -np 2 rsdist train --model ease \
  --corpus "$out/ratings-heldout-corpus" --out "$out/ease-run" --ease_lambda 10,50,250
"$rsdist" recommend --run "$out/ease-run" --split test --k 5 --max_users 3
# Mult-VAE on 2 MPI ranks on the same held-out users (sparse rows, the KL weight annealed by global
# step), then evaluated from its run directory next to EASE.
RSDIST_BIN="$rsdist" "$repo/launch/rsdist-mpirun" -np 2 rsdist train --model multvae \
  --corpus "$out/ratings-heldout-corpus" --out "$out/multvae-run" --epochs 30 --batch_size 50 \
  --multvae_dims 200,50
"$rsdist" evaluate --run "$out/multvae-run" --split test
# S3-Rec on 2 MPI ranks: self-supervised pretraining on the item attributes (AAP, MIP, MAP, SP),
# fine-tuning from its last checkpoint, and SASRec (the same fine-tuning without pretraining) to
# compare with; both judged by MRR on the 1 + 99 candidates and by full ranking.
RSDIST_BIN="$rsdist" "$repo/launch/rsdist-mpirun" -np 2 rsdist train \
  --config configs/s3rec_synthetic.ini --stage pretrain --corpus "$out/s3rec-corpus" \
  --out "$out/s3rec-pretrain-run"
RSDIST_BIN="$rsdist" "$repo/launch/rsdist-mpirun" -np 2 rsdist train \
  --config configs/s3rec_synthetic.ini --stage finetune --init_from "$out/s3rec-pretrain-run" \
  --corpus "$out/s3rec-corpus" --out "$out/s3rec-run"
RSDIST_BIN="$rsdist" "$repo/launch/rsdist-mpirun" -np 2 rsdist train \
  --config configs/s3rec_synthetic.ini --model sasrec --corpus "$out/s3rec-corpus" \
  --out "$out/sasrec-run"
"$rsdist" evaluate --run "$out/s3rec-run" --split test
"$rsdist" recommend --run "$out/s3rec-run" --split test --k 5 --max_users 3
echo "[demo] corpora in $out; runs (metrics.jsonl, checkpoints/best) in $out/naml-run," \
  "$out/gcl4sr-run, $out/neumf-run, $out/ncf-run, $out/ease-run, $out/multvae-run," \
  "$out/s3rec-run (from $out/s3rec-pretrain-run), $out/sasrec-run, and the most-popular baseline in" \
  "$out/pop-run and $out/pop-ratings-run"
