// `rsdist train`, `rsdist evaluate` and `rsdist recommend` for NAML in one process (local backend):
// the run directory, resume equivalence, evaluation equal to the trainer's own, predictions and
// recommendations. The multi-rank pipeline is tests/train/naml_mpirun_test.cpp.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "support/run_records.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"
#include "train/naml_fixture.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::make_naml_corpus;
using rsdist::testing::naml_train_args;
using rsdist::testing::read_file;
using rsdist::testing::read_jsonl;
using rsdist::testing::run_rsdist;
using rsdist::testing::TempDir;
using rsdist::testing::with;

class NamlTraining : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    corpus_ = make_naml_corpus(tmp_->path());
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }
  static TempDir* tmp_;
  static fs::path corpus_;
};
TempDir* NamlTraining::tmp_ = nullptr;
fs::path NamlTraining::corpus_;

TEST_F(NamlTraining, RunDirectoryHoldsConfigMetricsCheckpointsAndResults) {
  TempDir tmp;
  const auto run = tmp / "run";
  const auto r = run_rsdist(with(naml_train_args(corpus_, run, 2), {"--backend", "local"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(read_file(run / "config.ini").find("cnn_kernel_num = 32"), std::string::npos);
  EXPECT_NE(read_file(run / "train.log").find("epoch 2: loss"), std::string::npos);
  const auto records = read_jsonl(run / "metrics.jsonl");
  ASSERT_EQ(records.size(), 2u);
  for (int e = 0; e < 2; ++e) {
    EXPECT_EQ(records[e]["kind"], "epoch");
    EXPECT_EQ(records[e]["epoch"], e + 1);
    EXPECT_GT(records[e]["samples_per_second"].get<double>(), 0);
    for (const char* m : {"auc", "mrr", "ndcg5", "ndcg10"}) {
      EXPECT_GT(records[e]["dev"][m].get<double>(), 0) << m;
    }
  }
  // Training lowers the loss and learns: dev AUC well above chance after two epochs.
  EXPECT_LT(records[1]["train_loss"].get<double>(), records[0]["train_loss"].get<double>());
  EXPECT_GT(records[1]["dev"]["auc"].get<double>(), 0.6);
  const auto best = resolve_best(run / "checkpoints");
  ASSERT_TRUE(best.has_value());
  EXPECT_EQ(best->filename().string(),
            checkpoint_name(records[1]["best_epoch"].get<std::int64_t>()));
  const auto results = nlohmann::json::parse(read_file(run / "results.json"));
  EXPECT_EQ(results["history"].size(), 2u);

  // A second run into the same directory must not silently overwrite it.
  const auto again = run_rsdist(with(naml_train_args(corpus_, run, 2), {"--backend", "local"}));
  EXPECT_EQ(again.code, 1);
  EXPECT_NE(again.err.find("already holds checkpoints: pass --resume"), std::string::npos)
      << again.err;

  // `rsdist evaluate` on the best checkpoint reproduces the trainer's dev metrics of that epoch
  // and writes the leaderboard format, one line per impression.
  const auto ev = run_rsdist({"evaluate", "--run", run.string(), "--split", "dev", "--prediction",
                              (tmp / "prediction.txt").string()});
  ASSERT_EQ(ev.code, 0) << ev.err;
  const auto metrics = nlohmann::json::parse(ev.out);
  const auto& best_record = records[records[1]["best_epoch"].get<std::size_t>() - 1];
  for (const char* m : {"auc", "mrr", "ndcg5", "ndcg10"}) {
    EXPECT_DOUBLE_EQ(metrics[m].get<double>(), best_record["dev"][m].get<double>()) << m;
  }
  const std::string prediction = read_file(tmp / "prediction.txt");
  EXPECT_EQ(prediction.rfind("1 [", 0), 0u) << prediction.substr(0, 40);
  EXPECT_EQ(static_cast<double>(std::count(prediction.begin(), prediction.end(), '\n') + 1),
            metrics["impressions"].get<double>());

  // `rsdist recommend`: k news per user, best first, none already in the user's history.
  const auto rec = run_rsdist({"recommend", "--run", run.string(), "--k", "5", "--max_users", "3"});
  ASSERT_EQ(rec.code, 0) << rec.err;
  std::istringstream lines(rec.out);
  int users = 0;
  for (std::string line; std::getline(lines, line); ++users) {
    std::istringstream fields(line);
    std::string user, item;
    fields >> user;
    EXPECT_EQ(user[0], 'U') << line;
    double previous = 1e30;
    int items = 0;
    while (fields >> item) {
      const double score = std::stod(item.substr(item.find(':') + 1));
      EXPECT_LE(score, previous) << line;
      previous = score;
      ++items;
    }
    EXPECT_EQ(items, 5) << line;
  }
  EXPECT_EQ(users, 3);
  const auto unknown = run_rsdist({"recommend", "--run", run.string(), "--users", "U_nobody"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_NE(unknown.err.find("'U_nobody' has no impression in the dev split"), std::string::npos)
      << unknown.err;
}

// Two epochs in one go, and one epoch then --resume for the second, give the same weights bit
// for bit: model, Adam state, sampler position, negative sampling and dropout RNG all continue.
TEST_F(NamlTraining, ResumeContinuesExactlyWhereTheRunStopped) {
  TempDir tmp;
  ASSERT_EQ(
      run_rsdist(with(naml_train_args(corpus_, tmp / "straight", 2), {"--backend", "local"})).code,
      0);
  ASSERT_EQ(
      run_rsdist(with(naml_train_args(corpus_, tmp / "resumed", 1), {"--backend", "local"})).code,
      0);
  const auto r = run_rsdist(
      with(naml_train_args(corpus_, tmp / "resumed", 2), {"--backend", "local", "--resume"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("resumed from"), std::string::npos) << r.err;
  const auto a = read_checkpoint(tmp / "straight" / "checkpoints" / checkpoint_name(2));
  const auto b = read_checkpoint(tmp / "resumed" / "checkpoints" / checkpoint_name(2));
  ASSERT_EQ(a.model.size(), b.model.size());
  for (const auto& [name, tensor] : a.model) {
    EXPECT_TRUE(tensor.equal(b.model.at(name))) << name;
  }
  for (const auto& [name, tensors] : a.optimizer) {
    EXPECT_TRUE(tensors.at(0).equal(b.optimizer.at(name).at(0))) << name;
  }
  EXPECT_EQ(a.global_step, b.global_step);
  const auto ra = read_jsonl(tmp / "straight" / "metrics.jsonl");
  const auto rb = read_jsonl(tmp / "resumed" / "metrics.jsonl");
  ASSERT_EQ(rb.size(), 2u);
  EXPECT_EQ(ra[1]["dev"], rb[1]["dev"]);
  EXPECT_EQ(ra[1]["train_loss"], rb[1]["train_loss"]);
}

// --validate false skips the dev evaluation (best follows the training loss); --max_steps_per_epoch
// caps an epoch (benchmarks, smoke runs).
TEST_F(NamlTraining, ValidationCanBeSkippedAndEpochsCapped) {
  TempDir tmp;
  const auto r =
      run_rsdist(with(naml_train_args(corpus_, tmp / "run", 2),
                      {"--backend", "local", "--validate", "false", "--max_steps_per_epoch", "3"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto records = read_jsonl(tmp / "run" / "metrics.jsonl");
  ASSERT_EQ(records.size(), 2u);
  EXPECT_FALSE(records[0].contains("dev"));
  EXPECT_EQ(records[0]["global_step"], 3);
  EXPECT_EQ(records[1]["global_step"], 6);
  EXPECT_TRUE(resolve_best(tmp / "run" / "checkpoints").has_value());
}

// De-duplicating the news of a batch changes the work, not the result. Gradients are equal to
// float rounding (tests/models/naml_model_test.cpp checks one step to 1e-6); over an epoch of Adam
// the rounding differences grow, so here the training curves must agree, not the bits.
TEST_F(NamlTraining, DedupAndNoDedupTrainTheSameModel) {
  TempDir tmp;
  for (const char* dedup : {"true", "false"}) {
    const auto r =
        run_rsdist(with(naml_train_args(corpus_, tmp / dedup, 1),
                        {"--backend", "local", "--dedup_news", dedup, "--dropout_rate", "0"}));
    ASSERT_EQ(r.code, 0) << r.err;
  }
  const auto a = read_jsonl(tmp / "true" / "metrics.jsonl").at(0);
  const auto b = read_jsonl(tmp / "false" / "metrics.jsonl").at(0);
  EXPECT_NEAR(a["train_loss"].get<double>(), b["train_loss"].get<double>(),
              0.002 * b["train_loss"].get<double>());
  EXPECT_NEAR(a["dev"]["auc"].get<double>(), b["dev"]["auc"].get<double>(), 0.01);
}

}  // namespace
}  // namespace rsdist::train
