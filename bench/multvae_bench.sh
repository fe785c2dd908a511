#!/usr/bin/env bash
# Mult-VAE training throughput of rsdist next to a plain-PyTorch Mult-VAE loop of the same
# configuration (bench/multvae_pytorch_peer.py: dense batches, nn.Linear, F.dropout, Adam lr 1e-3,
# batch 500 users, [I -> 600 -> 200]), timed in the same run on the same machine with the same
# thread count. Not a test.
#   bench/multvae_bench.sh CORPUS [RESULT_JSON] [STEPS] [THREADS]
# CORPUS: a `rsdist preprocess ratings` directory (ML-100K, or the synthetic ML-20M-shape one:
# `rsdist synth ratings --users 136677 --items 20108 ...`, see docs/architecture.md). Runs
# build/bench/multvae_bench on 1 rank, the peer (PyTorch's default Adam, then Adam(fused=True), the
# kernel rsdist's trainer runs), then multvae_bench under mpirun -np 2 with one thread per rank
# (the all-reduce share of a step); prints a table and writes JSON.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus=${1:?usage: bench/multvae_bench.sh CORPUS [RESULT_JSON] [STEPS] [THREADS]}
result=${2:-bench/multvae_bench.json}
steps=${3:-40}
threads=${4:-$(nproc)}
build=${RSDIST_BUILD_DIR:-$repo/build}
python=$repo/.venv/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/bench/multvae_bench" --corpus "$corpus" --steps "$steps" --threads "$threads" \
  --backend local --json "$tmp/rsdist.json"
"$python" "$repo/bench/multvae_pytorch_peer.py" --corpus "$corpus" --steps "$steps" \
  --threads "$threads" --json "$tmp/peer.json"
"$python" "$repo/bench/multvae_pytorch_peer.py" --corpus "$corpus" --steps "$steps" \
  --threads "$threads" --eval_users 1 --fused_adam --json "$tmp/peer_fused.json"
mpirun=(mpirun -np 2)
if [ "$(id -u)" = 0 ]; then mpirun+=(--allow-run-as-root); fi
"${mpirun[@]}" "$build/bench/multvae_bench" --corpus "$corpus" --steps "$steps" \
  --threads 1 --eval_users 1 --json "$tmp/rsdist2.json"

"$python" - "$tmp" "$result" <<'PY'
import json, os, sys
tmp, result = sys.argv[1], sys.argv[2]
r = json.load(open(f"{tmp}/rsdist.json"))
p = json.load(open(f"{tmp}/peer.json"))
pf = json.load(open(f"{tmp}/peer_fused.json"))
r2 = json.load(open(f"{tmp}/rsdist2.json"))
rows = [
    ("train users/s (1 rank)", r["compute_users_per_second"], p["users_per_second"]),
    ("train step ms, median", r["compute_step_ms_median"], p["step_ms_median"]),
    ("eval users/s, full ranking", r["eval_users_per_second"], p["eval_users_per_second"]),
]
print(f"Mult-VAE on {r['corpus']}: {r['train_users']} training users, {r['items']} items, "
      f"{r['train_interactions']} interactions; {r['parameters']} parameters; {r['threads']} "
      f"thread(s)")
print(f"{'measure':<30} {'rsdist':>12} {'PyTorch':>12} {'ratio':>7}")
for name, a, b in rows:
    ratio = a / b if "ms" not in name else b / a
    print(f"{name:<30} {a:>12.1f} {b:>12.1f} {ratio:>6.2f}x")
print(f"{'PyTorch with Adam(fused=True)':<30} {'':>12} {pf['users_per_second']:>12.1f} "
      f"{r['compute_users_per_second'] / pf['users_per_second']:>6.2f}x  (train users/s)")
print(f"2 ranks (mpi, 1 thread each): {r2['ddp_users_per_second_per_rank']:.0f} users/s per rank, "
      f"step {r2['ddp_step_ms_median']:.1f} ms vs {r2['compute_step_ms_median']:.1f} ms without "
      f"the all-reduce: all-reduce share {100 * r2['allreduce_share']:.0f}% "
      f"({r2['allreduce_mb_per_step']:.1f} MB all-reduced per step)")
out = {"rsdist": r, "pytorch": p, "pytorch_fused_adam": pf, "rsdist_2_ranks": r2,
       "train_ratio": r["compute_users_per_second"] / p["users_per_second"],
       "train_ratio_vs_fused": r["compute_users_per_second"] / pf["users_per_second"]}
with open(result + ".tmp", "w") as f:
    json.dump(out, f, indent=2)
os.replace(result + ".tmp", result)
print(f"wrote {result}")
PY
