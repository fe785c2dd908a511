#!/usr/bin/env bash
# S3-Rec training steps of rsdist next to the official module structure in eager PyTorch
# (bench/s3rec_pytorch_peer.py, built from tests/models/s3rec_reference.py), timed in the same run
# on the same machine with the same thread count, on the same batches (rsdist's last pretraining
# batch of 100 and fine-tuning batch of 256, exported with the initial weights) and the same
# settings (hidden 64, 2 layers, 2 heads, L 50, dropout 0.5, Adam lr 1e-3). Not a test.
#   bench/s3rec_bench.sh CORPUS [RESULT_JSON] [STEPS] [THREADS]
# CORPUS: `rsdist preprocess seq --input Beauty.txt --attributes Beauty_item2attributes.json`.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
corpus=${1:?usage: bench/s3rec_bench.sh CORPUS [RESULT_JSON] [STEPS] [THREADS]}
result=${2:-bench/s3rec_bench.json}
steps=${3:-10}
threads=${4:-$(nproc)}
build=${RSDIST_BUILD_DIR:-$repo/build}
python=$repo/.venv/bin/python
device=${RSDIST_BENCH_DEVICE:-cpu}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/bench/s3rec_bench" --corpus "$corpus" --steps "$steps" --threads "$threads" \
  --device "$device" --json "$tmp/rsdist.json" --export "$tmp/batches.pt"
"$python" "$repo/bench/s3rec_pytorch_peer.py" "$tmp/batches.pt" --steps "$steps" \
  --threads "$threads" --device "$device" --json "$tmp/peer.json"

"$python" - "$tmp" "$result" <<'PY'
import json, os, sys
tmp, result = sys.argv[1], sys.argv[2]
r = json.load(open(f"{tmp}/rsdist.json"))
p = json.load(open(f"{tmp}/peer.json"))
print(f"S3-Rec on {r['corpus']}, {r['device']}, {r['threads']} thread(s)")
print(f"{'stage':<10} {'batch':>6} {'rsdist ms':>10} {'PyTorch ms':>11} {'rsdist/s':>9} {'PyTorch/s':>10} {'ratio':>6}")
out = {"rsdist": r, "pytorch": p}
for stage in ("pretrain", "finetune"):
    a, b = r[stage], p[stage]
    ratio = a["samples_per_s"] / b["samples_per_s"]
    out[stage + "_ratio"] = ratio
    print(f"{stage:<10} {a['batch']:>6} {a['median_step_ms']:>10.1f} {b['median_step_ms']:>11.1f} "
          f"{a['samples_per_s']:>9.0f} {b['samples_per_s']:>10.0f} {ratio:>5.2f}x")
print(f"(rsdist builds a batch on a loader thread in training: pretraining "
      f"{r['pretrain']['median_build_ms']:.1f} ms, fine-tuning {r['finetune']['median_build_ms']:.1f} ms "
      f"per batch, not in the step times; the peer's times exclude its DataLoader too)")
tmp_result = result + ".tmp"
with open(tmp_result, "w") as f:
    json.dump(out, f, indent=2)
    f.write("\n")
os.replace(tmp_result, result)
PY
