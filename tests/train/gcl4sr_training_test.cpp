// `rsdist train`, `rsdist evaluate` and `rsdist recommend` for GCL4SR in one process (local
// backend): the logged loss parts and learning-rate schedule, resume equivalence, evaluation equal
// to the trainer's own, and recommendations. The multi-rank pipeline is gcl4sr_mpirun_test.cpp.
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "app/cli_runner.hpp"
#include "data/seq/seq_corpus.hpp"
#include "support/run_records.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"
#include "train/gcl4sr_fixture.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::gcl4sr_train_args;
using rsdist::testing::read_file;
using rsdist::testing::read_jsonl;
using rsdist::testing::run_rsdist;
using rsdist::testing::TempDir;
using rsdist::testing::with;

class Gcl4srTraining : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    tmp_ = new TempDir();
    corpus_ = rsdist::testing::make_gcl4sr_corpus(tmp_->path());
  }
  static void TearDownTestSuite() {
    delete tmp_;
    tmp_ = nullptr;
  }
  static TempDir* tmp_;
  static fs::path corpus_;
};
TempDir* Gcl4srTraining::tmp_ = nullptr;
fs::path Gcl4srTraining::corpus_;

TEST_F(Gcl4srTraining, LogsLossPartsScheduleAndFullRankingMetrics) {
  TempDir tmp;
  const auto run = tmp / "run";
  const auto r = run_rsdist(with(gcl4sr_train_args(corpus_, run, 2), {"--backend", "local"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto records = read_jsonl(run / "metrics.jsonl");
  ASSERT_EQ(records.size(), 3u);  // two epochs and the test evaluation
  for (int e = 0; e < 2; ++e) {
    const auto& rec = records[static_cast<std::size_t>(e)];
    EXPECT_NEAR(rec["lr"].get<double>(), 0.005 * std::pow(0.5, e), 1e-12);
    const auto& parts = rec["train_losses"];
    const double total =
        parts["main"].get<double>() + parts["gcl"].get<double>() + 0.1 * parts["mmd"].get<double>();
    EXPECT_NEAR(rec["train_loss"].get<double>(), total, 1e-4);
    EXPECT_GT(parts["main"].get<double>(), 0.0);
    const auto& dev = rec["dev"];
    for (const char* m : {"recall10", "recall20", "ndcg10", "ndcg20", "hr10", "hr20"}) {
      EXPECT_GE(dev[m].get<double>(), 0.0) << m;
      EXPECT_LE(dev[m].get<double>(), 1.0) << m;
    }
    EXPECT_EQ(dev["users"].get<double>(), 300.0);
    EXPECT_EQ(dev["hr20"], dev["recall20"]);
    EXPECT_GE(dev["recall20"].get<double>(), dev["recall10"].get<double>());
  }
  // Early stopping followed ndcg20, GCL4SR's default criterion.
  const double best0 = records[0]["dev"]["ndcg20"].get<double>();
  const double best1 = records[1]["dev"]["ndcg20"].get<double>();
  EXPECT_EQ(records[1]["best_epoch"].get<int>(), best1 > best0 ? 2 : 1);
  EXPECT_EQ(records[2]["kind"], "test");

  // `rsdist evaluate` of the best checkpoint reproduces the trainer's dev metrics exactly (the
  // graph views of evaluation are seeded per chunk, not drawn from the training stream).
  const auto ev = run_rsdist({"evaluate", "--run", run.string(), "--split", "dev"});
  ASSERT_EQ(ev.code, 0) << ev.err;
  const auto prediction = run_rsdist(
      {"evaluate", "--run", run.string(), "--prediction", (tmp / "prediction.txt").string()});
  EXPECT_NE(prediction.code, 0);
  EXPECT_NE(prediction.err.find("use 'rsdist recommend'"), std::string::npos) << prediction.err;
  EXPECT_FALSE(fs::exists(tmp / "prediction.txt"));
  const auto best = records[static_cast<std::size_t>(records[1]["best_epoch"].get<int>() - 1)];
  const auto evaluated = nlohmann::json::parse(ev.out);
  for (const char* m : {"recall10", "recall20", "ndcg10", "ndcg20"}) {
    EXPECT_NEAR(evaluated[m].get<double>(), best["dev"][m].get<double>(), 1e-12) << m;
  }
}

TEST_F(Gcl4srTraining, ResumedRunEqualsTheUninterruptedOne) {
  TempDir tmp;
  const auto straight = tmp / "straight";
  const auto resumed = tmp / "resumed";
  ASSERT_EQ(run_rsdist(with(gcl4sr_train_args(corpus_, straight, 2), {"--backend", "local"})).code,
            0);
  ASSERT_EQ(run_rsdist(with(gcl4sr_train_args(corpus_, resumed, 1), {"--backend", "local"})).code,
            0);
  const auto r =
      run_rsdist(with(gcl4sr_train_args(corpus_, resumed, 2), {"--backend", "local", "--resume"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto a = read_jsonl(straight / "metrics.jsonl");
  const auto b = read_jsonl(resumed / "metrics.jsonl");
  ASSERT_EQ(a.size(), b.size());
  EXPECT_EQ(a[1]["train_loss"], b[1]["train_loss"]);
  EXPECT_EQ(a[1]["dev"], b[1]["dev"]);
  const auto ma = read_checkpoint_model(straight / "checkpoints" / checkpoint_name(2)).model;
  const auto mb = read_checkpoint_model(resumed / "checkpoints" / checkpoint_name(2)).model;
  ASSERT_EQ(ma.size(), mb.size());
  for (const auto& [name, tensor] : ma) EXPECT_TRUE(tensor.equal(mb.at(name))) << name;
  EXPECT_TRUE(ma.count("gate_user"));  // the fixed gates travel with the model
}

TEST_F(Gcl4srTraining, RecommendsUnseenItemsForNamedUsers) {
  TempDir tmp;
  const auto run = tmp / "run";
  ASSERT_EQ(run_rsdist(with(gcl4sr_train_args(corpus_, run, 1), {"--backend", "local"})).code, 0);
  const seq::SeqCorpus corpus = seq::read_seq_corpus(corpus_);
  const std::string user = std::to_string(corpus.sequences.users[4]);
  const auto rec = run_rsdist(
      {"recommend", "--run", run.string(), "--split", "test", "--users", user, "--k", "7"});
  ASSERT_EQ(rec.code, 0) << rec.err;
  std::istringstream line(rec.out);
  std::string name, field;
  line >> name;
  EXPECT_EQ(name, user);
  const auto prefix = seq::example_prefix(corpus.sequences, corpus.splits.test, 4);
  const std::set<std::string> seen = [&] {
    std::set<std::string> s;
    for (const auto item : prefix) s.insert(std::to_string(item));
    return s;
  }();
  int count = 0;
  float previous = INFINITY;
  while (line >> field) {
    const auto colon = field.find(':');
    const std::string item = field.substr(0, colon);
    const float score = std::stof(field.substr(colon + 1));
    EXPECT_EQ(seen.count(item), 0u) << item << " is in the user's history";
    EXPECT_NE(item, "0");
    EXPECT_LE(score, previous + 1e-4f);
    previous = score;
    ++count;
  }
  EXPECT_EQ(count, 7);
  const auto unknown = run_rsdist({"recommend", "--run", run.string(), "--users", "nobody"});
  EXPECT_NE(unknown.code, 0);
  EXPECT_NE(unknown.err.find("'nobody' is no user"), std::string::npos) << unknown.err;
}

TEST_F(Gcl4srTraining, TrainDefaultsAreTheOfficialCodesUnlessGiven) {
  const auto r = run_rsdist({"train", "--model", "gcl4sr", "--corpus", "c", "--out", "o", "--lr",
                             "0.01", "--print_config"});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* line : {"batch_size = 1024", "weight_decay = 5e-05", "grad_clip = 0",
                           "early_stopping_patience = 10", "lr = 0.01"}) {
    EXPECT_NE(r.out.find(line), std::string::npos) << line << " in\n" << r.out;
  }
  EXPECT_NE(r.out.find("gcl4sr default"), std::string::npos) << r.out;
  const auto naml =
      run_rsdist({"train", "--model", "naml", "--corpus", "c", "--out", "o", "--print_config"});
  EXPECT_NE(naml.out.find("batch_size = 64"), std::string::npos) << naml.out;
}

TEST_F(Gcl4srTraining, RejectsADirectoryThatIsNoCorpus) {
  TempDir tmp;
  const auto r = run_rsdist({"train", "--model", "gcl4sr", "--corpus", (tmp / "none").string(),
                             "--out", (tmp / "run").string(), "--backend", "local"});
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.err.find("no manifest.json"), std::string::npos) << r.err;
}

// --shard_items on one process trains exactly as the replicated table (the sharded path with one
// shard) and is refused, naming the option, by a model without an item table.
TEST_F(Gcl4srTraining, ShardItemsOnOneRankTrainsAsReplicatedAndIsRefusedWithoutATable) {
  const fs::path replicated = *tmp_ / "one-rank-replicated", sharded = *tmp_ / "one-rank-sharded";
  ASSERT_EQ(run_rsdist(with(gcl4sr_train_args(corpus_, replicated, 1),
                            {"--backend", "local", "--max_steps_per_epoch", "3"})).code, 0);
  const auto r = run_rsdist(with(gcl4sr_train_args(corpus_, sharded, 1),
                                 {"--backend", "local", "--max_steps_per_epoch", "3",
                                  "--shard_items", "true"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto a = read_jsonl(replicated / "metrics.jsonl").front();
  const auto b = read_jsonl(sharded / "metrics.jsonl").front();
  EXPECT_NEAR(a["train_loss"].get<double>(), b["train_loss"].get<double>(), 1e-5);
  EXPECT_NEAR(a["dev"]["ndcg20"].get<double>(), b["dev"]["ndcg20"].get<double>(), 1e-9);
  EXPECT_TRUE(fs::exists(sharded / "checkpoints" / "epoch-0001" / "table-shard-0000-of-0001.pt"));

  const auto refused = run_rsdist({"train", "--model", "pop", "--corpus", corpus_.string(), "--out",
                                   (*tmp_ / "pop-sharded").string(), "--shard_items", "true"});
  EXPECT_NE(refused.code, 0);
  EXPECT_NE(refused.err.find("--shard_items: model pop has no item table"), std::string::npos)
      << refused.err;
}

}  // namespace
}  // namespace rsdist::train
