// The runtime under real mpirun, through the real trainer (`rsdist train --model probe`, the
// probe family of probe_family.cpp linked into rsdist_probe): equivalence across world sizes,
// uneven data, failures, replica checks, resume after a kill and after a signal.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>

#include "data/corpus_manifest.hpp"
#include "support/mpi_job.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace {
namespace fs = std::filesystem;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

struct JobResult {
  int exit_code = -1;
  double seconds = 0;
  std::string output;
};

// The probe's corpus is only a manifest: its data come from the options.
fs::path probe_corpus(const TempDir& tmp) {
  const fs::path dir = tmp / "corpus";
  fs::create_directories(dir);
  rsdist::data::CorpusManifest manifest;
  manifest.kind = "probe";
  rsdist::data::write_corpus_manifest(dir, manifest);
  return dir;
}

// `rsdist_probe train --model probe` on `np` ranks writing run directory `run`; `args` is shell
// text (options after the common ones).
JobResult run_job(const TempDir& tmp, int np, const fs::path& run, const std::string& args) {
  const std::string log = (tmp / ("job-" + std::to_string(np) + ".log")).string();
  const std::string common = fmt::format("train --model probe --corpus {} --out {} --seed 3 ",
                                         probe_corpus(tmp).string(), run.string());
  const auto start = std::chrono::steady_clock::now();
  JobResult r;
  r.exit_code = rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, np, RSDIST_PROBE, common + args, log);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.output = read_file(log);
  return r;
}

// The parameters of the run's epoch checkpoint `epoch`.
std::map<std::string, at::Tensor> parameters(const fs::path& run, std::int64_t epoch) {
  return rsdist::train::read_checkpoint_model(run / "checkpoints" /
                                              rsdist::train::checkpoint_name(epoch))
      .model;
}

// Whether any process started with `--probe_tag tag` is still alive. The pattern brackets the
// tag's first letter so that it does not match the shell running pgrep itself.
bool processes_left(const std::string& tag) {
  const std::string pattern = "--probe_tag [" + tag.substr(0, 1) + "]" + tag.substr(1);
  return std::system(("pgrep -f -- '" + pattern + "' > /dev/null").c_str()) == 0;
}

TEST(MpiRun, SameParametersUnderNp1Np2Np4) {
  TempDir tmp;
  std::vector<std::map<std::string, at::Tensor>> results;
  for (int np : {1, 2, 4}) {
    const auto run = tmp / ("run-" + std::to_string(np));
    // A global batch of 12 samples on every world size.
    const auto r = run_job(tmp, np, run,
                           fmt::format("--epochs 2 --keep_checkpoints 2 --batch_size {}", 12 / np));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    results.push_back(parameters(run, 2));
  }
  ASSERT_EQ(results[0].size(), 4u);
  EXPECT_EQ(results[0].at("p0").numel() + results[0].at("p1").numel() +
                results[0].at("p2").numel() + results[0].at("p3").numel(),
            4 * 16 + 16 + 16 + 1);
  for (std::size_t k = 1; k < results.size(); ++k) {
    for (const auto& [name, tensor] : results[0]) {
      EXPECT_TRUE(tensor.allclose(results[k].at(name), 0.0, 1e-6)) << "run " << k << " " << name;
    }
  }
}

TEST(MpiRun, UnevenDataOnThreeRanksCompletesEveryEpoch) {
  TempDir tmp;
  const auto run = tmp / "run";
  const auto r = run_job(tmp, 3, run, "--probe_samples 100 --batch_size 4 --epochs 3");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("train probe on 3 rank(s), backend mpi"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("done: 27 steps"), std::string::npos) << r.output;
  EXPECT_EQ(rsdist::train::read_checkpoint(run / "checkpoints" / "epoch-0003").global_step, 27);
}

TEST(MpiRun, ARankThatThrowsEndsTheJob) {
  TempDir tmp;
  const std::string tag = "throw-" + std::to_string(::getpid());
  const auto r =
      run_job(tmp, 3, tmp / "run", "--probe_throw_rank 1 --probe_fail_step 3 --probe_tag " + tag);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.seconds, 60.0);
  EXPECT_NE(r.output.find("[rank 1/3] [error]"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("injected failure at step 3"), std::string::npos) << r.output;
  EXPECT_FALSE(processes_left(tag));
  EXPECT_FALSE(fs::exists(tmp / "run" / "results.json"));
}

TEST(MpiRun, ARankKilledWithSigkillEndsTheJob) {
  TempDir tmp;
  const std::string tag = "kill-" + std::to_string(::getpid());
  const auto r =
      run_job(tmp, 3, tmp / "run", "--probe_kill_rank 2 --probe_fail_step 4 --probe_tag " + tag);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_LT(r.seconds, 60.0);
  EXPECT_FALSE(processes_left(tag));
  EXPECT_FALSE(fs::exists(tmp / "run" / "results.json"));
}

TEST(MpiRun, ReplicasThatDifferStopWithTheDifferenceNamed) {
  TempDir tmp;
  const auto r = run_job(tmp, 2, tmp / "run", "--probe_mismatch_rank 1");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find("rank 1 does not match rank 0: entry 0 is 'tensor p0 Double [4, 17]' "
                          "here but 'tensor p0 Double [4, 16]' on rank 0"),
            std::string::npos)
      << r.output;
}

TEST(MpiRun, ResumeAfterAKilledRankIsBitIdentical) {
  TempDir tmp;
  const std::string common = " --batch_size 6 --epochs 4 --keep_checkpoints 4";
  const auto reference = tmp / "reference";
  ASSERT_EQ(run_job(tmp, 2, reference, common).exit_code, 0);

  // 8 steps per epoch: step 19 is in the third epoch, after epoch-0002 was written.
  const auto run = tmp / "run";
  const std::string tag = "resume-" + std::to_string(::getpid());
  const auto killed =
      run_job(tmp, 2, run, common + " --probe_kill_rank 1 --probe_fail_step 19 --probe_tag " + tag);
  EXPECT_NE(killed.exit_code, 0);
  EXPECT_LT(killed.seconds, 60.0);
  EXPECT_FALSE(processes_left(tag));
  EXPECT_FALSE(fs::exists(run / "results.json"));
  // The last promoted checkpoint still loads.
  const auto best = rsdist::train::resolve_best(run / "checkpoints");
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(rsdist::train::read_checkpoint(*best).global_step, 16);

  const auto resumed = run_job(tmp, 2, run, common + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed from"), std::string::npos) << resumed.output;
  for (const auto& [name, tensor] : parameters(reference, 4)) {
    EXPECT_TRUE(tensor.equal(parameters(run, 4).at(name))) << name;  // bit for bit
  }
}

TEST(MpiRun, SigtermWritesACheckpointAndTheRunResumesFromIt) {
  TempDir tmp;
  const std::string common = " --batch_size 6 --epochs 2 --keep_checkpoints 2";
  const auto reference = tmp / "reference";
  ASSERT_EQ(run_job(tmp, 2, reference, common).exit_code, 0);

  const auto run = tmp / "run";
  const auto stopped = run_job(tmp, 2, run, common + " --probe_signal_rank 1 --probe_fail_step 5");
  EXPECT_EQ(stopped.exit_code, 75) << stopped.output;
  const auto step = run / "checkpoints" / rsdist::train::step_checkpoint_name(6);
  ASSERT_TRUE(fs::exists(step));
  EXPECT_EQ(rsdist::train::read_checkpoint(step).sampler, (rsdist::train::SamplerPosition{0, 6}));

  const auto resumed = run_job(tmp, 2, run, common + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  for (const auto& [name, tensor] : parameters(reference, 2)) {
    EXPECT_TRUE(tensor.equal(parameters(run, 2).at(name))) << name;
  }
}


// Another world size cannot continue every rank's generator or the epoch's sharding exactly: the
// resumed job says so for both and completes the run.
TEST(MpiRun, AStepCheckpointOfTwoRanksResumesOnThreeSayingWhatIsNotExact) {
  TempDir tmp;
  const std::string common = " --batch_size 6 --epochs 2";
  const auto run = tmp / "run";
  const auto stopped = run_job(tmp, 2, run, common + " --probe_signal_rank 1 --probe_fail_step 5");
  ASSERT_EQ(stopped.exit_code, 75) << stopped.output;
  const auto resumed = run_job(tmp, 3, run, common + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("holds the generator states of 2 rank(s) and this job has 3"),
            std::string::npos)
      << resumed.output;
  EXPECT_NE(resumed.output.find("taken by 2 rank(s) after 6 batch(es) each of epoch 1; on 3 "
                                "rank(s) the epoch continues at batch 4"),
            std::string::npos)
      << resumed.output;
  EXPECT_TRUE(fs::exists(run / "checkpoints" / rsdist::train::checkpoint_name(2)));
}

}  // namespace
