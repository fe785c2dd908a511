// Mult-VAE through the real command line on synthetic MovieLens ratings split by held-out users
// (strong generalisation): the protocol's metrics and the NDCG@100 criterion, the loss's parts in
// metrics.jsonl with the KL weight following the global step, `evaluate` and `recommend` from the
// run directory, a resumed run equal bit for bit to an uninterrupted one under both input orders,
// bad options named, the sampled protocol on a loo corpus, and under mpirun -np 2 train -> resume
// -> evaluate with the KL weight continuing from the checkpointed step.
#include <gtest/gtest.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "families/ratings_fixture.hpp"
#include "support/mpi_job.hpp"
#include "support/mpirun_resume.hpp"
#include "support/sharded_runs.hpp"
#include "support/run_records.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::last_json;
using rsdist::testing::read_file;
using rsdist::testing::read_jsonl;
using rsdist::testing::run_rsdist;
using rsdist::testing::TempDir;
using rsdist::testing::with;

constexpr double kCap = 0.2;
constexpr std::int64_t kAnnealSteps = 10;

class MultVae : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    corpus_ = rsdist::testing::make_ratings_corpus(
        dir_->path(), 1,
        {"--split", "heldout_users", "--heldout_users", "40", "--implicit_threshold", "4"});
  }
  static void TearDownTestSuite() { delete dir_; }
  // Small layers, 50 users per batch, and a KL weight reaching its cap after 10 steps.
  static std::vector<std::string> args(const fs::path& out, int epochs) {
    return {"train",           "--model",        "multvae", "--corpus",
            corpus_.string(),  "--out",          out.string(), "--epochs",
            std::to_string(epochs), "--batch_size", "50",      "--multvae_dims",
            "32,8",            "--kl_anneal_steps", std::to_string(kAnnealSteps),
            "--loader_threads", "1"};
  }
  static TempDir* dir_;
  static fs::path corpus_;
};
TempDir* MultVae::dir_ = nullptr;
fs::path MultVae::corpus_;

// metrics.jsonl's epoch records (the last line is the test record).
std::vector<nlohmann::json> epoch_records(const fs::path& run) {
  std::vector<nlohmann::json> out;
  for (auto& record : read_jsonl(run / "metrics.jsonl")) {
    if (record["kind"] == "epoch") out.push_back(std::move(record));
  }
  return out;
}

// Each epoch's mean KL weight is the schedule's mean over that epoch's global steps.
void expect_kl_weight_follows_the_global_step(const std::vector<nlohmann::json>& records) {
  std::int64_t first = 0;
  for (const auto& record : records) {
    const std::int64_t last = record["global_step"].get<std::int64_t>();
    ASSERT_GT(last, first);
    double sum = 0;
    for (std::int64_t s = first; s < last; ++s) {
      sum += kCap * std::min(1.0, static_cast<double>(s) / kAnnealSteps);
    }
    EXPECT_NEAR(record["train_losses"]["kl_weight"].get<double>(),
                sum / static_cast<double>(last - first), 1e-6)
        << record.dump();
    first = last;
  }
}

TEST_F(MultVae, TrainsWithAnnealedKlEvaluatesAndRecommends) {
  TempDir tmp;
  const auto run = tmp / "run";
  const auto r = run_rsdist(with(args(run, 3), {"--backend", "local"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto results = nlohmann::json::parse(read_file(run / "results.json"));
  EXPECT_EQ(results["criterion"]["metric"], "ndcg100");
  for (const char* m : {"recall10", "recall20", "recall50", "ndcg100", "users"}) {
    EXPECT_TRUE(results["test"].contains(m)) << m;
  }
  EXPECT_GE(results["test"]["users"].get<double>(), 35);
  const auto records = epoch_records(run);
  ASSERT_EQ(records.size(), 3u);
  for (const auto& record : records) {
    for (const char* part : {"neg_ll", "kl", "kl_weight"}) {
      EXPECT_TRUE(record["train_losses"].contains(part)) << part;
    }
    EXPECT_NEAR(record["train_loss"].get<double>(),
                record["train_losses"]["neg_ll"].get<double>(),
                0.2 * record["train_losses"]["kl"].get<double>() + 1e-3);
  }
  expect_kl_weight_follows_the_global_step(records);
  // `evaluate` from the run directory gives the run's test metrics.
  const auto e = run_rsdist({"evaluate", "--run", run.string(), "--split", "test"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_NEAR(last_json(e.out + e.err)["ndcg100"].get<double>(),
              results["test"]["ndcg100"].get<double>(), 1e-12);
  // Recommendations for a held-out user skip their fold-in items.
  const ratings::RatingsCorpus c = ratings::read_ratings_corpus(corpus_);
  const auto& foldin = c.parts.at("test_foldin");
  std::int64_t user = 0;
  while (foldin.items_of(user).empty()) ++user;
  rsdist::testing::expect_recommendations_skip_known(run, c, user, foldin.items_of(user), 5, "test");
}

// Dropout masks and noise come from (seed, step, rank): a resumed run draws the same ones.
TEST_F(MultVae, AResumedRunEqualsAnUninterruptedOneUnderBothInputOrders) {
  for (const std::string order : {"normalize_dropout", "dropout_normalize"}) {
    TempDir tmp;
    const auto [whole, parts] = rsdist::testing::expect_resume_equals_uninterrupted(
        tmp.path(),
        [&](const fs::path& out, int epochs) {
          return with(args(out, epochs), {"--backend", "local", "--input_order", order});
        },
        order);
    ASSERT_FALSE(HasFailure());
    EXPECT_EQ(read_checkpoint_model(whole / "checkpoints" / checkpoint_name(2)).model.size(), 8u);
    const auto ra = epoch_records(whole), rb = epoch_records(parts);
    ASSERT_EQ(rb.size(), 2u);
    EXPECT_EQ(ra[1]["dev"], rb[1]["dev"]) << order;
    EXPECT_EQ(ra[1]["train_losses"], rb[1]["train_losses"]) << order;
    expect_kl_weight_follows_the_global_step(rb);
  }
}

TEST_F(MultVae, BadOptionsAreNamed) {
  TempDir tmp;
  auto r = run_rsdist(with(args(tmp / "a", 1), {"--backend", "local", "--input_order", "first"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("input_order"), std::string::npos) << r.err;
  r = run_rsdist(with(args(tmp / "b", 1), {"--backend", "local", "--multvae_dims", "32,0"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("multvae_dims"), std::string::npos) << r.err;
  r = run_rsdist(with(args(tmp / "c", 1), {"--backend", "local", "--input_dropout", "1"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("input_dropout"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "a" / "results.json"));
}

// On a loo corpus with stored candidates: full ranking and the sampled protocol from the same logits.
TEST(MultVaeOnLoo, ReportsTheSampledProtocolToo) {
  TempDir tmp;
  const auto corpus =
      rsdist::testing::make_ratings_corpus(tmp.path(), 2, {"--split", "loo", "--negatives", "99"});
  ASSERT_FALSE(HasFailure());
  const auto run = tmp / "run";
  const auto r = run_rsdist({"train", "--model", "multvae", "--corpus", corpus.string(), "--out",
                             run.string(), "--backend", "local", "--epochs", "1",
                             "--multvae_dims", "16,4", "--eval_batch_size", "64"});
  ASSERT_EQ(r.code, 0) << r.err;
  const auto dev = read_jsonl(run / "metrics.jsonl")[0]["dev"];
  EXPECT_GT(dev["sampled_users"].get<double>(), 200);
  EXPECT_EQ(dev["sampled_users"], dev["users"]);
  for (const char* m : {"sampled_hr10", "sampled_ndcg10", "hr10", "ndcg100"}) {
    EXPECT_TRUE(dev.contains(m)) << m;
  }
  // The held-out item is among the 100 candidates: HR@100 of the sampled protocol is 1.
  EXPECT_EQ(dev["sampled_hr100"].get<double>(), 1.0);
}

#ifdef RSDIST_MPIEXEC
TEST_F(MultVae, TwoRanksTrainResumeAndEvaluate) {
  TempDir tmp;
  const auto run = tmp / "run";
  const auto job = [&](int np, const std::vector<std::string>& a, const std::string& tag) {
    return rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, np, RSDIST_BINARY_PATH, a,
                                        tmp / (tag + ".log"));
  };
  ASSERT_EQ(job(2, args(run, 1), "epoch1"), 0) << read_file(tmp / "epoch1.log");
  ASSERT_EQ(job(2, with(args(run, 2), {"--resume"}), "resume"), 0) << read_file(tmp / "resume.log");
  const std::string log = read_file(tmp / "resume.log");
  EXPECT_NE(log.find("on 2 rank(s), backend mpi"), std::string::npos) << log;
  EXPECT_NE(log.find("resumed from"), std::string::npos) << log;
  const auto records = epoch_records(run);
  ASSERT_EQ(records.size(), 2u);
  // 220 training users over 2 ranks of 50-user batches: 3 steps an epoch; epoch 2 goes on from 3.
  EXPECT_EQ(records[0]["global_step"], 3);
  EXPECT_EQ(records[1]["global_step"], 6);
  expect_kl_weight_follows_the_global_step(records);
  ASSERT_EQ(job(2, {"evaluate", "--run", run.string(), "--split", "test"}, "eval2"), 0)
      << read_file(tmp / "eval2.log");
  ASSERT_EQ(job(1, {"evaluate", "--run", run.string(), "--split", "test"}, "eval1"), 0)
      << read_file(tmp / "eval1.log");
  const auto two = last_json(read_file(tmp / "eval2.log"));
  const auto one = last_json(read_file(tmp / "eval1.log"));
  EXPECT_EQ(two["users"], one["users"]);
  for (const char* m : {"recall10", "recall20", "recall50", "ndcg100"}) {
    EXPECT_NEAR(two[m].get<double>(), one[m].get<double>(), 1e-12) << m;
  }
}

// Input dropout differs per rank: resumed at the epoch boundary and from a mid-epoch step
// checkpoint on two ranks, bit for bit the uninterrupted run (the KL weight follows the step).
TEST_F(MultVae, ResumeOnTwoRanksIsBitIdenticalAtAnEpochBoundaryAndMidEpoch) {
  TempDir tmp;
  rsdist::testing::MpirunResume m{RSDIST_MPIEXEC, RSDIST_BINARY_PATH};
  m.args = args;
  m.stop_step = 2;  // of 3 batches per rank and epoch
  rsdist::testing::expect_mpirun_resume_is_exact(m, tmp.path(), "Mult-VAE");
}
// --shard_items: Mult-VAE's item-sized layers (the input layer's item rows, the output layer's
// rows and bias) and their Adam state sharded by item: on 2 and 3 ranks the run equals the
// replicated one (losses, Recall/NDCG of users with several held-out items, parameters); a run
// saved on 2 ranks resumes on 3; on a loo corpus the sampled protocol's candidates come from their
// owners.
TEST_F(MultVae, ShardedItemLayersTrainAsTheReplicatedOnes) {
  TempDir tmp;
  const auto job = [&](int np, const std::vector<std::string>& a, const std::string& tag) {
    ASSERT_EQ(rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, np, RSDIST_BINARY_PATH, a,
                                           tmp / (tag + ".log")),
              0)
        << read_file(tmp / (tag + ".log"));
  };
  const auto sharding = [](bool on) {
    return std::vector<std::string>{"--shard_items", on ? "true" : "false", "--tensorboard",
                                    "false", "--shard_chunk_rows", "16"};
  };
  for (const int np : {2, 3}) {
    const std::string n = std::to_string(np);
    for (const bool on : {false, true}) {
      const std::string tag = (on ? "sharded" : "replicated") + n;
      job(np, with(args(tmp / tag, 2), sharding(on)), tag);
    }
    rsdist::testing::expect_same_training(tmp / ("replicated" + n), tmp / ("sharded" + n),
                                          n + " ranks", 2);
  }
  for (const bool on : {false, true}) {
    const std::string tag = on ? "resumed-sharded" : "resumed-replicated";
    job(2, with(args(tmp / tag, 1), sharding(on)), tag + "1");
    job(3, with(with(args(tmp / tag, 2), sharding(on)), {"--resume"}), tag + "2");
  }
  rsdist::testing::expect_same_training(tmp / "resumed-replicated", tmp / "resumed-sharded",
                                        "2 then 3 ranks", 2);

  const auto loo =
      rsdist::testing::make_ratings_corpus(tmp.path() / "loo", 2, {"--split", "loo", "--negatives", "99"});
  for (const bool on : {false, true}) {
    const std::string tag = on ? "loo-sharded" : "loo-replicated";
    job(2, with({"train", "--model", "multvae", "--corpus", loo.string(), "--out",
                 (tmp / tag).string(), "--epochs", "1", "--multvae_dims", "16,4",
                 "--eval_batch_size", "64", "--loader_threads", "1"},
                sharding(on)),
        tag);
  }
  rsdist::testing::expect_same_training(tmp / "loo-replicated", tmp / "loo-sharded", "loo", 1);
  EXPECT_TRUE(read_jsonl(tmp / "loo-sharded" / "metrics.jsonl")[0]["dev"].contains("sampled_mrr"));
}
#endif

}  // namespace
}  // namespace rsdist::train
