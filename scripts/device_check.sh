#!/usr/bin/env bash
# The GPU check: builds rsdist on a machine with an NVIDIA GPU and proves and measures its CUDA
# paths in one call, stage by stage, each stage with its own time limit so that one hang cannot eat
# the budget. docs/gpu.md says how to run it; issue "GPU proof" says why.
#
#   scripts/device_check.sh [--cpu] [--tiny] [--build-dir DIR] [--out DIR] [--jobs N]
#
#   --cpu        run every stage on the CPU (no CUDA asked for; CUDA-only stages are recorded as
#                "skipped", never as passed)
#   --tiny       tiny data and few steps (the CTest run of this script: tests/scripts/)
#   --build-dir  the build to use; a configured one is only brought up to date (default:
#                build-device/, configured here against python3's LibTorch)
#   --out        where device_check.json, device_check.md and device_check.log go (default $OUT,
#                else out/device-check)
#   --no-build   use the build as it is (CTest: the tests run from that very build)
#   --deadline-s stop starting stages after this many seconds (default 450: the device's calls
#                are limited; a stage's own limit is cut to what is left)
#   --bundle     use the bundle (.device/debs) in CPU mode too (a rehearsal of the bare machine)
#   --self-test-timeout  run only a stage that hangs, with a 3 s limit (tests/scripts/: the
#                watchdog must end it and everything it started, and the check must fail)
#
# On a bare machine (no Debian packages, no network) the libraries come from the bundle that
# scripts/device_bundle.sh prepares here: in GPU mode, when .device/debs/ exists,
# scripts/device_env.sh unpacks it into a private prefix (never into /) and exports the paths,
# the relocated mpirun and the CMake hints.
#
# Stages: environment, configure, build, cuda_tests, data, train_<model>_<precision> (NAML, GCL4SR,
# Mult-VAE, NeuMF; fp32 and, on a GPU, bf16 autocast: the loss must fall and stay finite),
# ease_fit (the closed-form solve on the device), mpi_two_ranks (two ranks sharing the machine's
# one GPU over the MPI backend), and the benchmarks (reducer overlap, all-reduce bandwidth at
# world 1, GCL4SR step phases, Mult-VAE and NeuMF next to their plain-PyTorch peers, NAML samples/s
# and dev evaluation at MIND-small size). Every stage's outcome and figures go to
# device_check.json; device_check.md is the summary. Exits 0 when no stage failed, else 1 naming
# the failed stages.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cpu=0
tiny=0
build=""
out=${OUT:-}
jobs=$(nproc)
no_build=0
deadline=450
self_test=0
bundle=0
while [ $# -gt 0 ]; do
  case $1 in
    --cpu) cpu=1 ;;
    --tiny) tiny=1 ;;
    --build-dir) build=$2; shift ;;
    --out) out=$2; shift ;;
    --jobs) jobs=$2; shift ;;
    --no-build) no_build=1 ;;
    --deadline-s) deadline=$2; shift ;;
    --self-test-timeout) self_test=1 ;;
    --bundle) bundle=1 ;;
    -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "device_check: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
build=${build:-$repo/build-device}
out=${out:-$repo/out/device-check}
mkdir -p "$out"
out=$(cd "$out" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/rsdist-device-check.XXXXXX")
main_pid=$BASHPID
# Only the script itself removes it: bash runs EXIT traps in the stages' subshells too.
trap '[ "$BASHPID" = "$main_pid" ] && rm -rf "$work"' EXIT
log=$out/device_check.log
records=$work/stages.jsonl
: > "$log"
: > "$records"
start_all=$SECONDS
failed=()

say() { printf '[device-check %4ds] %s\n' "$((SECONDS - start_all))" "$*" | tee -a "$log"; }

# stage NAME LIMIT_S COMMAND...: runs COMMAND (a shell function or program) in its own process
# group, its output appended to the log, killed (the whole group) after LIMIT_S seconds or when
# the run's deadline comes first. The command may write figures as a JSON object to
# $work/fig/NAME.json (figure) and a one-line note (note). Exit 77 means "skipped" (the note says
# why).
stage() {
  local name=$1 limit=$2
  shift 2
  mkdir -p "$work/fig" "$work/note"
  local left=$((deadline - (SECONDS - start_all)))
  if [ "$left" -lt 15 ]; then
    echo "out of time (--deadline-s $deadline)" > "$work/note/$name"
    record "$name" skipped 77 0 "$limit"
    return
  fi
  [ "$left" -lt "$limit" ] && limit=$left
  printf '\n===== %s (limit %s s) =====\n' "$name" "$limit" >> "$log"
  local begin=$SECONDS rc marker=$work/timed-out.$name
  STAGE=$name
  set -m  # the stage gets its own process group, so that a timeout ends all it started
  ("$@") >> "$log" 2>&1 < /dev/null &
  local pid=$!
  set +m
  # The main shell is the watchdog: no timer process can outlive the stage or hit a reused pid.
  while kill -0 "$pid" 2> /dev/null; do
    if [ $((SECONDS - begin)) -ge "$limit" ]; then
      touch "$marker"
      kill -TERM -- "-$pid" 2> /dev/null
      for _ in $(seq 25); do kill -0 "$pid" 2> /dev/null || break; sleep 0.2; done
      kill -KILL -- "-$pid" 2> /dev/null
      break
    fi
    sleep 0.2
  done
  wait "$pid"
  rc=$?
  local status=ok
  if [ -f "$marker" ]; then status=timeout
  elif [ "$rc" -eq 77 ]; then status=skipped
  elif [ "$rc" -ne 0 ]; then status=failed
  fi
  record "$name" "$status" "$rc" $((SECONDS - begin)) "$limit"
}

# record NAME STATUS RC SECONDS LIMIT: one line of stages.jsonl and one progress line.
record() {
  local name=$1 status=$2 rc=$3 seconds=$4 limit=$5 note=""
  if [ "$status" = timeout ] || [ "$status" = failed ]; then failed+=("$name"); fi
  if [ -f "$work/note/$name" ]; then note=$(head -1 "$work/note/$name"); fi
  python3 - "$name" "$status" "$rc" "$seconds" "$limit" "$note" "$work/fig/$name.json" \
    >> "$records" <<'PY'
import json, os, sys
name, status, rc, seconds, limit, note, fig = sys.argv[1:8]
try:
    figures = json.load(open(fig)) if os.path.exists(fig) else {}
except ValueError:
    figures = {"unreadable_figures": fig}
print(json.dumps({"stage": name, "status": status, "exit_code": int(rc), "seconds": int(seconds),
                  "limit_seconds": int(limit), "note": note, "figures": figures}))
PY
  say "$name: $status in ${seconds} s${note:+ ($note)}"
}

# A stage's figures: figure KEY VALUE [KEY VALUE ...] (numbers or strings), merged per stage.
figure() {
  python3 - "$work/fig/$STAGE.json" "$@" <<'PY'
import json, os, sys
path, args = sys.argv[1], sys.argv[2:]
d = json.load(open(path)) if os.path.exists(path) else {}
for k, v in zip(args[::2], args[1::2]):
    try:
        d[k] = float(v) if any(c in v for c in ".eE") else int(v)
    except ValueError:
        d[k] = v
json.dump(d, open(path, "w"))
PY
}
note() { echo "$*" > "$work/note/$STAGE"; }

# --- Sizes ---------------------------------------------------------------------------------------
if [ "$tiny" = 1 ]; then
  steps=20; epochs=3; mind_preset=tiny; bench_steps=3; ml_users=300; ml_items=200; vae_batch=25
  gcl_batch=64
else
  steps=100; epochs=3; mind_preset=small; bench_steps=30; ml_users=20000; ml_items=5000
  vae_batch=500; gcl_batch=256
fi
rsdist=$build/rsdist
# The Python with torch and h5py: the device's python3, or the checkout's .venv in CPU mode.
python=${RSDIST_PYTHON:-python3}
if [ -z "${RSDIST_PYTHON:-}" ] && [ "$cpu" = 1 ] && [ -x "$repo/.venv/bin/python" ]; then
  python=$repo/.venv/bin/python
fi
mpirun_cmd=(mpirun -np 2)
if [ "$(id -u)" = 0 ]; then mpirun_cmd+=(--allow-run-as-root); fi

# --- Environment ---------------------------------------------------------------------------------
# GPU mode uses the bundle when it is there; CPU mode (CTest) the machine's own packages.
if { [ "$cpu" = 0 ] || [ "$bundle" = 1 ]; } && [ -d "$repo/.device/debs" ] && [ -f "$repo/scripts/device_env.sh" ]; then
  # shellcheck source=device_env.sh disable=SC1091
  source "$repo/scripts/device_env.sh" "${RSDIST_DEVICE_PREFIX:-/tmp/rsdist-device-prefix}"
  if [ -n "${RSDIST_DEVICE_MPIRUN:-}" ]; then read -r -a mpirun_cmd <<< "$RSDIST_DEVICE_MPIRUN -np 2"; fi
fi

environment() {
  figure mode "$([ "$cpu" = 1 ] && echo cpu || echo gpu)" tiny "$tiny" cores "$(nproc)"
  figure torch "$("$python" -c 'import torch; print(torch.__version__)')"
  if [ "$cpu" = 0 ]; then
    nvidia-smi -L || return 1
    figure gpu "$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1)"
    figure driver "$(nvidia-smi --query-gpu=driver_version --format=csv,noheader | head -1)"
    figure cuda_visible "$("$python" -c 'import torch; print(int(torch.cuda.is_available()))')"
    command -v nvcc && figure nvcc "$(nvcc --version | tail -2 | head -1)"
  fi
  command -v mpirun && figure mpirun "${mpirun_cmd[0]}"
  return 0
}

configure() {
  if [ "$no_build" = 1 ]; then note "--no-build"; return 77; fi
  if [ -f "$build/CMakeCache.txt" ]; then note "already configured: $build"; return 0; fi
  local torch_prefix cuda=OFF
  torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)') || return 1
  [ "$cpu" = 0 ] && cuda=ON
  local generator=()
  command -v ninja > /dev/null && generator=(-G Ninja)
  # shellcheck disable=SC2206
  local hints=(${RSDIST_DEVICE_CMAKE_ARGS:-})
  cmake -S "$repo" -B "$build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH="$torch_prefix${CMAKE_PREFIX_PATH:+;$CMAKE_PREFIX_PATH}" \
    -DRSDIST_WITH_CUDA="$cuda" -DRSDIST_WITH_NCCL="$([ "$cpu" = 0 ] && echo AUTO || echo OFF)" \
    -DTORCH_CUDA_ARCH_LIST="${TORCH_CUDA_ARCH_LIST:-9.0}" "${hints[@]}"
}

# What the check runs: the binary, the tests with CUDA cases, the benchmarks.
targets=(rsdist test_models test_eval_ranking test_loader_seq test_ddp_mpirun test_models_gcl4sr
         test_models_multvae test_models_ease test_loader_ratings reducer_bench allreduce_bench
         gcl4sr_bench multvae_bench neumf_bench test_models_s3rec s3rec_bench item_sharding_bench)
build_targets() {
  if [ "$no_build" = 1 ]; then note "--no-build"; return 77; fi
  # Every target that this configuration has (test_ddp_nccl needs NCCL, test_ddp_mpirun MPI).
  local present=() t known
  if [ -f "$build/build.ninja" ]; then
    known=$(ninja -C "$build" -t targets all | cut -d: -f1)
  else
    known=$(printf '%s\n' "${targets[@]}")  # other generators: ask for all of them
  fi
  for t in "${targets[@]}" test_ddp_nccl; do
    if grep -qx -- "$t\|tests/$t\|bench/$t" <<< "$known"; then present+=("$t"); fi
  done
  figure targets "${#present[@]}"
  cmake --build "$build" -j "$jobs" --target "${present[@]}"
}

# The gtest cases that skip without a GPU: on a GPU every one must run and pass.
cuda_tests() {
  local filters=("test_models:NamlModel.CudaMatchesCpu" "test_eval_ranking:RankFull.Cuda*"
                 "test_loader_seq:SeqBatcher.DeliversToCuda*" "test_ddp_nccl:NcclCommunicator*"
                 "test_models_gcl4sr:Gcl4srModel.CudaMatchesCpu"
                 "test_models_multvae:MultVae.CudaMatchesCpu"
                 "test_models_ease:EaseSolve.CudaMatchesCpu"
                 "test_models_s3rec:S3RecModel.CudaMatchesCpu"
                 "test_loader_ratings:UserRowBatcher.DeliversToCuda*")
  local passed=0 skipped=0 failed_cases=0 f binary filter output
  for f in "${filters[@]}"; do
    binary=$build/tests/${f%%:*}
    filter=${f#*:}
    if [ ! -x "$binary" ]; then echo "absent: $binary"; skipped=$((skipped + 1)); continue; fi
    output=$("$binary" --gtest_filter="$filter" 2>&1)
    echo "$output"
    passed=$((passed + $(grep -c '^\[       OK \]' <<< "$output")))
    skipped=$((skipped + $(grep -c '^\[  SKIPPED \].* ms)$' <<< "$output")))
    failed_cases=$((failed_cases + $(grep -c '^\[  FAILED  \].*(' <<< "$output")))
  done
  figure passed "$passed" skipped "$skipped" failed "$failed_cases"
  [ "$failed_cases" -eq 0 ] || return 1
  if [ "$cpu" = 1 ]; then note "CPU: $skipped CUDA cases skipped, $passed ran"; return 77; fi
  [ "$skipped" -eq 0 ]
}

data() {
  local d=$work/data
  "$rsdist" synth mind --out "$d/mind" --preset "$mind_preset" --seed 1 --force &&
  "$rsdist" preprocess mind --train "$d/mind/train" --dev "$d/mind/dev" --glove "$d/mind/glove.txt" \
    --out "$d/mind-corpus" --shards 2 --force &&
  "$rsdist" synth seq --out "$d/seq" --seed 1 --force &&
  "$rsdist" preprocess seq --input "$d/seq/sequences.txt" --out "$d/seq-corpus" --force &&
  "$rsdist" preprocess seq --input "$d/seq/sequences_s3rec.txt" \
    --attributes "$d/seq/item2attributes.json" --out "$d/s3rec-corpus" --force &&
  "$rsdist" synth ratings --out "$d/ratings" --seed 1 --rating_users "$ml_users" \
    --rating_items "$ml_items" --force &&
  "$rsdist" preprocess ratings --input "$d/ratings/u.data" --out "$d/loo" --split loo \
    --negatives 99 --force &&
  "$rsdist" preprocess ratings --input "$d/ratings/u.data" --out "$d/heldout" \
    --split heldout_users --heldout_users $((ml_users / 10)) --force || return 1
  # Amazon Home (the bundle's copy, scripts/device_bundle.sh) for the GCL4SR benchmark.
  if [ "$tiny" = 0 ] && [ -f "$repo/.device/data/home.txt" ]; then
    "$rsdist" preprocess seq --input "$repo/.device/data/home.txt" --out "$d/home-corpus" --force ||
      return 1
    figure home 1
  fi
  # Amazon Beauty with its item attributes (the bundle's copy) for the S3-Rec benchmark.
  if [ "$tiny" = 0 ] && [ -f "$repo/.device/data/Beauty.txt" ]; then
    "$rsdist" preprocess seq --input "$repo/.device/data/Beauty.txt" \
      --attributes "$repo/.device/data/Beauty_item2attributes.json" --out "$d/beauty-corpus" \
      --force || return 1
    figure beauty 1
  fi
}

# S3-Rec: rsdist's pretraining and fine-tuning steps next to the official module structure in eager
# PyTorch (bench/s3rec_bench.sh: the same batches and weights) on Beauty when the bundle has it.
bench_s3rec() {
  local corpus=$work/data/beauty-corpus
  [ -d "$corpus" ] || corpus=$work/data/s3rec-corpus
  RSDIST_BUILD_DIR=$build RSDIST_BENCH_DEVICE="$([ "$cpu" = 1 ] && echo cpu || echo cuda)" \
    "$repo/bench/s3rec_bench.sh" "$corpus" "$work/fig/$STAGE.json" "$bench_steps"
}

# train MODEL PRECISION ARGS...: a short run; every epoch's loss finite and the last below the first.
train() {
  local model=$1 precision=$2
  shift 2
  if [ "$precision" = bf16 ] && [ "$cpu" = 1 ]; then note "bf16 autocast is CUDA-only"; return 77; fi
  local run=$work/runs/$model-$precision
  rm -rf "$run"
  "$rsdist" train --model "$model" --out "$run" --epochs "$epochs" --max_steps_per_epoch "$steps" \
    --early_stopping_patience 100 --mixed_precision "$([ "$precision" = bf16 ] && echo true || echo false)" \
    "$@" || return 1
  python3 - "$run/metrics.jsonl" "$work/fig/$STAGE.json" <<'PY'
import json, math, sys
records = [json.loads(l) for l in open(sys.argv[1])]
epochs = [r for r in records if r.get("kind") == "epoch"]
losses = [r["train_loss"] for r in epochs]
figures = {"losses": losses, "samples_per_second": epochs[-1]["samples_per_second"],
           "epoch_seconds": [r["train_seconds"] for r in epochs]}
json.dump(figures, open(sys.argv[2], "w"))
bad = [l for l in losses if not math.isfinite(l)]
if bad or len(losses) < 2 or not losses[-1] < losses[0]:
    sys.exit(f"losses {losses}: expected finite and falling")
PY
}

ease_fit() {
  local run=$work/runs/ease
  rm -rf "$run"
  "$rsdist" train --model ease --corpus "$work/data/heldout" --out "$run" --ease_lambda 100,500 || return 1
  figure fit_log "$(grep -o 'Gram matrix.*' "$run/train.log" | head -1)"
  python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["test"]["ndcg100"])' \
    "$run/results.json"
}

mpi_two_ranks() {
  command -v "${mpirun_cmd[0]}" > /dev/null || { note "no mpirun"; return 1; }
  local run=$work/runs/naml-mpi
  rm -rf "$run"
  "${mpirun_cmd[@]}" "$rsdist" train --config "$repo/configs/naml_synthetic.ini" \
    --corpus "$work/data/mind-corpus" --out "$run" --backend mpi --epochs 1 \
    --max_steps_per_epoch "$steps" || return 1
  grep -q "on 2 rank(s), backend mpi" "$run/train.log" || return 1
  if [ "$cpu" = 1 ]; then note "replica tests: CTest runs them on the CPU"; return 0; fi
  # The runtime's replica checks (parameters equal on every rank) under mpirun, on this device.
  "$build/tests/test_ddp_mpirun" \
    --gtest_filter='MpiRun.SameParametersUnderNp1Np2Np4:MpiRun.ReplicasThatDiffer*'
}

# Resume on this device (Note [Per-rank state in a checkpoint]: the CUDA generator is saved per
# rank): NAML 2 epochs straight, and 2 epochs stopped by SIGTERM before step 5 (a step checkpoint,
# exit 75) then resumed; the epoch-2 parameters compared. On the CPU they must be bit-identical; on
# a GPU some backward kernels (atomics) may differ from run to run, so the figure says how far apart.
resume_exact() {
  local base=$work/runs/resume status=0
  rm -rf "$base"
  local args=(train --config "$repo/configs/naml_synthetic.ini" --corpus "$work/data/mind-corpus"
    --epochs 2 --max_steps_per_epoch "$steps" --early_stopping_patience 100)
  "$rsdist" "${args[@]}" --out "$base/whole" || return 1
  RSDIST_FAULT=forward:0:5:TERM "$rsdist" "${args[@]}" --out "$base/midway" || status=$?
  [ "$status" = 75 ] || { note "the stopped run exited $status, not 75"; return 1; }
  "$rsdist" "${args[@]}" --out "$base/midway" --resume || return 1
  "$python" - "$base" "$work/fig/$STAGE.json" "$cpu" <<'PY'
import json, sys, torch
base, out, cpu = sys.argv[1:4]
a = torch.load(f"{base}/whole/checkpoints/epoch-0002/model.pt")
b = torch.load(f"{base}/midway/checkpoints/epoch-0002/model.pt")
diff = max((a[k].double() - b[k].double()).abs().max().item() for k in a)
json.dump({"max_abs_difference": diff, "bit_identical": diff == 0.0}, open(out, "w"))
print(f"epoch-2 parameters after a mid-epoch resume: max |difference| {diff:g}")
if cpu == "1" and diff != 0.0:
    sys.exit("a resumed CPU run must be bit-identical")
PY
}

bench_reducer() {
  "${mpirun_cmd[@]}" "$build/bench/reducer_bench" --steps "$bench_steps" --backend mpi \
    --json "$work/fig/$STAGE.json"
}
bench_allreduce() {
  local backend=nccl
  [ "$cpu" = 1 ] && backend=local
  "$build/bench/allreduce_bench" --backend "$backend" --iterations "$bench_steps" \
    --json "$work/fig/$STAGE.json"
}
# GCL4SR: rsdist's step phases, next to the eager-PyTorch reference model of the official structure
# (bench/gcl4sr_pytorch_peer.py) on the very batch, views and weights the bench exported.
bench_gcl4sr() {
  local corpus=$work/data/seq-corpus device=cuda
  if [ -f "$work/data/home-corpus/manifest.json" ]; then corpus=$work/data/home-corpus; fi
  [ "$cpu" = 1 ] && device=cpu
  "$build/bench/gcl4sr_bench" --corpus "$corpus" --steps "$bench_steps" \
    --batch "$([ "$tiny" = 1 ] && echo 64 || echo 1024)" --device "$device" \
    --json "$work/gcl4sr_rsdist.json" --export "$work/gcl4sr_batch.pt" &&
  env PYTHONUNBUFFERED=1 "$python" "$repo/bench/gcl4sr_pytorch_peer.py" "$work/gcl4sr_batch.pt" \
    --device "$device" --steps "$bench_steps" --json "$work/gcl4sr_peer.json" || return 1
  python3 - "$work" "$corpus" "$work/fig/$STAGE.json" <<'PY'
import json, os, sys
work, corpus, out = sys.argv[1:4]
r = json.load(open(f"{work}/gcl4sr_rsdist.json"))
p = json.load(open(f"{work}/gcl4sr_peer.json"))
m = r["median_seconds"]
step_ms = 1000 * (m["forward+losses"] + m["backward"] + m["adam"])
fig = {"corpus": os.path.basename(corpus), "batch": r["batch"], "edges": r["edges"],
       "rsdist_step_ms": step_ms, "sampling_ms": 1000 * m["sampling"],
       "rsdist_samples_per_second_overlapped": r["samples_per_second_overlapped"],
       "pytorch_reference_step_ms": p["step_ms_median"],
       "ratio_vs_reference": p["step_ms_median"] / step_ms}
json.dump(fig, open(out, "w"))
print(json.dumps(fig, indent=1))
PY
}
bench_multvae() {
  "$build/bench/multvae_bench" --corpus "$work/data/heldout" --steps "$bench_steps" --backend local \
    --batch "$([ "$tiny" = 1 ] && echo 50 || echo 500)" --json "$work/multvae_rsdist.json" &&
  "$python" "$repo/bench/multvae_pytorch_peer.py" --corpus "$work/data/heldout" \
    --steps "$bench_steps" --batch "$([ "$tiny" = 1 ] && echo 50 || echo 500)" \
    --device "$([ "$cpu" = 1 ] && echo cpu || echo cuda)" --json "$work/multvae_peer.json" &&
  python3 - "$work/multvae_rsdist.json" "$work/multvae_peer.json" "$work/fig/$STAGE.json" <<'PY'
import json, sys
r, p = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
json.dump({"rsdist_users_per_second": r["compute_users_per_second"],
           "pytorch_users_per_second": p["users_per_second"],
           "ratio": r["compute_users_per_second"] / p["users_per_second"],
           "device": r["device"]}, open(sys.argv[3], "w"))
PY
}
# The sharded item table's step at np = 1 (docs/scaling.md's compute term) next to the replicated
# one, and the scaling model's prediction for it (scripts/scaling_model.py's default parameters).
bench_item_sharding() {
  local items=1000000
  [ "$tiny" = 1 ] && items=20000
  local mode
  for mode in replicated sharded; do
    "$build/bench/item_sharding_bench" --mode "$mode" --items "$items" --steps "$bench_steps" \
      --json "$work/item_sharding_$mode.json" || return 1
  done
  python3 - "$work" "$work/fig/$STAGE.json" <<'PY'
import json, sys
work, out = sys.argv[1:3]
r = json.load(open(f"{work}/item_sharding_replicated.json"))
s = json.load(open(f"{work}/item_sharding_sharded.json"))
b, v, d = s["batch_per_rank"], s["items"], s["dim"]
model_ms = 8 * b * v * d / 40e12 * 1e3 + 5 * b * v * 4 / 2.5e12 * 1e3
json.dump({"device": s["device"], "items": v, "sharded_step_ms": s["step_ms"],
           "replicated_step_ms": r["step_ms"], "model_compute_ms": model_ms,
           "measured_over_model": s["step_ms"] / model_ms}, open(out, "w"))
PY
}
bench_neumf() {
  "$build/bench/neumf_bench" --corpus "$work/data/loo" --steps $((bench_steps * 10)) --backend local \
    --eval_users 200 --json "$work/fig/$STAGE.json"
}
# NAML: rsdist's samples/s (news de-duplication on and off, fp32 and bf16) and dev evaluation at
# MIND-small size, next to the eager-PyTorch reference model (bench/naml_pytorch_peer.py) with
# the same shapes and vocabulary on the same device. --tiny: the peer alone at tiny shapes.
bench_naml() {
  local peer=(env PYTHONUNBUFFERED=1 "$python" "$repo/bench/naml_pytorch_peer.py")
  if [ "$tiny" = 1 ]; then
    "${peer[@]}" --corpus "$work/data/mind-corpus" --device cpu --steps 2 --warmup 1 --batch 4 \
      --history 5 --title 8 --abstract 8 --kernels 16 --attention 8 --json "$work/fig/$STAGE.json"
    return
  fi
  local device=cuda bf16=(--bf16)
  if [ "$cpu" = 1 ]; then device=cpu; bf16=(); fi
  "$repo/bench/naml_train_bench.sh" "$rsdist" "$work/naml-cache" "$work/naml_rsdist.json" 40 &&
  "${peer[@]}" --corpus "$work/naml-cache/naml_corpus" --device "$device" --steps 10 \
    --json "$work/naml_peer.json" || return 1
  if [ "$cpu" = 0 ]; then
    "${peer[@]}" --corpus "$work/naml-cache/naml_corpus" --device "$device" --steps 10 "${bf16[@]}" \
      --json "$work/naml_peer_bf16.json" || return 1
  fi
  python3 - "$work" "$work/fig/$STAGE.json" <<'PY'
import json, os, sys
work, out = sys.argv[1], sys.argv[2]
cases = {c["case"]: c for c in json.load(open(f"{work}/naml_rsdist.json"))["cases"]}
peer = json.load(open(f"{work}/naml_peer.json"))["samples_per_second"]
fig = {f"rsdist_{k.replace('+', '_').replace('-', '_')}_samples_per_second": c["samples_per_second"]
       for k, c in cases.items()}
fig["pytorch_reference_samples_per_second"] = peer
fig["ratio_dedup_vs_reference"] = cases["dedup"]["samples_per_second"] / peer
fig["dev_eval_seconds"] = cases["dedup"]["dev_eval_seconds"]
if "dedup+bf16" in cases:
    fig["bf16_vs_fp32"] = cases["dedup+bf16"]["samples_per_second"] / cases["dedup"]["samples_per_second"]
if os.path.exists(f"{work}/naml_peer_bf16.json"):
    fig["pytorch_reference_bf16_samples_per_second"] = json.load(
        open(f"{work}/naml_peer_bf16.json"))["samples_per_second"]
json.dump(fig, open(out, "w"))
print(json.dumps(fig, indent=1))
PY
}

# --- The run -------------------------------------------------------------------------------------
say "rsdist device check: $([ "$cpu" = 1 ] && echo CPU || echo GPU) mode$([ "$tiny" = 1 ] && echo ', tiny'), build $build, out $out"
stage environment 60 environment
if [ "$self_test" = 1 ]; then
  hang() { sleep 600 & sleep 601; }
  stage self_test_hang 3 hang
  rsdist=/nonexistent  # nothing else runs
fi
[ "$self_test" = 1 ] || stage configure 180 configure
[ "$self_test" = 1 ] || stage build 420 build_targets
if [ ! -x "$rsdist" ]; then
  [ "$self_test" = 1 ] || say "no binary: the remaining stages cannot run"
else
  stage cuda_tests 120 cuda_tests
  stage data 240 data
  for precision in fp32 bf16; do
    stage "train_naml_$precision" 150 train naml "$precision" --config "$repo/configs/naml_synthetic.ini" \
      --corpus "$work/data/mind-corpus" --validate false
    stage "train_gcl4sr_$precision" 150 train gcl4sr "$precision" --config "$repo/configs/gcl4sr_synthetic.ini" \
      --corpus "$work/data/seq-corpus" --validate false --batch_size "$gcl_batch"
    stage "train_multvae_$precision" 120 train multvae "$precision" --corpus "$work/data/heldout" \
      --validate false --batch_size "$vae_batch"
    stage "train_neumf_$precision" 120 train neumf "$precision" --corpus "$work/data/loo" \
      --validate false --lr 0.001
    stage "train_s3rec_pretrain_$precision" 120 train s3rec "$precision" --stage pretrain \
      --corpus "$work/data/s3rec-corpus" --validate false --lr 0.005
    stage "train_sasrec_$precision" 120 train sasrec "$precision" \
      --corpus "$work/data/s3rec-corpus" --validate false
  done
  stage ease_fit 120 ease_fit
  stage mpi_two_ranks 180 mpi_two_ranks
  stage resume_exact 180 resume_exact
  # The comparisons the GPU issue sets targets for first, then the others.
  stage bench_naml 300 bench_naml
  stage bench_gcl4sr 120 bench_gcl4sr
  stage bench_multvae 180 bench_multvae
  stage bench_neumf 120 bench_neumf
  stage bench_s3rec 120 bench_s3rec
  stage bench_item_sharding 90 bench_item_sharding
  stage bench_reducer 90 bench_reducer
  stage bench_allreduce 60 bench_allreduce
fi

python3 - "$records" "$out" "$((SECONDS - start_all))" <<'PY'
import json, sys, time
records, out, total = sys.argv[1], sys.argv[2], int(sys.argv[3])
stages = [json.loads(l) for l in open(records)]
result = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "seconds": total, "stages": stages,
          "failed": [s["stage"] for s in stages if s["status"] in ("failed", "timeout")]}
json.dump(result, open(f"{out}/device_check.json", "w"), indent=2)
env = next((s["figures"] for s in stages if s["stage"] == "environment"), {})
lines = [f"# rsdist device check, {result['date']}", "",
         f"{env.get('gpu', 'CPU')} (driver {env.get('driver', '-')}), torch {env.get('torch', '?')}, "
         f"{env.get('cores', '?')} cores; {total} s in all.", "",
         "| stage | status | s | figures |", "| --- | --- | --- | --- |"]
for s in stages:
    fig = ", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in s["figures"].items() if not isinstance(v, (list, dict)))
    lines.append(f"| {s['stage']} | {s['status']} | {s['seconds']} | {fig or s['note']} |")
open(f"{out}/device_check.md", "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
if [ ${#failed[@]} -gt 0 ]; then
  say "FAILED: ${failed[*]} (details in $log)"
  exit 1
fi
say "every stage passed or was skipped for a stated reason"
