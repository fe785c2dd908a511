// The NCF families through the real command line on synthetic MovieLens ratings: GMF / MLP /
// NeuMF on a loo corpus with 99 stored negatives (the paper's sampled protocol and full ranking,
// the HR@10 criterion, recommendations, a resumed run equal to an uninterrupted one, NeuMF
// started from a GMF and an MLP run with the paper's fused output layer and plain SGD), the seed's
// explicit NCF on a ratio split (RMSE criterion, lower is better, below the global-mean
// predictor), and under mpirun -np 2 train -> resume -> evaluate equal to one process.
#include <ATen/TensorOperators.h>
#include <ATen/ops/cat.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "families/ratings_fixture.hpp"
#include "support/mpi_job.hpp"
#include "support/mpirun_resume.hpp"
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

// Synthetic u.data -> a ratings corpus with `split` (loo with 99 negatives, or ratio).
fs::path make_corpus(const fs::path& dir, const std::string& split) {
  std::vector<std::string> args = {"--split", split};
  if (split == "loo") args.insert(args.end(), {"--negatives", "99"});
  return rsdist::testing::make_ratings_corpus(dir, 3, args);
}

std::vector<std::string> train_args(const std::string& model, const fs::path& corpus,
                                    const fs::path& out, int epochs) {
  return {"train",    "--model",  model,         "--corpus",
          corpus.string(), "--out", out.string(), "--epochs",
          std::to_string(epochs), "--batch_size", "512", "--loader_threads", "1"};
}

std::map<std::string, at::Tensor> best_model(const fs::path& run) {
  return read_checkpoint_model(run / "checkpoints" / "best").model;
}

class NcfFamilies : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    loo_ = make_corpus(dir_->path() / "loo", "loo");
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
  static fs::path loo_;
};
TempDir* NcfFamilies::dir_ = nullptr;
fs::path NcfFamilies::loo_;

TEST_F(NcfFamilies, NeuMfReportsBothProtocolsChoosesByHitRateAndRecommends) {
  TempDir tmp;
  const auto run = tmp / "neumf";
  const auto r = run_rsdist(with(train_args("neumf", loo_, run, 3), {"--backend", "local"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto records = read_jsonl(run / "metrics.jsonl");
  ASSERT_EQ(records.size(), 4U);  // 3 epochs and the test
  for (const char* m : {"sampled_hr10", "sampled_ndcg10", "sampled_mrr", "hr10", "recall20",
                        "ndcg20", "mrr", "users", "sampled_users"}) {
    EXPECT_TRUE(records[0]["dev"].contains(m)) << m;
  }
  // The training loss falls; the paper's defaults came with the family.
  EXPECT_LT(records[2]["train_loss"].get<double>(), records[0]["train_loss"].get<double>());
  const auto results = nlohmann::json::parse(read_file(run / "results.json"));
  EXPECT_EQ(results["criterion"]["metric"], "sampled_hr10");
  EXPECT_EQ(results["criterion"]["direction"], "higher_is_better");
  EXPECT_TRUE(results["test"].contains("sampled_ndcg10"));
  const std::string ini = read_file(run / "config.ini");
  EXPECT_NE(ini.find("lr = 0.001"), std::string::npos) << ini;
  EXPECT_NE(ini.find("num_negatives = 4"), std::string::npos) << ini;
  // --full_ranking false: the sampled protocol only.
  const auto sampled_only = run_rsdist(with(train_args("gmf", loo_, tmp / "sampled", 1),
                                            {"--backend", "local", "--full_ranking", "false",
                                             "--max_steps_per_epoch", "3"}));
  ASSERT_EQ(sampled_only.code, 0) << sampled_only.err;
  const auto dev = read_jsonl(tmp / "sampled" / "metrics.jsonl")[0]["dev"];
  EXPECT_TRUE(dev.contains("sampled_hr10"));
  EXPECT_FALSE(dev.contains("hr10"));
  // Recommendations skip the user's training items.
  const ratings::RatingsCorpus c = ratings::read_ratings_corpus(loo_);
  rsdist::testing::expect_recommendations_skip_known(run, c, 4, c.parts.at("train").items_of(4), 7);
}

// With Adam (its state checkpointed) and with plain SGD (none to checkpoint).
TEST_F(NcfFamilies, AResumedRunEqualsAnUninterruptedOne) {
  for (const std::string optimizer : {"adam", "sgd"}) {
    TempDir tmp;
    const auto [whole, parts] = rsdist::testing::expect_resume_equals_uninterrupted(
        tmp.path(),
        [&](const fs::path& out, int epochs) {
          return with(train_args("gmf", loo_, out, epochs),
                      {"--backend", "local", "--optimizer", optimizer});
        },
        optimizer);
    ASSERT_FALSE(HasFailure());
    EXPECT_EQ(read_jsonl(whole / "metrics.jsonl")[1]["dev"],
              read_jsonl(parts / "metrics.jsonl")[1]["dev"])
        << optimizer;
  }
}

TEST_F(NcfFamilies, NeuMfStartsFromGmfAndMlpRunsWithTheFusedOutputLayer) {
  TempDir tmp;
  const auto gmf = tmp / "gmf", mlp = tmp / "mlp", fused = tmp / "fused";
  ASSERT_EQ(run_rsdist(with(train_args("gmf", loo_, gmf, 1), {"--backend", "local"})).code, 0);
  ASSERT_EQ(run_rsdist(with(train_args("mlp", loo_, mlp, 1), {"--backend", "local"})).code, 0);
  const auto r = run_rsdist(
      with(train_args("neumf", loo_, fused, 1),
           {"--backend", "local", "--init_from", gmf.string() + "," + mlp.string(), "--optimizer",
            "sgd", "--lr", "0"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto report = nlohmann::json::parse(read_file(fused / "results.json"))["init_from"];
  EXPECT_EQ(report["derived"], (nlohmann::json{"out.bias", "out.weight"}));
  EXPECT_EQ(report["unused"], nlohmann::json::array());
  EXPECT_EQ(report["initial"], nlohmann::json::array());
  EXPECT_EQ(report["checkpoints"].size(), 2U);
  // With lr 0, NeuMF's tensors are the sources' and its output layer 0.5 [h_GMF; h_MLP].
  const auto g = best_model(gmf), m = best_model(mlp), f = best_model(fused);
  EXPECT_TRUE(f.at("gmf_user.weight").equal(g.at("gmf_user.weight")));
  EXPECT_TRUE(f.at("mlp_tower.2.bias").equal(m.at("mlp_tower.2.bias")));
  EXPECT_TRUE(f.at("out.weight").allclose(
      0.5 * at::cat({g.at("gmf_out.weight"), m.at("mlp_out.weight")}, 1)));
  EXPECT_TRUE(f.at("out.bias").allclose(0.5 * (g.at("gmf_out.bias") + m.at("mlp_out.bias"))));
  // A tensor named by two sources is refused.
  const auto twice = run_rsdist(with(train_args("neumf", loo_, tmp / "twice", 1),
                                     {"--backend", "local", "--init_from",
                                      gmf.string() + "," + gmf.string()}));
  EXPECT_EQ(twice.code, 1);
  EXPECT_NE(twice.err.find("tensor 'gmf_item.weight' is in both"), std::string::npos) << twice.err;
}

TEST(NcfExplicit, RegressesRatingsWithRmseAsTheLowerIsBetterCriterion) {
  TempDir tmp;
  const auto ratio = make_corpus(tmp / "ratio", "ratio");
  const auto run = tmp / "ncf";
  const auto r = run_rsdist(with(train_args("ncf", ratio, run, 6), {"--backend", "local"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto results = nlohmann::json::parse(read_file(run / "results.json"));
  EXPECT_EQ(results["criterion"]["metric"], "rmse");
  EXPECT_EQ(results["criterion"]["direction"], "lower_is_better");
  for (const char* m : {"rmse", "mae", "auc", "ratings"}) EXPECT_TRUE(results["test"].contains(m));
  // Better than predicting every rating by the training mean.
  const ratings::RatingsCorpus c = ratings::read_ratings_corpus(ratio);
  double mean = 0, squared = 0;
  for (const float v : c.parts.at("train").ratings) mean += v;
  mean /= static_cast<double>(c.parts.at("train").ratings.size());
  for (const float v : c.parts.at("test").ratings) squared += (v - mean) * (v - mean);
  const double mean_rmse = std::sqrt(squared / static_cast<double>(c.parts.at("test").ratings.size()));
  std::printf("NCF test RMSE %.4f MAE %.4f AUC %.4f; training-mean RMSE %.4f\n",
              results["test"]["rmse"].get<double>(), results["test"]["mae"].get<double>(),
              results["test"]["auc"].get<double>(), mean_rmse);
  EXPECT_LT(results["test"]["rmse"].get<double>(), mean_rmse);
  EXPECT_GT(results["test"]["auc"].get<double>(), 0.55);
  // On an implicit corpus NCF says what it needs.
  const auto implicit = tmp / "implicit";
  ASSERT_EQ(run_rsdist({"preprocess", "ratings", "--input", (tmp / "ratio" / "raw" / "u.data").string(),
                        "--out", implicit.string(), "--split", "ratio", "--implicit_threshold", "4"})
                .code,
            0);
  const auto bad = run_rsdist(with(train_args("ncf", implicit, tmp / "bad", 1), {"--backend", "local"}));
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("--model ncf regresses ratings, but the corpus"), std::string::npos)
      << bad.err;
}

#ifdef RSDIST_MPIEXEC
TEST_F(NcfFamilies, TwoRanksTrainResumeAndEvaluateAsOneProcess) {
  TempDir tmp;
  const auto run = tmp / "run";
  const auto job = [&](int np, const std::vector<std::string>& args, const std::string& tag) {
    return rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, np, RSDIST_BINARY_PATH, args,
                                        tmp / (tag + ".log"));
  };
  ASSERT_EQ(job(2, train_args("neumf", loo_, run, 1), "epoch1"), 0) << read_file(tmp / "epoch1.log");
  auto resume = train_args("neumf", loo_, run, 2);
  resume.push_back("--resume");
  ASSERT_EQ(job(2, resume, "resume"), 0) << read_file(tmp / "resume.log");
  const std::string log = read_file(tmp / "resume.log");
  EXPECT_NE(log.find("on 2 rank(s), backend mpi"), std::string::npos) << log;
  EXPECT_NE(log.find("resumed from"), std::string::npos) << log;
  ASSERT_EQ(job(2, {"evaluate", "--run", run.string(), "--split", "test"}, "eval2"), 0)
      << read_file(tmp / "eval2.log");
  ASSERT_EQ(job(1, {"evaluate", "--run", run.string(), "--split", "test"}, "eval1"), 0)
      << read_file(tmp / "eval1.log");
  const auto two = last_json(read_file(tmp / "eval2.log"));
  const auto one = last_json(read_file(tmp / "eval1.log"));
  for (const char* m : {"sampled_hr10", "hr10", "users", "sampled_users"}) EXPECT_EQ(two[m], one[m]) << m;
  EXPECT_NEAR(two["sampled_ndcg10"].get<double>(), one["sampled_ndcg10"].get<double>(), 1e-12);
  EXPECT_NEAR(two["ndcg20"].get<double>(), one["ndcg20"].get<double>(), 1e-12);
}

// Resumed at the epoch boundary and from a mid-epoch step checkpoint on two ranks: the fresh
// negatives, Adam and the epoch's loss continue bit for bit.
TEST_F(NcfFamilies, ResumeOnTwoRanksIsBitIdenticalAtAnEpochBoundaryAndMidEpoch) {
  TempDir tmp;
  rsdist::testing::MpirunResume m{RSDIST_MPIEXEC, RSDIST_BINARY_PATH};
  m.args = [&](const fs::path& out, int epochs) {
    return with(train_args("neumf", loo_, out, epochs), {"--max_steps_per_epoch", "6"});
  };
  rsdist::testing::expect_mpirun_resume_is_exact(m, tmp.path(), "NeuMF");
}
#endif

}  // namespace
}  // namespace rsdist::train
