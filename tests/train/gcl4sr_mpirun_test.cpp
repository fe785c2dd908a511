// The GCL4SR pipeline under real mpirun: synthetic sequences -> preprocess seq -> GCL4SR on 2
// ranks for 1 epoch -> --resume for 3 more (a second job) -> `rsdist evaluate` on 2 ranks equal to
// the single-process evaluation -> dev HR@20 and NDCG@20 well above the most-popular baseline.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "data/seq/seq_corpus.hpp"
#include "support/mpi_job.hpp"
#include "support/mpirun_resume.hpp"
#include "support/popularity_baselines.hpp"
#include "support/run_records.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"
#include "train/gcl4sr_fixture.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::last_json;
using rsdist::testing::popularity_baseline;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

int run_job(const TempDir& tmp, int np, const std::vector<std::string>& args,
            const std::string& tag) {
  return rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, np, RSDIST_BINARY_PATH, args,
                                      tmp / (tag + ".log"));
}

TEST(Gcl4srMpirun, TwoRanksTrainResumeEvaluateAndBeatPopularity) {
  TempDir tmp;
  // 400 items in 20 clusters: knowing the cluster of the next item is worth far more than
  // knowing the popular items.
  const fs::path corpus = rsdist::testing::make_gcl4sr_corpus(tmp.path(), 400, 400, 20);
  const fs::path run = tmp / "run";
  auto args = rsdist::testing::gcl4sr_train_args(corpus, run, 1, 32, 5);
  ASSERT_EQ(run_job(tmp, 2, args, "epoch1"), 0) << read_file(tmp / "epoch1.log");
  args = rsdist::testing::gcl4sr_train_args(corpus, run, 4, 32, 5);
  args.push_back("--resume");
  ASSERT_EQ(run_job(tmp, 2, args, "resume"), 0) << read_file(tmp / "resume.log");
  const std::string log = read_file(tmp / "resume.log");
  EXPECT_NE(log.find("on 2 rank(s), backend mpi"), std::string::npos) << log;
  EXPECT_NE(log.find("resumed from"), std::string::npos) << log;
  EXPECT_NE(log.find("epoch 4: loss"), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(run / "checkpoints" / checkpoint_name(4)));

  // Evaluation sharded over 2 ranks equals the single-process one (chunks are seeded by index).
  ASSERT_EQ(run_job(tmp, 2, {"evaluate", "--run", run.string(), "--split", "dev"}, "eval-np2"), 0)
      << read_file(tmp / "eval-np2.log");
  ASSERT_EQ(run_job(tmp, 1, {"evaluate", "--run", run.string(), "--split", "dev"}, "eval-np1"), 0)
      << read_file(tmp / "eval-np1.log");
  const auto two = last_json(read_file(tmp / "eval-np2.log"));
  const auto one = last_json(read_file(tmp / "eval-np1.log"));
  EXPECT_EQ(two["hr20"], one["hr20"]);
  EXPECT_NEAR(two["ndcg20"].get<double>(), one["ndcg20"].get<double>(), 1e-12);

  const auto [pop_hr20, pop_ndcg20] = popularity_baseline(corpus);
  std::printf("dev HR@20 %.4f NDCG@20 %.4f; most-popular HR@20 %.4f NDCG@20 %.4f\n",
              one["hr20"].get<double>(), one["ndcg20"].get<double>(), pop_hr20, pop_ndcg20);
  EXPECT_GT(one["hr20"].get<double>(), pop_hr20 + 0.15);
  EXPECT_GT(one["ndcg20"].get<double>(), pop_ndcg20 + 0.08);
}

// GCL4SR's dropout and graph sampling on two ranks: resumed at the epoch boundary and from a
// mid-epoch step checkpoint, bit for bit the uninterrupted run.
TEST(Gcl4srMpirun, ResumeOnTwoRanksIsBitIdenticalAtAnEpochBoundaryAndMidEpoch) {
  TempDir tmp;
  const fs::path corpus = rsdist::testing::make_gcl4sr_corpus(tmp.path(), 200, 200, 10);
  rsdist::testing::MpirunResume m{RSDIST_MPIEXEC, RSDIST_BINARY_PATH};
  m.args = [&](const fs::path& out, int epochs) {
    return rsdist::testing::with(rsdist::testing::gcl4sr_train_args(corpus, out, epochs, 16),
                                 {"--max_steps_per_epoch", "6"});
  };
  rsdist::testing::expect_mpirun_resume_is_exact(m, tmp.path(), "GCL4SR");
}

}  // namespace
}  // namespace rsdist::train
