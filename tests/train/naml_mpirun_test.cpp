// The end-to-end pipeline under real mpirun: synthetic MIND data -> preprocess -> NAML on
// 2 ranks for 1 epoch -> --resume to epoch 2 (a second job) -> `rsdist evaluate` -> dev AUC above
// the most-popular baseline; and 1 rank reaching the same dev AUC within noise.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/mpi_job.hpp"
#include "support/mpirun_resume.hpp"
#include "support/popularity_baselines.hpp"
#include "support/run_records.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"
#include "train/naml_fixture.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::last_json;
using rsdist::testing::popularity_auc;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

int run_job(const TempDir& tmp, int np, const std::vector<std::string>& args,
            const std::string& tag) {
  return rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, np, RSDIST_BINARY_PATH, args,
                                      tmp / (tag + ".log"));
}

double dev_auc(const fs::path& run) {
  const auto r = rsdist::testing::run_rsdist({"evaluate", "--run", run.string(), "--split", "dev"});
  EXPECT_EQ(r.code, 0) << r.err;
  return nlohmann::json::parse(r.out)["auc"].get<double>();
}

TEST(NamlMpirun, TwoRanksTrainResumeAndBeatThePopularityBaseline) {
  TempDir tmp;
  const fs::path corpus = rsdist::testing::make_naml_corpus(tmp.path());
  const fs::path run2 = tmp / "run-np2";
  auto args = rsdist::testing::naml_train_args(corpus, run2, 1);
  ASSERT_EQ(run_job(tmp, 2, args, "np2-epoch1"), 0) << read_file(tmp / "np2-epoch1.log");
  args = rsdist::testing::naml_train_args(corpus, run2, 2);
  args.push_back("--resume");
  ASSERT_EQ(run_job(tmp, 2, args, "np2-resume"), 0) << read_file(tmp / "np2-resume.log");
  const std::string log = read_file(tmp / "np2-resume.log");
  EXPECT_NE(log.find("on 2 rank(s), backend mpi"), std::string::npos) << log;
  EXPECT_NE(log.find("resumed from"), std::string::npos) << log;
  EXPECT_NE(log.find("epoch 2: loss"), std::string::npos) << log;
  EXPECT_TRUE(fs::exists(run2 / "checkpoints" / checkpoint_name(2)));

  const double auc2 = dev_auc(run2);
  const double popular = popularity_auc(corpus);
  std::printf("dev AUC: NAML -np 2 %.4f, most-popular baseline %.4f\n", auc2, popular);
  EXPECT_GT(auc2, popular + 0.03);

  // The same global batch on one rank (2 x 64 samples per step) reaches the same quality.
  const fs::path run1 = tmp / "run-np1";
  args = rsdist::testing::naml_train_args(corpus, run1, 2, /*batch_size=*/128);
  ASSERT_EQ(run_job(tmp, 1, args, "np1"), 0) << read_file(tmp / "np1.log");
  const double auc1 = dev_auc(run1);
  std::printf("dev AUC: NAML -np 1 %.4f\n", auc1);
  EXPECT_NEAR(auc1, auc2, 0.03);

  // Evaluation sharded over 2 ranks gives the single-process metrics.
  ASSERT_EQ(run_job(tmp, 2, {"evaluate", "--run", run2.string(), "--split", "dev"}, "eval-np2"), 0)
      << read_file(tmp / "eval-np2.log");
  const std::string eval_log = read_file(tmp / "eval-np2.log");
  EXPECT_NEAR(last_json(eval_log)["auc"].get<double>(), auc2, 1e-9) << eval_log;
}

// Dropout differs per rank: a resume at the epoch boundary and one from a mid-epoch step
// checkpoint continue every rank's stream, ending bit for bit where 2 straight epochs end.
TEST(NamlMpirun, ResumeOnTwoRanksIsBitIdenticalAtAnEpochBoundaryAndMidEpoch) {
  TempDir tmp;
  const fs::path corpus = rsdist::testing::make_naml_corpus(tmp.path());
  rsdist::testing::MpirunResume m{RSDIST_MPIEXEC, RSDIST_BINARY_PATH};
  m.args = [&](const fs::path& out, int epochs) {
    return rsdist::testing::with(rsdist::testing::naml_train_args(corpus, out, epochs),
                                 {"--max_steps_per_epoch", "6"});
  };
  rsdist::testing::expect_mpirun_resume_is_exact(m, tmp.path(), "NAML");
}

}  // namespace
}  // namespace rsdist::train
