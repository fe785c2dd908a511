// `--model pop`, the most-popular baseline as a closed-form family: the trainer fits it (no
// optimizer, no epochs), evaluates it like every other family and it recommends; its figures equal
// the independent computation of tests/support/popularity_baselines.hpp on sequences and MIND,
// interaction matrices, and under mpirun -np 2 the counts equal one process exactly (and the
// metrics to rounding).
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli_runner.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "families/ratings_fixture.hpp"
#include "support/mpi_job.hpp"
#include "support/popularity_baselines.hpp"
#include "support/run_records.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"
#include "train/gcl4sr_fixture.hpp"
#include "train/naml_fixture.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::read_file;
using rsdist::testing::read_jsonl;
using rsdist::testing::run_rsdist;
using rsdist::testing::TempDir;

std::vector<std::string> pop_args(const fs::path& corpus, const fs::path& out) {
  return {"train", "--model", "pop", "--corpus", corpus.string(), "--out", out.string()};
}

TEST(Pop, OnSequencesIsTheMostPopularBaselineFittedInClosedForm) {
  TempDir tmp;
  const auto corpus = rsdist::testing::make_gcl4sr_corpus(tmp.path());
  const auto run = tmp / "run";
  const auto r = run_rsdist(rsdist::testing::with(pop_args(corpus, run), {"--backend", "local"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto records = read_jsonl(run / "metrics.jsonl");
  ASSERT_EQ(records.size(), 2u);  // the fit and the test evaluation
  EXPECT_EQ(records[0]["kind"], "fit");
  EXPECT_EQ(records[0]["best_epoch"], 1);
  EXPECT_FALSE(records[0].contains("train_loss"));
  const auto [hr20, ndcg20] = rsdist::testing::popularity_baseline(corpus);
  EXPECT_DOUBLE_EQ(records[0]["dev"]["hr20"].get<double>(), hr20);
  EXPECT_NEAR(records[0]["dev"]["ndcg20"].get<double>(), ndcg20, 1e-12);
  EXPECT_EQ(records[1]["kind"], "test");
  // A closed-form checkpoint has the model (the counts) and no optimizer state.
  const CheckpointState state = read_checkpoint(run / "checkpoints" / checkpoint_name(1));
  EXPECT_TRUE(state.optimizer.empty());
  EXPECT_EQ(state.global_step, 0);
  ASSERT_TRUE(state.model.count("item_counts"));
  const auto counts = state.model.at("item_counts");
  EXPECT_EQ(
      counts.sum().item<double>(),
      static_cast<double>(seq::read_seq_corpus(corpus).splits.all_train_sequences.items.size()));

  // evaluate gives the same; recommend lists the most counted items the user has not seen.
  const auto ev = run_rsdist({"evaluate", "--run", run.string(), "--split", "dev"});
  ASSERT_EQ(ev.code, 0) << ev.err;
  EXPECT_EQ(nlohmann::json::parse(ev.out)["ndcg20"], records[0]["dev"]["ndcg20"]);
  const auto rec = run_rsdist({"recommend", "--run", run.string(), "--k", "3", "--max_users", "1"});
  ASSERT_EQ(rec.code, 0) << rec.err;
  std::istringstream line(rec.out);
  std::string user, field;
  line >> user;
  double previous = 1e300;
  int n = 0;
  while (line >> field) {
    const auto colon = field.find(':');
    const int item = std::stoi(field.substr(0, colon));
    const double score = std::stod(field.substr(colon + 1));
    EXPECT_DOUBLE_EQ(score, counts[item].item<double>());
    EXPECT_LE(score, previous);
    previous = score;
    ++n;
  }
  EXPECT_EQ(n, 3);
  // A resume finds the fit done: it only evaluates test again.
  const auto resumed =
      run_rsdist(rsdist::testing::with(pop_args(corpus, run), {"--backend", "local", "--resume"}));
  ASSERT_EQ(resumed.code, 0) << resumed.err;
  EXPECT_EQ(read_jsonl(run / "metrics.jsonl").size(), 2u);
}

// With stored negatives (S3-Rec's protocol), the held-out item against its row's candidates, each
// scored by its count.
TEST(Pop, OnSequencesWithStoredNegativesGivesTheSampledProtocol) {
  TempDir tmp;
  ASSERT_EQ(run_rsdist({"synth", "seq", "--out", (tmp / "raw").string(), "--seq_users", "60",
                        "--seq_items", "120", "--seed", "2"})
                .code,
            0);
  const auto corpus = tmp / "corpus";
  ASSERT_EQ(run_rsdist({"preprocess", "seq", "--input", (tmp / "raw" / "sequences.txt").string(),
                        "--negatives", "20", "--out", corpus.string()})
                .code,
            0);
  const auto run = tmp / "run";
  const auto r = run_rsdist(rsdist::testing::with(
      pop_args(corpus, run), {"--backend", "local", "--metrics_k", "1,21"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto test = read_jsonl(run / "metrics.jsonl")[1]["test"];
  EXPECT_EQ(test["sampled_users"].get<double>(), 60);
  EXPECT_EQ(test["sampled_hr21"].get<double>(), 1.0);  // 1 + 20 candidates
  // HR@1 by hand: the target's count above every negative's; a tie is settled by the evaluator's
  // deterministic order, so HR@1 lies between "strictly above" and "above or tied".
  const seq::SeqCorpus c = seq::read_seq_corpus(corpus);
  const auto counts = read_checkpoint(run / "checkpoints" / checkpoint_name(1)).model.at("item_counts");
  int above = 0, tied = 0;
  for (std::size_t u = 0; u < c.splits.test.size(); ++u) {
    const double t = counts[c.splits.test.targets[u]].item<double>();
    double best = -1;
    for (const std::int32_t n : c.negatives_of(static_cast<std::size_t>(c.splits.test.rows[u]))) {
      best = std::max(best, counts[n].item<double>());
    }
    above += t > best;
    tied += t == best;
  }
  EXPECT_GE(test["sampled_hr1"].get<double>() * 60, above - 1e-9);
  EXPECT_LE(test["sampled_hr1"].get<double>() * 60, above + tied + 1e-9);
}

TEST(Pop, OnMindScoresCandidatesByTheirTrainingClicks) {
  TempDir tmp;
  const auto corpus = rsdist::testing::make_naml_corpus(tmp.path());
  const auto run = tmp / "run";
  const auto r = run_rsdist(rsdist::testing::with(pop_args(corpus, run), {"--backend", "local"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto records = read_jsonl(run / "metrics.jsonl");
  // auto means AUC on MIND.
  EXPECT_EQ(nlohmann::json::parse(read_file(run / "results.json"))["criterion"]["metric"], "auc");
  EXPECT_NEAR(records[0]["dev"]["auc"].get<double>(), rsdist::testing::popularity_auc(corpus),
              1e-12);
  const auto prediction = tmp / "prediction.txt";
  const auto ev = run_rsdist(
      {"evaluate", "--run", run.string(), "--split", "dev", "--prediction", prediction.string()});
  ASSERT_EQ(ev.code, 0) << ev.err;
  EXPECT_TRUE(fs::exists(prediction));
  const auto rec = run_rsdist({"recommend", "--run", run.string(), "--k", "4", "--max_users", "2"});
  ASSERT_EQ(rec.code, 0) << rec.err;
  EXPECT_EQ(std::count(rec.out.begin(), rec.out.end(), '\n'), 2);
}

// Sampled HR@10 and NDCG@10 of ranking each user's held-out item against its stored negatives by
// training counts, ties against the positive: the NCF protocol computed on the host.
std::pair<double, double> sampled_popularity(const ratings::RatingsCorpus& corpus) {
  std::vector<double> count(static_cast<std::size_t>(corpus.num_items()), 0.0);
  for (const std::int32_t item : corpus.parts.at("train").items)
    count[static_cast<std::size_t>(item)] += 1;
  const auto& valid = corpus.parts.at("valid");
  const std::int64_t n = corpus.negatives_per_user;
  double hits = 0, ndcg = 0, users = 0;
  for (std::int64_t u = 0; u < corpus.num_users(); ++u) {
    if (valid.items_of(u).empty()) continue;
    const double positive = count[static_cast<std::size_t>(valid.items_of(u)[0])];
    std::int64_t rank = 0;
    for (std::int64_t j = 0; j < n; ++j) {
      const auto negative = corpus.valid_negatives[static_cast<std::size_t>(u * n + j)];
      rank += count[static_cast<std::size_t>(negative)] >= positive ? 1 : 0;
    }
    users += 1;
    if (rank < 10) {
      hits += 1;
      ndcg += 1.0 / std::log2(static_cast<double>(rank) + 2.0);
    }
  }
  return {hits / users, ndcg / users};
}

TEST(Pop, OnRatingsGivesFullRankingAndTheSampledProtocol) {
  TempDir tmp;
  const auto corpus =
      rsdist::testing::make_ratings_corpus(tmp.path(), 4, {"--split", "loo", "--negatives", "99"});
  ASSERT_FALSE(HasFailure());
  const auto run = tmp / "run";
  const auto r = run_rsdist(
      rsdist::testing::with(pop_args(corpus, run), {"--backend", "local", "--metrics_k", "10"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto dev = read_jsonl(run / "metrics.jsonl")[0]["dev"];
  const ratings::RatingsCorpus c = ratings::read_ratings_corpus(corpus);
  const auto [hr10, ndcg10] = sampled_popularity(c);
  EXPECT_DOUBLE_EQ(dev["sampled_hr10"].get<double>(), hr10);
  EXPECT_NEAR(dev["sampled_ndcg10"].get<double>(), ndcg10, 1e-12);
  EXPECT_GT(hr10, 0.1);  // the case has hits to compare
  for (const char* m : {"hr10", "recall10", "ndcg10", "mrr", "sampled_mrr", "sampled_users"}) {
    EXPECT_TRUE(dev.contains(m)) << m;
  }
  EXPECT_EQ(dev["users"], dev["sampled_users"]);
  // Recommendations name the input's ids and skip what the user rated in training.
  rsdist::testing::expect_recommendations_skip_known(run, c, 5, c.parts.at("train").items_of(5), 5);
}

#ifdef RSDIST_MPIEXEC
TEST(Pop, TwoRanksGiveOneProcesssFigures) {
  TempDir tmp;
  const auto seq_corpus = rsdist::testing::make_gcl4sr_corpus(tmp / "seq");
  const auto mind_corpus = rsdist::testing::make_naml_corpus(tmp / "mind");
  const auto ratings_corpus =
      rsdist::testing::make_ratings_corpus(tmp / "ratings", 1, {"--split", "loo"});
  ASSERT_FALSE(HasFailure());
  for (const auto& corpus : {seq_corpus, mind_corpus, ratings_corpus}) {
    const auto one = tmp / (corpus.parent_path().filename().string() + "-one");
    const auto two = tmp / (corpus.parent_path().filename().string() + "-two");
    ASSERT_EQ(run_rsdist(rsdist::testing::with(pop_args(corpus, one), {"--backend", "local"})).code,
              0);
    ASSERT_EQ(rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, 2, RSDIST_BINARY_PATH,
                                           pop_args(corpus, two), tmp / "two.log"),
              0)
        << read_file(tmp / "two.log");
    const auto a = read_jsonl(one / "metrics.jsonl"), b = read_jsonl(two / "metrics.jsonl");
    ASSERT_EQ(a.size(), b.size());
    // Counts are exact; averages of sums that ranks add in another order agree to rounding.
    for (const auto& [name, value] : a[0]["dev"].items()) {
      EXPECT_NEAR(value.get<double>(), b[0]["dev"][name].get<double>(), 1e-12) << name << corpus;
    }
    const auto ma = read_checkpoint_model(one / "checkpoints" / "best").model;
    const auto mb = read_checkpoint_model(two / "checkpoints" / "best").model;
    EXPECT_TRUE(ma.at("item_counts").equal(mb.at("item_counts")));
  }
}
#endif

}  // namespace
}  // namespace rsdist::train
