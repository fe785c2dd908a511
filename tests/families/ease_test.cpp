// EASE through the real command line on synthetic MovieLens ratings split by held-out users
// (Mult-VAE's strong generalisation): the closed-form fit, a lambda sweep that keeps the best dev
// NDCG@100, the metrics of the protocol, `evaluate` and `recommend` from the run directory, an
// invalid lambda named with its origin; under mpirun -np 2 the Gram matrix summed over ranks gives
// one process's B and metrics.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "families/ratings_fixture.hpp"
#include "support/mpi_job.hpp"
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

class Ease : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    corpus_ = rsdist::testing::make_ratings_corpus(
        dir_->path(), 1,
        {"--split", "heldout_users", "--heldout_users", "40", "--implicit_threshold", "4"});
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::vector<std::string> args(const fs::path& out) {
    return {"train", "--model", "ease", "--corpus", corpus_.string(), "--out", out.string()};
  }
  static TempDir* dir_;
  static fs::path corpus_;
};
TempDir* Ease::dir_ = nullptr;
fs::path Ease::corpus_;

TEST_F(Ease, FitsSweepsLambdaEvaluatesAndRecommends) {
  TempDir tmp;
  const auto run = tmp / "run";
  const auto r = run_rsdist(with(args(run), {"--backend", "local", "--ease_lambda", "1,30,3000"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("lambda sweep by dev ndcg100: 1 -> "), std::string::npos) << r.err;
  const auto results = nlohmann::json::parse(read_file(run / "results.json"));
  EXPECT_EQ(results["criterion"]["metric"], "ndcg100");
  for (const char* m : {"recall10", "recall20", "recall50", "ndcg100", "users"}) {
    EXPECT_TRUE(results["test"].contains(m)) << m;
  }
  // Every test user with held-out items (one with fewer than 5 interactions has none).
  const ratings::RatingsCorpus corpus = ratings::read_ratings_corpus(corpus_);
  std::int64_t heldout_users = 0;
  for (std::int64_t u = 0; u < corpus.num_users(); ++u) {
    heldout_users += corpus.parts.at("test_heldout").items_of(u).empty() ? 0 : 1;
  }
  EXPECT_GE(heldout_users, 35);
  EXPECT_EQ(results["test"]["users"], heldout_users);
  // The chosen lambda is the sweep's best: the fit's dev metric is the largest logged.
  const std::string log = r.err;
  const auto chosen = log.find("chosen ");
  ASSERT_NE(chosen, std::string::npos);
  const double dev = read_jsonl(run / "metrics.jsonl")[0]["dev"]["ndcg100"].get<double>();
  for (const char* lambda : {"1 -> ", "30 -> ", "3000 -> "}) {
    const auto at = log.find(lambda);
    ASSERT_NE(at, std::string::npos) << lambda;
    EXPECT_LE(std::stod(log.substr(at + std::string(lambda).size(), 6)), dev + 1e-4) << lambda;
  }
  // B has a zero diagonal; `evaluate` from the run directory gives the run's test metrics.
  const auto model = read_checkpoint_model(run / "checkpoints" / "best").model;
  EXPECT_EQ(model.at("item_weights").diagonal().abs().max().item<double>(), 0.0);
  const auto e = run_rsdist({"evaluate", "--run", run.string(), "--split", "test"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_NEAR(last_json(e.out + e.err)["ndcg100"].get<double>(),
              results["test"]["ndcg100"].get<double>(), 1e-12);
  // Recommendations for a held-out user skip their fold-in items.
  const ratings::RatingsCorpus& c = corpus;
  const auto& foldin = c.parts.at("test_foldin");
  std::int64_t user = 0;
  while (foldin.items_of(user).empty()) ++user;
  rsdist::testing::expect_recommendations_skip_known(run, c, user, foldin.items_of(user), 6, "test");
}

TEST_F(Ease, AnInvalidLambdaIsNamedWithItsOrigin) {
  TempDir tmp;
  const auto r = run_rsdist(with(args(tmp / "run"), {"--backend", "local", "--ease_lambda", "250,x"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("invalid value '250,x' for --ease_lambda (command line): 'x' is not a "
                       "positive number"),
            std::string::npos)
      << r.err;
  EXPECT_FALSE(fs::exists(tmp / "run" / "results.json"));
}

// On a loo corpus with stored candidates EASE also gives the sampled protocol, from the scores of
// the very chunk being evaluated: many small chunks give one chunk's metrics.
TEST(EaseOnLoo, SampledProtocolFromEachChunksOwnScores) {
  TempDir tmp;
  const auto corpus =
      rsdist::testing::make_ratings_corpus(tmp.path(), 1, {"--split", "loo", "--negatives", "99"});
  ASSERT_FALSE(HasFailure());
  nlohmann::json dev[2];
  const char* chunk_users[2] = {"1024", "7"};
  for (int i = 0; i < 2; ++i) {
    const auto run = tmp / ("run" + std::to_string(i));
    const auto r = run_rsdist({"train", "--model", "ease", "--corpus", corpus.string(), "--out",
                               run.string(), "--backend", "local", "--eval_batch_size",
                               chunk_users[i]});
    ASSERT_EQ(r.code, 0) << r.err;
    dev[i] = read_jsonl(run / "metrics.jsonl")[0]["dev"];
  }
  EXPECT_GT(dev[0]["sampled_users"].get<double>(), 200);
  EXPECT_EQ(dev[0]["sampled_users"], dev[0]["users"]);
  for (const char* m : {"sampled_hr10", "sampled_ndcg20", "sampled_mrr", "hr10", "ndcg100"}) {
    EXPECT_NEAR(dev[0][m].get<double>(), dev[1][m].get<double>(), 1e-9) << m;
  }
}

#ifdef RSDIST_MPIEXEC
TEST_F(Ease, TwoRanksSumTheGramMatrixToOneProcesssModel) {
  TempDir tmp;
  const auto one = tmp / "one", two = tmp / "two";
  ASSERT_EQ(run_rsdist(with(args(one), {"--backend", "local"})).code, 0);
  ASSERT_EQ(rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, 2, RSDIST_BINARY_PATH, args(two),
                                         tmp / "two.log"),
            0)
      << read_file(tmp / "two.log");
  EXPECT_NE(read_file(tmp / "two.log").find("on 2 rank(s), backend mpi"), std::string::npos);
  const auto a = read_checkpoint_model(one / "checkpoints" / "best").model.at("item_weights");
  const auto b = read_checkpoint_model(two / "checkpoints" / "best").model.at("item_weights");
  EXPECT_TRUE(a.allclose(b, 1e-5, 1e-6));
  const auto ra = nlohmann::json::parse(read_file(one / "results.json"))["test"];
  const auto rb = nlohmann::json::parse(read_file(two / "results.json"))["test"];
  for (const char* m : {"recall20", "recall50", "ndcg100"}) {
    EXPECT_NEAR(ra[m].get<double>(), rb[m].get<double>(), 1e-6) << m;
  }
  // Evaluation on 2 ranks from the run directory, then recommendations.
  ASSERT_EQ(rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, 2, RSDIST_BINARY_PATH,
                                         {"evaluate", "--run", two.string(), "--split", "test"},
                                         tmp / "eval.log"),
            0)
      << read_file(tmp / "eval.log");
  EXPECT_NEAR(last_json(read_file(tmp / "eval.log"))["ndcg100"].get<double>(),
              rb["ndcg100"].get<double>(), 1e-12);
  EXPECT_EQ(run_rsdist({"recommend", "--run", two.string(), "--k", "3", "--max_users", "2"}).code,
            0);
}
#endif

}  // namespace
}  // namespace rsdist::train
