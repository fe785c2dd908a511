#!/usr/bin/env bash
# slurm/preprocess.sbatch and slurm/train.sbatch on a real one-node Slurm cluster that this test
# starts from Debian's packages (munge, slurmctld, slurmd) in a temporary directory and stops again:
#
#   1. launch/README.md's "On a Slurm cluster" one-node commands, run as written in a checkout
#      (synthetic MIND, preprocess.sbatch, then train.sbatch with 2 tasks = 2 MPI ranks under
#      `srun --mpi=pmix`): the corpus is checked, and this uninterrupted run is the reference;
#   2. the same training, sent the pre-timeout signal (`scancel --signal=USR1 --batch`, what
#      `--signal=B:USR1@300` does) in the middle of its second epoch: the ranks write a step
#      checkpoint and exit 75, the job requeues itself, resumes with --resume and ends with
#      metrics.jsonl and results.json equal to the reference's, bit for bit;
#   3. the same training cancelled outright (`scancel`) in its second epoch: no rank is left
#      running, the last promoted checkpoint (checkpoints/best) still verifies and scores its
#      epoch's dev metrics, and the same sbatch line again resumes to the reference's metrics.
#
#   tests/launch/slurm_cluster_test.sh RSDIST_BINARY [CHECKOUT]
#
# Exits 77 (skipped) when Slurm's daemons cannot run here, saying why; RSDIST_SLURM_REQUIRED=1
# makes that a failure instead. Every daemon is stopped by its pid on exit, and the test fails if
# any process it started (marked by an environment variable) is still running afterwards.
# RSDIST_SLURM_KEEP=1 keeps the temporary directory.
set -euo pipefail

rsdist_arg=${1:?usage: slurm_cluster_test.sh RSDIST_BINARY [CHECKOUT]}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source_dir=$(cd "${2:-$here/../..}" && pwd)
rsdist_bin=$(cd "$(dirname "$rsdist_arg")" && pwd)/$(basename "$rsdist_arg")
started=$SECONDS
required=${RSDIST_SLURM_REQUIRED:-0}
keep=${RSDIST_SLURM_KEEP:-0}

log() { printf '[slurm-test %3ds] %s\n' "$((SECONDS - started))" "$*"; }
fail() { log "FAIL: $*"; exit 1; }
skip() {
  if [ "$required" = 1 ]; then fail "Slurm daemons cannot run here: $*"; fi
  log "SKIP: Slurm daemons cannot run here: $*"
  exit 77
}

# --- Preconditions ---------------------------------------------------------------------------
[ -x "$rsdist_bin" ] || fail "rsdist binary '$rsdist_bin' is not executable"
for tool in munged mungekey slurmctld slurmd sbatch srun scontrol squeue scancel sinfo python3; do
  command -v "$tool" >/dev/null ||
    skip "'$tool' is not installed (scripts/setup.sh installs munge, slurmctld, slurmd, slurm-client)"
done
# The cluster runs its daemons and jobs as root (SlurmUser=root): fine in a sandbox or CI machine.
[ "$(id -u)" = 0 ] || skip "the test's cluster runs as root; this is uid $(id -u)"

# Nothing from a surrounding Slurm job or MPI launch, and none of the scripts' settings: the
# README's commands are tested with their defaults.
while read -r name; do
  case $name in
    SLURM_* | SBATCH_* | SRUN_* | SALLOC_* | OMPI_* | PMIX_* | PMI_* | RSDIST_*) unset "$name" ;;
  esac
done < <(compgen -e)
unset OMP_NUM_THREADS

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rsdist-slurm-test.XXXXXX")
chmod 0755 "$tmp"  # munged wants its socket directory reachable by everyone
# Every process this test starts carries this variable (the daemons, and through sbatch's
# --export=ALL every job, step and rank), so that the end can look for leftovers.
mark="RSDIST_SLURM_TEST=$tmp"
checkout=$tmp/checkout
export SLURM_CONF=$tmp/etc/slurm.conf
munged_pid="" slurmctld_pid="" slurmd_pid=""

# Prints the pids of running processes that carry $mark, with their names.
marked_processes() {
  local dir pid
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [ "$pid" != "$$" ] || continue
    if grep -qzxF "$mark" "$dir/environ" 2>/dev/null; then
      printf '%s %s\n' "$pid" "$(cat "$dir/comm" 2>/dev/null || echo '?')"
    fi
  done
}

# Sends TERM to PID and waits for it (KILL after 30 s).
stop_daemon() {
  local name=$1 pid=$2 deadline=$((SECONDS + 30))
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) ignored SIGTERM for 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

show_logs() {
  local file
  for file in "$tmp"/log/*.log "$checkout"/*.out; do
    [ -f "$file" ] || continue
    printf '%s\n' "----- ${file#"$tmp"/} (last 40 lines)"
    tail -n 40 "$file"
  done
}

cleanup() {
  local status=$? deadline leftovers
  trap - EXIT
  set +e
  if [ -n "$slurmctld_pid" ] && kill -0 "$slurmctld_pid" 2>/dev/null; then
    local jobs
    mapfile -t jobs < <(squeue -h -o %i 2>/dev/null)
    if [ "${#jobs[@]}" -gt 0 ]; then scancel "${jobs[@]}" >/dev/null 2>&1; fi
    deadline=$((SECONDS + 60))
    while [ -n "$(squeue -h -o %i 2>/dev/null)" ] && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.5; done
  fi
  stop_daemon slurmd "$slurmd_pid"
  stop_daemon slurmctld "$slurmctld_pid"
  stop_daemon munged "$munged_pid"
  leftovers=$(marked_processes)
  if [ -n "$leftovers" ]; then
    log "FAIL: processes of this test still running after the cluster stopped:"
    printf '%s\n' "$leftovers"
    while read -r pid _; do kill -KILL "$pid" 2>/dev/null; done <<<"$leftovers"
    status=1
  else
    log "nothing of this test is left running (no marked slurmctld, slurmd, slurmstepd, munged, rsdist)"
  fi
  if [ "$status" != 0 ] && [ "$status" != 77 ]; then show_logs; fi
  if [ "$keep" = 1 ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
  log "exit $status after $((SECONDS - started)) s"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# Polls COMMAND every 0.2 s until it succeeds; fails (or, with --skip, skips) naming WHAT after
# SECONDS.
wait_for() {
  local on_timeout=fail
  if [ "$1" = --skip ]; then on_timeout=skip; shift; fi
  local what=$1 timeout=$2 deadline
  shift 2
  deadline=$((SECONDS + timeout))
  until "$@"; do
    [ "$SECONDS" -lt "$deadline" ] || "$on_timeout" "$what: not within $timeout s"
    sleep 0.2
  done
}

# --- The cluster -----------------------------------------------------------------------------

# Two consecutive TCP ports nobody listens on, so that a Slurm elsewhere on the host does not
# collide with this one.
free_port_pair() {
  local base listening
  listening=$(ss -Htln 2>/dev/null | awk '{n = split($4, a, ":"); print a[n]}')
  for _ in $(seq 50); do
    base=$((20000 + RANDOM % 40000))
    if ! grep -qxE "$base|$((base + 1))" <<<"$listening"; then
      echo "$base"
      return 0
    fi
  done
  return 1
}

write_config() {
  local node=$1 port=$2
  # proctrack/linuxproc and task/none need no cgroups or systemd; cons_tres hands out CPUs, of
  # which the node has 2 whatever the machine has (config_overrides). cred_expire=5 lets a
  # requeued job start again after 6 s instead of 121; sched_interval=1 schedules it at once.
  cat >"$tmp/etc/slurm.conf" <<EOF
ClusterName=rsdisttest
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$tmp/munge/munge.socket,cred_expire=5
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
SchedulerType=sched/builtin
SchedulerParameters=sched_interval=1
MpiDefault=none
ReturnToService=2
KillWait=30
InactiveLimit=0
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
  printf 'CgroupPlugin=autodetect\nIgnoreSystemd=yes\n' >"$tmp/etc/cgroup.conf"
}

daemon_alive() {  # NAME PID
  kill -0 "$2" 2>/dev/null || skip "$1 exited at start-up: $(tail -n 5 "$tmp/log/$1.log" 2>/dev/null)"
}

munge_ready() {
  daemon_alive munged "$munged_pid"
  munge -S "$tmp/munge/munge.socket" -n 2>/dev/null | unmunge -S "$tmp/munge/munge.socket" >/dev/null 2>&1
}

node_idle() {
  daemon_alive slurmctld "$slurmctld_pid"
  daemon_alive slurmd "$slurmd_pid"
  [ "$(sinfo -h -n "$node" -o %T 2>/dev/null)" = idle ]
}

start_cluster() {
  mkdir -p "$tmp/etc" "$tmp/log" "$tmp/state" "$tmp/spool" "$tmp/run"
  mkdir -m 0700 "$tmp/munge-key"
  mkdir -m 0755 "$tmp/munge"
  mungekey --create --keyfile "$tmp/munge-key/munge.key" ||
    skip "mungekey cannot create a key"
  env "$mark" munged --foreground --key-file "$tmp/munge-key/munge.key" \
    --socket "$tmp/munge/munge.socket" --pid-file "$tmp/munge/munged.pid" \
    --seed-file "$tmp/munge-key/munged.seed" >"$tmp/log/munged.log" 2>&1 &
  munged_pid=$!
  wait_for --skip "munged answering on its socket" 20 munge_ready

  local port
  port=$(free_port_pair) || skip "found no free TCP port pair"
  node=$(uname -n)
  node=${node%%.*}  # the short host name, which slurmd takes for its node name
  write_config "$node" "$port"
  # -D: in the foreground of a background job, so that $! is the daemon and the exit can wait.
  env "$mark" slurmctld -D -f "$SLURM_CONF" >>"$tmp/log/slurmctld.stderr.log" 2>&1 &
  slurmctld_pid=$!
  env "$mark" slurmd -D -f "$SLURM_CONF" >>"$tmp/log/slurmd.stderr.log" 2>&1 &
  slurmd_pid=$!
  wait_for --skip "node $node idle" 60 node_idle
  local plugins
  plugins=$(srun --mpi=list 2>&1 | awk 'NF == 1 { print $1 }')
  grep -qx pmix <<<"$plugins" || fail "srun has no pmix plugin: $(srun --mpi=list 2>&1)"
  log "cluster up: $(sinfo --version), node $node with 2 CPUs, ports $port-$((port + 1)), srun --mpi= plugins: ${plugins//$'\n'/ }"
}

# --- Jobs ------------------------------------------------------------------------------------

job_field() {  # JOB FIELD: a field of `scontrol show job` (e.g. JobState, Restarts, ExitCode)
  scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p"
}

job_done() {
  case $(job_field "$1" JobState) in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | BOOT_FAIL | DEADLINE | PREEMPTED) return 0 ;;
  esac
  return 1
}

wait_job() {  # JOB SECONDS: until the job has ended for good (requeues included)
  wait_for "job $1 ending" "$2" job_done "$1"
}

expect_job() {  # JOB STATE EXIT_CODE RESTARTS (an EXIT_CODE of '*' matches any)
  local state code restarts
  state=$(job_field "$1" JobState)
  code=$(job_field "$1" ExitCode)
  restarts=$(job_field "$1" Restarts)
  # shellcheck disable=SC2053  # $3 may be the pattern '*'
  [[ $state == "$2" && $code == $3 && $restarts == "$4" ]] ||
    fail "job $1: expected state $2, exit code $3, $4 restart(s); got $state, $code, $restarts"
}

job_log_has() {  # JOB TEXT: the job's output file holds TEXT
  grep -qF -- "$2" "$checkout/rsdist-train-$1.out" 2>/dev/null
}

requeued_or_done() { job_log_has "$1" "requeueing job $1" || job_done "$1"; }

expect_in_log() {
  job_log_has "$1" "$2" || fail "job $1: '$2' missing from rsdist-train-$1.out"
}

# True once RUN has finished epoch N (its metrics.jsonl line is written after the checkpoint).
epoch_done() {
  [ -f "$1/metrics.jsonl" ] && grep -q "\"epoch\":$2[,}]" "$1/metrics.jsonl"
}

# The one-node commands of launch/README.md, between its slurm-one-node markers: run as written.
readme_commands() {
  awk '/<!-- slurm-one-node: begin -->/ { on = 1; next } /<!-- slurm-one-node: end -->/ { on = 0 }
       on && /^    / { print substr($0, 5) }' "$source_dir/launch/README.md"
}

make_checkout() {
  mkdir -p "$checkout/build"
  ln -s "$source_dir/slurm" "$checkout/slurm"
  ln -s "$source_dir/configs" "$checkout/configs"
  ln -s "$rsdist_bin" "$checkout/build/rsdist"
}

# The training of the README's commands, on another run directory (and without the dependency
# on the preprocessing job): what the signal and cancel scenarios submit.
submit_training() {  # RUN_DIR
  local commands line
  commands=$(readme_commands)
  line=$(grep 'slurm/train.sbatch' <<<"${commands//$'\\\n'/}")
  [ -n "$line" ] || fail "launch/README.md's one-node commands have no slurm/train.sbatch line"
  line=${line//RSDIST_RUN_DIR=runs\/synth/RSDIST_RUN_DIR=$1}
  line=$(sed -E 's/--dependency=[^ ]+ //' <<<"$line")
  [[ $line == *"RSDIST_RUN_DIR=$1"* ]] || fail "the README's train.sbatch line sets no RSDIST_RUN_DIR=runs/synth"
  [[ $line == "sbatch "* ]] || fail "the README's train.sbatch line does not start with sbatch: $line"
  (cd "$checkout" && env "$mark" bash -c "sbatch --parsable ${line#sbatch }")
}

# metrics.jsonl and results.json without what depends on the clock or the run directory's name
# (checkpoint paths are kept from checkpoints/ on).
comparable() {  # RUN_DIR
  python3 - "$1" <<'PY'
import json, os, sys
def clean(value):
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()
                if k not in ("train_seconds", "samples_per_second", "dev_seconds", "fit_seconds")}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, str) and "checkpoints/" in value:
        return value[value.index("checkpoints/"):]
    return value
with open(os.path.join(sys.argv[1], "metrics.jsonl")) as f:
    for line in f:
        print(json.dumps(clean(json.loads(line)), sort_keys=True))
with open(os.path.join(sys.argv[1], "results.json")) as f:
    print(json.dumps(clean(json.load(f)), sort_keys=True))
PY
}

# --- 1. The README's one-node commands -------------------------------------------------------

scenario_readme() {
  local commands prep_job train_job
  commands=$(readme_commands)
  [ -n "$commands" ] || fail "no commands between <!-- slurm-one-node: begin/end --> in launch/README.md"
  log "running launch/README.md's one-node commands in a checkout:"
  printf '    %s\n' "${commands//$'\n'/$'\n'    }"
  (cd "$checkout" && env "$mark" bash -euo pipefail -c "$commands") >"$tmp/readme.out" 2>&1 ||
    fail "the README's commands failed: $(cat "$tmp/readme.out")"
  train_job=$(sed -n 's/^Submitted batch job \([0-9]*\)$/\1/p' "$tmp/readme.out" | tail -n 1)
  [ -n "$train_job" ] || fail "no 'Submitted batch job N' from the README's train.sbatch: $(cat "$tmp/readme.out")"
  prep_job=$(scontrol show job -o | sed -n 's/^JobId=\([0-9]*\) JobName=rsdist-preprocess .*/\1/p' | head -n 1)
  [ -n "$prep_job" ] || fail "the README's commands submitted no rsdist-preprocess job"
  wait_job "$prep_job" 300
  expect_job "$prep_job" COMPLETED 0:0 0
  log "preprocess.sbatch (job $prep_job) done"
  local inspect
  inspect=$("$rsdist_bin" inspect "$checkout/corpora/synth") || fail "rsdist inspect corpora/synth failed"
  grep -qE '^kind: +mind' <<<"$inspect" || fail "corpora/synth is not a mind corpus: $inspect"
  for count in "train_impressions +2000" "dev_impressions +500" "train_shard_samples +\[[0-9]+,[0-9]+\]"; do
    grep -qE "^ +$count\$" <<<"$inspect" || fail "corpora/synth: no '$count' in: $inspect"
  done
  [ "$(find "$checkout/corpora/synth" -name '*.h5' | wc -l)" -ge 2 ] || fail "corpora/synth has no HDF5 shards"

  wait_job "$train_job" 600
  expect_job "$train_job" COMPLETED 0:0 0
  # Debian's MpiDefault is none: the script picks srun's pmix plugin for Open MPI.
  expect_in_log "$train_job" "srun --kill-on-bad-exit=1 --cpus-per-task=1 --mpi=pmix"
  expect_in_log "$train_job" "on 2 rank(s)"
  expect_in_log "$train_job" "step ended with status 0"
  [ -f "$checkout/runs/synth/results.json" ] || fail "runs/synth/results.json missing"
  epoch_done "$checkout/runs/synth" 2 || fail "runs/synth/metrics.jsonl has no epoch 2"
  log "train.sbatch (job $train_job, 2 ranks under srun --mpi=pmix) done: the reference run"
}

# --- 2. The pre-timeout signal: checkpoint, exit 75, requeue, resume, equal metrics -------------

scenario_signal() {
  local run=$checkout/runs/usr1 job
  job=$(submit_training runs/usr1)
  log "job $job: waiting for its first epoch, then scancel --signal=USR1 --batch"
  wait_for "job $job finishing epoch 1" 300 epoch_done "$run" 1
  scancel --signal=USR1 --batch "$job"
  wait_for "job $job requeueing itself" 120 requeued_or_done "$job"
  job_log_has "$job" "requeueing job $job" ||
    fail "job $job ended without requeueing itself after SIGUSR1 (state $(job_field "$job" JobState))"
  wait_job "$job" 600
  expect_job "$job" COMPLETED 0:0 1
  expect_in_log "$job" "SIGUSR1: time limit near"
  expect_in_log "$job" "checkpoint written, --resume continues"
  expect_in_log "$job" "step ended with status 75"
  expect_in_log "$job" "(restart 1)"
  grep -F '[train.sbatch] srun' "$checkout/rsdist-train-$job.out" | tail -n 1 | grep -qF -- ' --resume' ||
    fail "job $job: the restarted srun command has no --resume"
  # Mid-epoch: resumed from a step checkpoint of epoch 2, after at least one of its steps.
  local resumed batch
  resumed=$(grep -o 'resumed from [^ ]*: epoch [0-9]*, batch [0-9]*' "$run/train.log" | tail -n 1)
  [[ $resumed =~ checkpoints/step-[0-9]+:\ epoch\ 2,\ batch\ ([0-9]+)$ ]] ||
    fail "job $job did not resume from a step checkpoint in epoch 2: '${resumed:-no resume line}'"
  batch=${BASH_REMATCH[1]}
  local steps_per_epoch
  steps_per_epoch=$(sed -n 's/.*"kind":"epoch","epoch":1,.*"global_step":\([0-9]*\).*/\1/p' "$run/metrics.jsonl")
  ((batch >= 1 && batch < ${steps_per_epoch:-0})) ||
    fail "job $job: resumed at batch $batch of epoch 2, not inside it (${steps_per_epoch:-?} steps per epoch)"
  log "job $job: USR1, step checkpoint, exit 75, requeued, $resumed, completed"
  if ! diff <(comparable "$checkout/runs/synth") <(comparable "$run") >"$tmp/metrics.diff"; then
    cat "$tmp/metrics.diff"
    fail "metrics after the USR1 stop, requeue and resume differ from the uninterrupted run's"
  fi
  # The last checkpoint's model, optimizer and progress state: the same bytes.
  local file
  for file in model.pt optimizer.pt state.pt; do
    [ "$(grep "^file $file " "$checkout/runs/synth/checkpoints/epoch-0002/manifest.txt")" = \
      "$(grep "^file $file " "$run/checkpoints/epoch-0002/manifest.txt")" ] ||
      fail "checkpoints/epoch-0002/$file differs from the uninterrupted run's (see the manifests)"
  done
  log "metrics.jsonl and results.json equal the uninterrupted run's (timings aside), and so do" \
    "epoch-0002's model.pt, optimizer.pt and state.pt (SHA-256)"
}

# --- 3. scancel: no rank left, the promoted checkpoint verifies --------------------------------

# (grep without -q: with pipefail, a grep that stops reading early would fail the pipeline.)
rank_running() { marked_processes | grep -w rsdist >/dev/null; }
no_rank_running() { ! rank_running; }

scenario_cancel() {
  local run=$checkout/runs/cancel job best
  job=$(submit_training runs/cancel)
  log "job $job: waiting for its first epoch, then scancel"
  wait_for "job $job finishing epoch 1" 300 epoch_done "$run" 1
  # The leftover checks below see the ranks: they carry the test's mark.
  rank_running || fail "job $job runs no process marked $mark: $(pgrep -a rsdist)"
  scancel "$job"
  wait_job "$job" 120
  expect_job "$job" CANCELLED '*' 0
  # Slurm sends SIGTERM, then SIGKILL after KillWait (30 s); the ranks checkpoint and exit first.
  wait_for "the ranks of cancelled job $job exiting" 60 no_rank_running
  expect_in_log "$job" "SIGTERM: waiting for the ranks"
  best=$(readlink "$run/checkpoints/best") || fail "job $job left no checkpoints/best"
  # What rsdist loads for evaluation (manifest, sizes, SHA-256), then every file (rsdist inspect).
  # On 2 ranks, as in training, so that the sharded dev metrics add up in the same order.
  (cd "$checkout" && env "$mark" srun --mpi=pmix --ntasks=2 --cpus-per-task=1 \
    build/rsdist evaluate --run runs/cancel --split dev) >"$tmp/evaluate.json" 2>"$tmp/evaluate.log" ||
    fail "rsdist evaluate --run runs/cancel refuses checkpoints/best ($best): $(cat "$tmp/evaluate.log")"
  "$checkout/build/rsdist" inspect "$run/checkpoints/$best" >"$tmp/inspect.log" 2>&1 ||
    fail "rsdist inspect: checkpoints/best ($best) does not verify: $(cat "$tmp/inspect.log")"
  python3 - "$run" "$tmp/evaluate.json" <<'PY' || fail "evaluate of checkpoints/best ($best) differs from its epoch's dev metrics"
import json, sys
run, evaluated = sys.argv[1], json.load(open(sys.argv[2]))
epochs = [json.loads(l) for l in open(run + "/metrics.jsonl") if '"kind":"epoch"' in l]
best = epochs[-1]["best_epoch"]
dev = next(e["dev"] for e in epochs if e["epoch"] == best)
bad = {k: (v, evaluated.get(k)) for k, v in dev.items() if evaluated.get(k) != v}
if bad:
    sys.exit(f"epoch {best}: {bad}")
PY
  log "job $job: cancelled, no rank left, checkpoints/best ($best) verifies and scores as recorded"

  # "The same sbatch line again resumes": from the SIGTERM's step checkpoint, to the same end.
  job=$(submit_training runs/cancel)
  wait_job "$job" 600
  expect_job "$job" COMPLETED 0:0 0
  grep -q 'resumed from [^ ]*/checkpoints/step-[0-9]*: epoch 2, batch [1-9]' "$run/train.log" ||
    fail "job $job: resubmitted, it did not resume from the step checkpoint of epoch 2"
  diff <(comparable "$checkout/runs/synth") <(comparable "$run") >"$tmp/metrics.diff" ||
    fail "metrics after scancel and resubmission differ from the uninterrupted run's: $(cat "$tmp/metrics.diff")"
  log "job $job: the resubmitted run resumed from the step checkpoint and ended with the same metrics"
}

start_cluster
make_checkout
scenario_readme
scenario_signal
scenario_cancel
log "all Slurm scenarios passed"
