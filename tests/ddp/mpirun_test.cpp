// The runtime under real mpirun: equivalence across world sizes, uneven data, failures.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "support/mpi_job.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace {
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

struct JobResult {
  int exit_code = -1;
  double seconds = 0;
  std::string output;
};

JobResult run_job(const TempDir& tmp, int np, const std::string& args) {
  const std::string log = (tmp / ("job-" + std::to_string(np) + ".log")).string();
  const auto start = std::chrono::steady_clock::now();
  JobResult r;
  r.exit_code = rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, np, RSDIST_DRIVER, args, log);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.output = read_file(log);
  return r;
}

std::vector<double> read_params(const std::filesystem::path& path) {
  std::vector<double> values;
  std::istringstream in(read_file(path));
  for (std::string line; std::getline(in, line);)
    values.push_back(std::strtod(line.c_str(), nullptr));
  return values;
}

// Whether any driver process started with `--tag tag` is still alive. The pattern brackets the
// tag's first letter so that it does not match the shell running pgrep itself.
bool processes_left(const std::string& tag) {
  const std::string pattern = "--tag [" + tag.substr(0, 1) + "]" + tag.substr(1);
  return std::system(("pgrep -f -- '" + pattern + "' > /dev/null").c_str()) == 0;
}

TEST(MpiRun, SameParametersUnderNp1Np2Np4) {
  TempDir tmp;
  std::vector<std::vector<double>> results;
  for (int np : {1, 2, 4}) {
    const auto out = tmp / ("params-" + std::to_string(np) + ".txt");
    const auto r =
        run_job(tmp, np, "--out " + out.string() + " --samples 96 --global_batch 12 --epochs 2");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    results.push_back(read_params(out));
  }
  ASSERT_EQ(results[0].size(), 4u * 16 + 16 + 16 + 1);
  for (std::size_t k = 1; k < results.size(); ++k) {
    for (std::size_t i = 0; i < results[0].size(); ++i) {
      EXPECT_NEAR(results[k][i], results[0][i], 1e-6) << "run " << k << " parameter " << i;
    }
  }
}

TEST(MpiRun, UnevenDataOnThreeRanksCompletesEveryEpoch) {
  TempDir tmp;
  const auto out = tmp / "params.txt";
  const auto r =
      run_job(tmp, 3, "--out " + out.string() + " --samples 100 --global_batch 12 --epochs 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("trained 27 steps on 3 ranks (mpi)"), std::string::npos) << r.output;
  EXPECT_EQ(read_params(out).size(), 97u);
}

TEST(MpiRun, ARankThatThrowsEndsTheJob) {
  TempDir tmp;
  const std::string tag = "throw-" + std::to_string(::getpid());
  const auto r = run_job(
      tmp, 3, "--out " + (tmp / "p.txt").string() + " --throw_rank 1 --fail_step 3 --tag " + tag);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.seconds, 60.0);
  EXPECT_NE(r.output.find("[rank 1] error: injected failure at step 3"), std::string::npos)
      << r.output;
  EXPECT_FALSE(processes_left(tag));
  EXPECT_FALSE(std::filesystem::exists(tmp / "p.txt"));
}

TEST(MpiRun, ARankKilledWithSigkillEndsTheJob) {
  TempDir tmp;
  const std::string tag = "kill-" + std::to_string(::getpid());
  const auto r = run_job(
      tmp, 3, "--out " + (tmp / "p.txt").string() + " --kill_rank 2 --fail_step 4 --tag " + tag);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.seconds, 60.0);
  EXPECT_FALSE(processes_left(tag));
}

TEST(MpiRun, ReplicasThatDifferStopWithTheDifferenceNamed) {
  TempDir tmp;
  const auto r = run_job(tmp, 2, "--out " + (tmp / "p.txt").string() + " --mismatch_rank 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("rank 1 does not match rank 0: entry 0 is 'tensor p0 Double [4, 17]' "
                          "here but 'tensor p0 Double [4, 16]' on rank 0"),
            std::string::npos)
      << r.output;
}

TEST(MpiRun, ResumeAfterAKilledRankIsBitIdentical) {
  TempDir tmp;
  const std::string common = " --samples 96 --global_batch 12 --epochs 4";
  const auto reference = tmp / "reference.txt";
  ASSERT_EQ(run_job(tmp, 2,
                    "--out " + reference.string() + common + " --checkpoint_dir " +
                        (tmp / "ckpt-ref").string())
                .exit_code,
            0);

  // 8 steps per epoch: step 19 is in the third epoch, after epoch-0002 was written.
  const auto ckpt = tmp / "ckpt";
  const auto out = tmp / "resumed.txt";
  const std::string tag = "resume-" + std::to_string(::getpid());
  const auto killed = run_job(tmp, 2,
                              "--out " + out.string() + common + " --checkpoint_dir " +
                                  ckpt.string() + " --kill_rank 1 --fail_step 19 --tag " + tag);
  EXPECT_NE(killed.exit_code, 0);
  EXPECT_LT(killed.seconds, 60.0);
  EXPECT_FALSE(processes_left(tag));
  EXPECT_FALSE(std::filesystem::exists(out));
  // The last promoted checkpoint still loads.
  const auto best = rsdist::train::resolve_best(ckpt);
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(rsdist::train::read_checkpoint(*best).global_step, 16);

  const auto resumed = run_job(
      tmp, 2,
      "--out " + out.string() + common + " --checkpoint_dir " + ckpt.string() + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from"), std::string::npos) << resumed.output;
  EXPECT_EQ(read_file(out), read_file(reference));  // exact hexadecimal doubles
}

TEST(MpiRun, SigtermWritesACheckpointAndTheRunResumesFromIt) {
  TempDir tmp;
  const std::string common = " --samples 96 --global_batch 12 --epochs 2";
  const auto reference = tmp / "reference.txt";
  ASSERT_EQ(run_job(tmp, 2, "--out " + reference.string() + common).exit_code, 0);

  const auto ckpt = tmp / "ckpt";
  const auto out = tmp / "out.txt";
  const auto stopped = run_job(tmp, 2,
                               "--out " + out.string() + common + " --checkpoint_dir " +
                                   ckpt.string() + " --signal_rank 1 --fail_step 5");
  EXPECT_EQ(stopped.exit_code, 75) << stopped.output;
  ASSERT_TRUE(std::filesystem::exists(ckpt / rsdist::train::step_checkpoint_name(6)));
  EXPECT_EQ(rsdist::train::read_checkpoint(ckpt / rsdist::train::step_checkpoint_name(6)).sampler,
            (rsdist::train::SamplerPosition{0, 6}));

  const auto resumed = run_job(
      tmp, 2,
      "--out " + out.string() + common + " --checkpoint_dir " + ckpt.string() + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_EQ(read_file(out), read_file(reference));
}

}  // namespace
