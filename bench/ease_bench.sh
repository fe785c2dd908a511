#!/usr/bin/env bash
# EASE fit time of rsdist (Gram matrix counted per rank, all-reduce, Cholesky solve) next to the
# same computation in plain PyTorch (bench/ease_pytorch_peer.py: sparse X^T X, torch.linalg.inv),
# in the same run on the same machine, with the same intra-op threads. Not a test.
#   bench/ease_bench.sh CORPUS [RESULT_JSON] [THREADS] [LAMBDA]
# CORPUS: a `rsdist preprocess ratings` directory (e.g. Mult-VAE's ML-20M shape:
# `rsdist synth ratings --rating_users 136000 --rating_items 20000 --min_ratings 20
# --max_ratings 190`, then `--split heldout_users --heldout_users 10000`). rsdist runs on 1 rank
# and under mpirun -np 2; its phases come from the fit's log line.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus=${1:?usage: bench/ease_bench.sh CORPUS [RESULT_JSON] [THREADS] [LAMBDA]}
result=${2:-bench/ease_bench.json}
threads=${3:-2}
lambda=${4:-250}
build=${RSDIST_BUILD_DIR:-$repo/build}
python=$repo/.venv/bin/python
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mpirun=(mpirun -np 2)
if [ "$(id -u)" = 0 ]; then mpirun+=(--allow-run-as-root); fi

"$python" "$repo/bench/ease_pytorch_peer.py" --corpus "$corpus" --lambda "$lambda" \
  --threads "$threads" --json "$tmp/peer.json"
OMP_NUM_THREADS=$threads "$build/rsdist" train --model ease --corpus "$corpus" --out "$tmp/one" \
  --ease_lambda "$lambda" --backend local --intra_op_threads "$threads" 2> "$tmp/one.log"
OMP_NUM_THREADS=1 "${mpirun[@]}" "$build/rsdist" train --model ease --corpus "$corpus" \
  --out "$tmp/two" --ease_lambda "$lambda" --intra_op_threads 1 2> "$tmp/two.log"

"$python" - "$tmp" "$result" <<'PY'
import json, os, re, sys
tmp, result = sys.argv[1], sys.argv[2]
peer = json.load(open(f"{tmp}/peer.json"))
def phases(log):
    text = open(log).read()
    m = re.search(r"Gram matrix ([0-9.]+) s \(this rank's rows\), all-reduce ([0-9.]+) s, "
                  r"solve[a-z ]* ([0-9.]+) s", text)
    total = re.search(r"fitted ease in closed form in ([0-9.]+) s", text)
    if not m or not total:
        sys.exit(f"ease_bench: no fit timings in {log}:\n{text[-2000:]}")
    return {"gram_s": float(m[1]), "allreduce_s": float(m[2]), "solve_s": float(m[3]),
            "fit_s": float(total[1])}
one, two = phases(f"{tmp}/one.log"), phases(f"{tmp}/two.log")
print(f"EASE on {peer['corpus']}: {peer['users']} users, {peer['items']} items, "
      f"{peer['interactions']} training interactions, lambda {peer['lambda']}")
print(f"{'phase (s)':<12} {'rsdist 1 rank':>14} {'rsdist 2 ranks':>15} {'PyTorch':>9}")
for k, name in (("gram_s", "Gram"), ("allreduce_s", "all-reduce"), ("solve_s", "solve"),
                ("fit_s", "fit")):
    print(f"{name:<12} {one[k]:>14.2f} {two[k]:>15.2f} {peer.get(k, 0.0):>9.2f}")
print(f"fit ratio PyTorch / rsdist (1 rank): {peer['fit_s'] / one['fit_s']:.2f}x")
out = {"rsdist_1rank": one, "rsdist_2ranks": two, "pytorch_peer": peer,
       "ratio_fit": peer["fit_s"] / one["fit_s"]}
with open(result + ".tmp", "w") as f:
    json.dump(out, f, indent=2)
os.replace(result + ".tmp", result)
print(f"wrote {result}")
PY
