// The fault table's process faults (docs/reliability.md): one rank killed with SIGKILL at four
// moments of a run at np=3, SIGTERM while a checkpoint is written, a second job on a run directory
// in use, and replicas that differ. Each runs the real trainer (rsdist_probe, the rsdist binary
// with the probe family) under mpirun, with the fault injected through RSDIST_FAULT
// (Note [Fault injection]), and records its row with the figure it measured.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <functional>

#include "reliability_support.hpp"

namespace rsdist::testing {
namespace {

// 96 samples, 3 ranks of 4 per step: 8 steps per epoch, 24 in all. The collective timeout is far
// above what the test allows (60 s), so that the timeout cannot be what ends a job.
constexpr const char* kCommon =
    "--batch_size 4 --epochs 3 --keep_checkpoints 3 "
    "--collective_timeout_s 300";
constexpr double kMaxSecondsToEnd = 60;

struct Kill {
  std::string point;
  int rank;
  int nth;
  std::string when;   // for the table
  std::string extra;  // more options
  // More checks of the run directory after the kill and after the resume.
  std::function<void(const fs::path&)> after_kill = nullptr, after_resume = nullptr;
};

class KillDuring : public FaultTest {
 protected:
  // SIGKILL of one rank as `kill` says, then --resume: the job ends soon after and not by the
  // collective timeout, no rank is left, the last promoted checkpoint verifies, and the resumed run
  // completes every step.
  void expect_survived(const Kill& kill) {
    const fs::path run = tmp / "run";
    const std::string tag = unique_tag("kill-" + kill.point);
    const std::string fault = fmt::format("{}:{}:{}:KILL", kill.point, kill.rank, kill.nth);
    row.fault = "kill -9 of one rank " + kill.when + ", np=3";
    row.injected = fmt::format("`RSDIST_FAULT={}`, `--collective_timeout_s 300`", fault);
    row.checked =
        "whole job ended < 60 s after the kill, exit non-zero, no rank left, not the "
        "collective timeout; `best` verifies; `--resume` completes all 24 steps";
    const Job killed = run_job(
        tmp, 3, probe_args(tmp, run, fmt::format("{} {} --probe_tag {}", kCommon, kill.extra, tag)),
        fault);
    row.exit_code = killed.exit_code;
    EXPECT_NE(killed.exit_code, 0) << killed.output;
    EXPECT_NE(killed.output.find(fmt::format("[rank {}] RSDIST_FAULT: raising SIGKILL at {}",
                                             kill.rank, kill.point)),
              std::string::npos)
        << killed.output;
    ASSERT_TRUE(killed.seconds_after_fault.has_value()) << "the fault never fired\n"
                                                        << killed.output;
    row.seconds = *killed.seconds_after_fault;
    EXPECT_LT(*killed.seconds_after_fault, kMaxSecondsToEnd);
    EXPECT_EQ(killed.output.find("has not finished after"), std::string::npos)
        << "the collective timeout ended the job\n"
        << killed.output;
    EXPECT_FALSE(processes_left(tag));
    EXPECT_FALSE(fs::exists(run / "results.json"));
    // Every fault below strikes in epoch 2, after epoch-0001 was promoted.
    const std::string best = expect_checkpoints_complete(run);
    EXPECT_EQ(best, "epoch-0001");
    if (kill.after_kill) kill.after_kill(run);

    const Job resumed = run_job(
        tmp, 3, probe_args(tmp, run, std::string(kCommon) + " " + kill.extra + " --resume"));
    EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_NE(resumed.output.find("resumed from"), std::string::npos) << resumed.output;
    EXPECT_NE(resumed.output.find("done: 24 steps"), std::string::npos) << resumed.output;
    if (kill.after_resume) kill.after_resume(run);
    row.figure = fmt::format(
        "job ended {:.2f} s after the kill (mpirun exit {}); `best` = {} verified; resumed run "
        "completed in {:.1f} s",
        *killed.seconds_after_fault, killed.exit_code, best, resumed.seconds);
  }
};

TEST_F(KillDuring, TheForwardPass) {
  // Rank 1's 11th step: the third of epoch 2, after epoch-0001 was promoted.
  expect_survived({"forward", 1, 11, "during the forward pass", ""});
}

TEST_F(KillDuring, TheGradientAllReduce) {
  // The probe's 4 parameters make 3 buckets (Note [Reducer protocol]): launch 32 is in step 11.
  expect_survived({"all_reduce", 2, 32, "during the gradient all-reduce (a bucket in flight)", ""});
}

TEST_F(KillDuring, TheCheckpointWrite) {
  // Rank 0 writing epoch-0002: data files in the staging directory, no manifest, no rename. What
  // it leaves is hidden, and the resumed run (holding the run directory's lock) removes it.
  expect_survived({"checkpoint_write", 0, 2, "during the checkpoint write", "",
                   [](const fs::path& run) {
                     EXPECT_FALSE(fs::exists(run / "checkpoints" / "epoch-0002"));
                     EXPECT_EQ(staging_leftovers(run), 1);
                   },
                   [](const fs::path& run) {
                     EXPECT_EQ(staging_leftovers(run), 0);
                     EXPECT_NE(read_file(run / "train.log")
                                   .find("removed what an interrupted checkpoint write left: "
                                         ".epoch-0002.tmp-"),
                               std::string::npos);
                   }});
}

TEST_F(KillDuring, TheShardedEvaluation) {
  // 12 dev users in chunks of 2: 6 chunks, rank 1 scores chunks 1 and 4. Its 4th call is the
  // second chunk of epoch 2's evaluation, the other ranks in the metrics' all-reduce.
  expect_survived({"evaluate", 1, 4, "during the sharded evaluation",
                   "--validate true --probe_eval_users 12 --eval_batch_size 2"});
}

using SigtermDuring = FaultTest;

TEST_F(SigtermDuring, TheCheckpointWrite) {
  // SIGTERM reaches rank 0 while it writes epoch-0001: the write completes (the signal only
  // raises a flag), every rank stops at the next step behind a step checkpoint, exit 75.
  const fs::path run = tmp / "run";
  const std::string fault = "checkpoint_write:0:1:TERM";
  row.fault = "SIGTERM during the checkpoint write, np=3";
  row.injected = fmt::format("`RSDIST_FAULT={}` (rank 0 writing epoch-0001)", fault);
  row.checked =
      "exit 75; every checkpoint not hidden verifies (none half written under a "
      "complete name); `--resume` completes all 24 steps";
  const Job stopped = run_job(tmp, 3, probe_args(tmp, run, kCommon), fault);
  row.exit_code = stopped.exit_code;
  row.seconds = stopped.seconds_after_fault;
  EXPECT_EQ(stopped.exit_code, 75) << stopped.output;
  EXPECT_NE(stopped.output.find("stopped by a signal at step 9"), std::string::npos)
      << stopped.output;
  const auto checkpoints = run / "checkpoints";
  EXPECT_EQ(verification_error(checkpoints / "epoch-0001"), "");
  EXPECT_EQ(verification_error(checkpoints / train::step_checkpoint_name(9)), "");
  EXPECT_EQ(expect_checkpoints_complete(run), "epoch-0001");
  EXPECT_EQ(staging_leftovers(run), 0);

  const Job resumed = run_job(tmp, 3, probe_args(tmp, run, std::string(kCommon) + " --resume"));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from " + (checkpoints / "step-000000009").string()),
            std::string::npos)
      << resumed.output;
  EXPECT_NE(resumed.output.find("done: 24 steps"), std::string::npos) << resumed.output;
  row.figure = fmt::format(
      "epoch-0001 complete, then step-000000009 written and exit {} {:.2f} s after the signal; no "
      "staging leftover; resume from step 9 completed",
      stopped.exit_code, stopped.seconds_after_fault.value_or(-1));
}

using SecondJob = FaultTest;

// A job started in the background (through sh, which execs it) and ended, if still running, with
// SIGKILL to every process tagged `tag` when the test leaves it.
class BackgroundJob {
 public:
  BackgroundJob(const std::string& command, std::string tag) : tag_(std::move(tag)) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::execl("/bin/sh", "sh", "-c", ("RSDIST_FAULT= exec " + command).c_str(),
              static_cast<char*>(nullptr));
      std::_Exit(127);
    }
  }
  ~BackgroundJob() {
    if (!exit_code_) kill();
  }
  bool started() const { return pid_ > 0; }

  // Its exit code once it has ended, waiting up to `seconds`; nullopt while it runs.
  std::optional<int> wait(double seconds) {
    const double deadline = steady_seconds() + seconds;
    while (!exit_code_) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      } else if (steady_seconds() > deadline) {
        break;
      } else {
        ::usleep(50 * 1000);  // polling a condition with a deadline
      }
    }
    return exit_code_;
  }

  // kill -9 of every rank; mpirun then ends the job.
  void kill() {
    const std::string pattern = "--probe_tag [" + tag_.substr(0, 1) + "]" + tag_.substr(1);
    EXPECT_EQ(std::system(("pkill -KILL -f -- '" + pattern + "'").c_str()), 0);
    EXPECT_TRUE(wait(60).has_value());
  }

 private:
  std::string tag_;
  pid_t pid_ = -1;
  std::optional<int> exit_code_;
};

TEST_F(SecondJob, OnTheSameRunDirectoryRefusesBeforeWritingAnything) {
  const fs::path run = tmp / "run";
  const std::string tag_a = unique_tag("first"), tag_b = unique_tag("second");
  row.fault = "two jobs started on the same run directory";
  row.injected =
      "a second `mpirun -np 2 rsdist train`, with and without `--resume`, on the "
      "`--out` of a job that is training";
  row.checked =
      "the second exits non-zero naming the directory and the holder's pid, writes "
      "nothing, leaves no rank; the first trains on; the lock dies with its holder";
  // The first job trains until it is killed (100000 epochs, no early stopping).
  const fs::path log_a = tmp / "first.log";
  BackgroundJob first(
      fmt::format("{} -np 2 {} {} > '{}' 2>&1", mpirun(), RSDIST_PROBE,
                  probe_args(tmp, run,
                             "--batch_size 4 --epochs 100000 --early_stopping_patience 100000 "
                             "--probe_tag " +
                                 tag_a),
                  log_a.string()),
      tag_a);
  ASSERT_TRUE(first.started());
  const double deadline = steady_seconds() + 120;
  while (read_file(log_a).find("epoch 1:") == std::string::npos && steady_seconds() < deadline &&
         !first.wait(0.1)) {
  }
  ASSERT_NE(read_file(log_a).find("epoch 1:"), std::string::npos) << read_file(log_a);
  std::string holder = read_file(run / ".lock");
  if (!holder.empty() && holder.back() == '\n') holder.pop_back();
  const std::string config_before = read_file(run / "config.ini");

  double refused_seconds = 0;
  for (const std::string resume : {"", " --resume"}) {
    const Job second = run_job(
        tmp, 2, probe_args(tmp, run, "--batch_size 4 --epochs 2 --probe_tag " + tag_b + resume));
    refused_seconds = std::max(refused_seconds, second.seconds);
    row.exit_code = second.exit_code;
    EXPECT_NE(second.exit_code, 0) << second.output;
    EXPECT_NE(second.output.find(fmt::format("run directory --out {} is in use by another process "
                                             "({} holds {})",
                                             run.string(), holder, (run / ".lock").string())),
              std::string::npos)
        << second.output;
    EXPECT_FALSE(processes_left(tag_b));
  }
  EXPECT_EQ(read_file(run / "config.ini"), config_before);
  EXPECT_FALSE(first.wait(0).has_value()) << "the first job ended\n" << read_file(log_a);
  EXPECT_EQ(read_file(log_a).find("is in use"), std::string::npos);

  // The first job killed outright: its lock goes with it, and a resume takes the directory.
  first.kill();
  EXPECT_FALSE(processes_left(tag_a));
  const Job resumed = run_job(tmp, 2, probe_args(tmp, run, "--batch_size 4 --epochs 2 --resume"));
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
  row.seconds = refused_seconds;
  row.figure = fmt::format(
      "refused in {:.2f} s (exit {}), naming \"{}\"; config.ini untouched; after kill -9 of the "
      "first job a `--resume` took the directory",
      refused_seconds, row.exit_code.value_or(-1), holder);
}

using Replicas = FaultTest;

TEST_F(Replicas, ThatDifferInParametersStopAtStartUpNamingTheDifference) {
  row.fault = "mismatched model (binaries) across ranks";
  row.injected = "`--probe_mismatch_rank 2`: rank 2 builds a wider layer (np=3)";
  row.checked = "refused at start-up (replica sync) naming the first differing tensor";
  const Job job = run_job(tmp, 3, probe_args(tmp, tmp / "run", "--probe_mismatch_rank 2"));
  row.exit_code = job.exit_code;
  row.seconds = job.seconds;
  EXPECT_NE(job.exit_code, 0);
  const std::string named =
      "rank 2 does not match rank 0: entry 0 is 'tensor p0 Double [4, 17]' "
      "here but 'tensor p0 Double [4, 16]' on rank 0";
  EXPECT_NE(job.output.find(named), std::string::npos) << job.output;
  EXPECT_FALSE(fs::exists(tmp / "run" / "checkpoints"));
  row.figure =
      fmt::format("job ended after {:.2f} s (exit {}): \"{}\"", job.seconds, job.exit_code, named);
}

TEST_F(Replicas, ThatDifferInConfigurationStopAtStartUp) {
  row.fault = "mismatched configuration across ranks";
  row.injected = "MPMD `mpirun -np 2 ... --lr 0.01 : -np 1 ... --lr 0.02`";
  row.checked = "refused at start-up (replica sync: the configuration's hash)";
  const fs::path run = tmp / "run";
  const std::string rank_args = probe_args(tmp, run, "");
  const Job job =
      run_command(tmp, fmt::format("{} -np 2 {} {} --lr 0.01 : -np 1 {} {} --lr 0.02", mpirun(),
                                   RSDIST_PROBE, rank_args, RSDIST_PROBE, rank_args));
  row.exit_code = job.exit_code;
  row.seconds = job.seconds;
  EXPECT_NE(job.exit_code, 0);
  EXPECT_NE(job.output.find("rank 2 does not match rank 0: entry 4 is 'configuration hash "),
            std::string::npos)
      << job.output;
  EXPECT_FALSE(fs::exists(run / "checkpoints"));
  row.figure = fmt::format(
      "job ended after {:.2f} s (exit {}); rank 2 names the differing "
      "configuration hash (not the option)",
      job.seconds, job.exit_code);
}

}  // namespace
}  // namespace rsdist::testing
