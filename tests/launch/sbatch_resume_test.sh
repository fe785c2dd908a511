#!/usr/bin/env bash
# slurm/train.sbatch adds --resume exactly when the run directory holds a finished checkpoint
# (checkpoints/epoch-*/), and passes the run directory, corpus and options through.
#   tests/launch/sbatch_resume_test.sh [path/to/train.sbatch]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
sbatch_script=${1:-$here/../../slurm/train.sbatch}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsdist-sbatch-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

failures=0
fail() { printf 'FAIL: %s\n' "$*" >&2; failures=$((failures + 1)); }

# Stand-ins for scontrol and srun: the cluster's MpiDefault is $FAKE_MPI_DEFAULT (default pmix),
# and srun lists the plugins in $FAKE_MPI_PLUGINS (default: pmix and pmi2), as Slurm 22.05 does.
mkdir -p "$tmp/bin"
cat >"$tmp/bin/scontrol" <<'EOF'
#!/usr/bin/env bash
[ "$*" = "show config" ] || exit 1
printf 'MpiDefault              = %s\nMpiParams               = (null)\n' "${FAKE_MPI_DEFAULT:-pmix}"
EOF
cat >"$tmp/bin/srun" <<'EOF'
#!/usr/bin/env bash
[ "$*" = "--mpi=list" ] || exit 1
echo "MPI plugin types are..."
for p in ${FAKE_MPI_PLUGINS:-pmix none cray_shasta pmi2}; do printf '\t%s\n' "$p"; done
echo "specific pmix plugin versions available: pmix_v4"
EOF
chmod +x "$tmp/bin/scontrol" "$tmp/bin/srun"

# Runs the script's --print-command mode outside any Slurm job, in a known environment.
print_command() {
  env -u SLURM_JOB_ID -u SLURM_SUBMIT_DIR -u SLURM_CPUS_PER_TASK -u RSDIST_CORPUS \
    -u RSDIST_SRUN_MPI -u RSDIST_SRUN_ARGS -u RSDIST_CONFIG \
    PATH="$tmp/bin:$PATH" RSDIST_REPO="$tmp" RSDIST_BIN=/opt/rsdist/bin/rsdist "$@" \
    bash "$sbatch_script" --print-command --epochs 2
}

expect() {  # expect NAME OUTPUT WANT_RESUME(0|1) [FIXED_STRING_THAT_MUST_APPEAR...]
  local name=$1 out=$2 want=$3 count before=$failures
  shift 3
  local words word
  read -r -a words <<<"$out"
  count=0
  for word in "${words[@]}"; do
    if [ "$word" = --resume ]; then count=$((count + 1)); fi
  done
  if [ "$count" != "$want" ]; then fail "$name: expected $want --resume, got $count: $out"; fi
  local s
  for s in "$@"; do
    grep -qF -- "$s" <<<"$out" || fail "$name: '$s' missing from: $out"
  done
  [ "$failures" != "$before" ] || printf 'ok: %s\n' "$name"
}

run=$tmp/run

out=$(print_command RSDIST_RUN_DIR="$run")
expect "run directory missing" "$out" 0 "--out $run" "/opt/rsdist/bin/rsdist train" "--epochs 2"

mkdir -p "$run/checkpoints"
out=$(print_command RSDIST_RUN_DIR="$run")
expect "checkpoints/ empty" "$out" 0 "--out $run"

mkdir -p "$run/checkpoints/.epoch-0001.tmp-1-2"
touch "$run/checkpoints/epoch-0002"
out=$(print_command RSDIST_RUN_DIR="$run")
expect "only a staged checkpoint and a plain file" "$out" 0

mkdir -p "$run/checkpoints/step-000000021"
out=$(print_command RSDIST_RUN_DIR="$run")
expect "signal checkpoint present" "$out" 1 "--out $run --resume --epochs 2"
rmdir "$run/checkpoints/step-000000021"

mkdir -p "$run/checkpoints/epoch-0001"
out=$(print_command RSDIST_RUN_DIR="$run")
expect "checkpoint present" "$out" 1 "--out $run --resume --epochs 2"

out=$(print_command RSDIST_RUN_DIR="$run" RSDIST_CORPUS=corpora/x SLURM_CPUS_PER_TASK=6)
expect "corpus and cpus per task" "$out" 1 "--corpus corpora/x" "srun --kill-on-bad-exit=1 --cpus-per-task=6"

# The run directory from the configuration's [run] out, relative to the checkout.
mkdir -p "$tmp/configs" "$tmp/runs/cfg/checkpoints/epoch-0003"
cat >"$tmp/configs/t.ini" <<'EOF'
# a test configuration
[run]
model = naml
out = runs/cfg   ; the run directory
[train]
out = not/this
EOF
out=$(print_command RSDIST_CONFIG=configs/t.ini)
expect "run directory from the configuration" "$out" 1 "--config configs/t.ini"
grep -qF -- "--out" <<<"$out" && fail "configuration's run directory: no --out expected: $out"

mkdir -p "$tmp/runs/empty"
out=$(print_command RSDIST_CONFIG=configs/t.ini RSDIST_RUN_DIR=runs/empty)
expect "RSDIST_RUN_DIR wins over the configuration" "$out" 0 "--out runs/empty"

# An --out among the options wins; a --resume among them is not repeated.
out=$(env -u SLURM_JOB_ID -u SLURM_SUBMIT_DIR RSDIST_REPO="$tmp" RSDIST_RUN_DIR=runs/empty \
  bash "$sbatch_script" --print-command --out "$run")
expect "--out option wins" "$out" 1 "--out $run"
case $out in *"--out runs/empty"*) fail "--out option: RSDIST_RUN_DIR passed too: $out" ;; esac
out=$(env -u SLURM_JOB_ID -u SLURM_SUBMIT_DIR RSDIST_REPO="$tmp" RSDIST_RUN_DIR="$run" \
  bash "$sbatch_script" --print-command --resume)
expect "--resume given once" "$out" 1

# srun --mpi=: the cluster's MpiDefault unless that is none (Open MPI then needs pmix or pmi2).
out=$(print_command RSDIST_RUN_DIR="$run")
case $out in *--mpi=*) fail "MpiDefault pmix: no --mpi expected: $out" ;; esac
out=$(print_command RSDIST_RUN_DIR="$run" FAKE_MPI_DEFAULT=none)
expect "MpiDefault none: pmix" "$out" 1 "srun --kill-on-bad-exit=1 --mpi=pmix /opt/rsdist/bin/rsdist"
out=$(print_command RSDIST_RUN_DIR="$run" FAKE_MPI_DEFAULT=none FAKE_MPI_PLUGINS="none pmi2")
expect "MpiDefault none, no pmix: pmi2" "$out" 1 "srun --kill-on-bad-exit=1 --mpi=pmi2 /opt"
out=$(print_command RSDIST_RUN_DIR="$run" FAKE_MPI_DEFAULT=none FAKE_MPI_PLUGINS="none")
case $out in *--mpi=*) fail "MpiDefault none, no PMI plugin: no --mpi expected: $out" ;; esac
out=$(print_command RSDIST_RUN_DIR="$run" FAKE_MPI_DEFAULT=none RSDIST_SRUN_MPI=pmi2)
expect "RSDIST_SRUN_MPI wins" "$out" 1 "srun --kill-on-bad-exit=1 --mpi=pmi2 /opt"
out=$(print_command RSDIST_RUN_DIR="$run" FAKE_MPI_DEFAULT=none RSDIST_SRUN_MPI=default)
case $out in *--mpi=*) fail "RSDIST_SRUN_MPI=default: no --mpi expected: $out" ;; esac

if [ "$failures" -gt 0 ]; then
  printf '%d failure(s)\n' "$failures" >&2
  exit 1
fi
printf 'all sbatch resume checks passed\n'
