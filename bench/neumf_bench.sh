#!/usr/bin/env bash
# NeuMF training and evaluation throughput of rsdist next to a plain-PyTorch NeuMF loop of the same
# configuration (bench/neumf_pytorch_peer.py: dense Adam lr 1e-3, batch 256, 4 negatives, factors
# 8, layers 64,32,16,8), timed in the same run on the same machine with the same thread count.
# Not a test.
#   bench/neumf_bench.sh CORPUS [RESULT_JSON] [STEPS] [THREADS] [EVAL_USERS]
# CORPUS: a `rsdist preprocess ratings --split loo --negatives 99` directory (ML-100K, or the
# synthetic ML-20M-size one). Runs build/bench/neumf_bench on 1 rank, the peer (PyTorch's default
# Adam, then again with Adam(fused=True), the kernel rsdist's trainer runs), then neumf_bench
# under mpirun -np 2 (the all-reduce share of a step); prints a table and writes JSON.
# rsdist's samples/s is the wall time of the timed steps including the loader; the peer's counts
# its step time only (its batches are sliced from tensors built before the timing).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus=${1:?usage: bench/neumf_bench.sh CORPUS [RESULT_JSON] [STEPS] [THREADS] [EVAL_USERS]}
result=${2:-bench/neumf_bench.json}
steps=${3:-2000}
threads=${4:-1}
eval_users=${5:-0}
build=${RSDIST_BUILD_DIR:-$repo/build}
python=$repo/.venv/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/bench/neumf_bench" --corpus "$corpus" --steps "$steps" --threads "$threads" \
  --eval_users "$eval_users" --backend local --json "$tmp/rsdist.json"
"$python" "$repo/bench/neumf_pytorch_peer.py" --corpus "$corpus" --steps "$steps" \
  --threads "$threads" --eval_users "$eval_users" --json "$tmp/peer.json"
"$python" "$repo/bench/neumf_pytorch_peer.py" --corpus "$corpus" --steps "$steps" \
  --threads "$threads" --eval_users 1 --fused_adam --json "$tmp/peer_fused.json"
mpirun=(mpirun -np 2)
if [ "$(id -u)" = 0 ]; then mpirun+=(--allow-run-as-root); fi
"${mpirun[@]}" "$build/bench/neumf_bench" --corpus "$corpus" --steps "$steps" \
  --threads "$threads" --eval_users 1 --json "$tmp/rsdist2.json"

"$python" - "$tmp" "$result" <<'PY'
import json, os, sys
tmp, result = sys.argv[1], sys.argv[2]
r = json.load(open(f"{tmp}/rsdist.json"))
p = json.load(open(f"{tmp}/peer.json"))
pf = json.load(open(f"{tmp}/peer_fused.json"))["train"]
r2 = json.load(open(f"{tmp}/rsdist2.json"))
rows = [
    ("train samples/s (1 rank)", r["compute_samples_per_second"], p["train"]["samples_per_s"]),
    ("train step ms, median", r["compute_step_ms_median"], p["train"]["median_step_ms"]),
    ("eval users/s, sampled 1+99", r["sampled_users_per_second"], p["eval_sampled"]["users_per_s"]),
    ("eval users/s, full ranking", r["full_users_per_second"], p["eval_full"]["users_per_s"]),
]
print(f"NeuMF on {r['corpus']}: {r['users']} users, {r['items']} items, {r['train_positives']} "
      f"positives; {r['parameters']} parameters; {r['threads']} thread(s)")
print(f"{'measure':<30} {'rsdist':>12} {'PyTorch':>12} {'ratio':>7}")
for name, a, b in rows:
    ratio = a / b if "ms" not in name else b / a
    print(f"{name:<30} {a:>12.1f} {b:>12.1f} {ratio:>6.2f}x")
print(f"{'PyTorch with Adam(fused=True)':<30} {'':>12} {pf['samples_per_s']:>12.1f} "
      f"{r['compute_samples_per_second'] / pf['samples_per_s']:>6.2f}x  (train samples/s)")
print(f"2 ranks (mpi): {r2['ddp_samples_per_second_per_rank']:.0f} samples/s per rank, step "
      f"{r2['ddp_step_ms_median']:.2f} ms vs {r2['compute_step_ms_median']:.2f} ms without the "
      f"all-reduce: all-reduce share {100 * r2['allreduce_share']:.0f}% "
      f"({r2['allreduce_mb_per_step']:.1f} MB all-reduced per step)")
out = {"rsdist_1rank": r, "pytorch_peer": p, "pytorch_peer_fused_adam_train": pf, "rsdist_2ranks": r2,
       "ratios": {name: (a / b if "ms" not in name else b / a) for name, a, b in rows}}
with open(result + ".tmp", "w") as f:
    json.dump(out, f, indent=2)
os.replace(result + ".tmp", result)
print(f"wrote {result}")
PY
