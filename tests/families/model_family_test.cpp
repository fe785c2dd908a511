// Model families as plugins, through the toy family that lives only in toy_family.cpp (nothing
// outside that file knows it): the registry derives --model, --help and the defaults; the trainer
// trains, resumes bit for bit (model and task state), evaluates and recommends it; --init_from
// loads what matches and reports the rest.
#include "train/model_family.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "app/cli_runner.hpp"
#include "data/seq/seq_corpus.hpp"
#include "support/error_of.hpp"
#include "support/run_records.hpp"
#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"
#include "train/gcl4sr_fixture.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::error_of;
using rsdist::testing::read_jsonl;
using rsdist::testing::run_rsdist;
using rsdist::testing::TempDir;
using rsdist::testing::with;

class ToyFamily : public rsdist::testing::SmallSequenceCorpusSuite {
 protected:
  static std::vector<std::string> args(const fs::path& out, int epochs) {
    return {"train",
            "--model",
            "toy",
            "--corpus",
            corpus_.string(),
            "--out",
            out.string(),
            "--epochs",
            std::to_string(epochs),
            "--backend",
            "local",
            "--seed",
            "11",
            "--early_stopping_patience",
            "5"};
  }
};

TEST(ModelFamilies, TheRegistryKnowsEveryFamilyLinkedIn) {
  std::vector<std::string> names;
  for (const ModelFamily* f : model_families()) names.push_back(f->name);
  EXPECT_EQ(names, (std::vector<std::string>{"ease", "gcl4sr", "gmf", "mlp", "multvae", "naml",
                                             "ncf", "neumf", "pop", "s3rec", "sasrec", "toy"}));
  const std::string message = error_of([] { model_family("bpr"); });
  EXPECT_NE(message.find("--model bpr: no such model family (registered: ease, gcl4sr, gmf, mlp, "
                         "multvae, naml, ncf, neumf, pop, s3rec, sasrec, toy)"),
            std::string::npos)
      << message;
  EXPECT_NE(error_of([] { register_model_family(model_family("toy")); }).find("registered twice"),
            std::string::npos);
}

TEST(ModelFamilies, MetricPatternsAndDirections) {
  ModelFamily f;
  f.metrics = {{"ndcg@"}, {"rmse", Direction::kLowerIsBetter}};
  EXPECT_EQ(metric_direction(f, "ndcg100"), Direction::kHigherIsBetter);
  EXPECT_EQ(metric_direction(f, "rmse"), Direction::kLowerIsBetter);
  EXPECT_FALSE(metric_direction(f, "ndcg").has_value());
  EXPECT_FALSE(metric_direction(f, "ndcg0").has_value());
  EXPECT_FALSE(metric_direction(f, "ndcg10x").has_value());
  EXPECT_FALSE(metric_direction(f, "auc").has_value());
}

TEST_F(ToyFamily, OptionsHelpAndDefaultsComeFromTheFamily) {
  const auto help = run_rsdist({"train", "--help"});
  EXPECT_NE(help.out.find("[toy]"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--toy_dim"), std::string::npos);
  EXPECT_NE(help.out.find("ease|gcl4sr|gmf|mlp|multvae|naml|ncf|neumf|pop|s3rec|sasrec|toy"), std::string::npos) << help.out;
  const auto config = run_rsdist(with(args("o", 1), {"--print_config"}));
  ASSERT_EQ(config.code, 0) << config.err;
  // The resolved line of `key` in --print_config's output.
  const auto line_of = [&](const std::string& key) {
    std::istringstream lines(config.out);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(key + " = ", 0) == 0) return line;
    }
    return std::string();
  };
  EXPECT_NE(line_of("lr").find("0.05"), std::string::npos) << config.out;
  EXPECT_NE(line_of("lr").find("# toy default"), std::string::npos) << config.out;
  EXPECT_NE(line_of("batch_size").find("# toy default"), std::string::npos);
  EXPECT_NE(line_of("toy_dim").find("# default"), std::string::npos);
  EXPECT_NE(line_of("epochs").find("# command line"), std::string::npos);
  // A metric the family does not report is refused before training, naming where it came from.
  TempDir tmp;
  const auto bad = run_rsdist(with(args(tmp / "run", 1), {"--validation_metric", "auc"}));
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("--validation_metric auc (command line): the toy model reports no such "
                         "metric"),
            std::string::npos)
      << bad.err;
}

TEST_F(ToyFamily, TrainsResumesEvaluatesAndRecommends) {
  TempDir tmp;
  const auto straight = tmp / "straight", resumed = tmp / "resumed";
  const std::vector<std::string> k = {"--metrics_k", "5,50", "--validation_metric", "ndcg50"};
  const auto r = run_rsdist(with(args(straight, 3), k));
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(run_rsdist(with(args(resumed, 1), k)).code, 0);
  const auto again = run_rsdist(with(args(resumed, 3), with(k, {"--resume"})));
  ASSERT_EQ(again.code, 0) << again.err;  // the task checks the plan's step against its state

  const auto a = read_jsonl(straight / "metrics.jsonl"), b = read_jsonl(resumed / "metrics.jsonl");
  ASSERT_EQ(a.size(), 4u);  // three epochs and the test evaluation
  ASSERT_EQ(a.size(), b.size());
  for (std::size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(a[e]["train_loss"], b[e]["train_loss"]) << e;
    EXPECT_EQ(a[e]["dev"], b[e]["dev"]) << e;
    for (const char* m :
         {"hr5", "recall5", "ndcg5", "hr50", "recall50", "ndcg50", "mrr", "users"}) {
      EXPECT_TRUE(a[e]["dev"].contains(m)) << m;
    }
  }
  EXPECT_EQ(a[0]["dev"]["users"].get<double>(), 200.0);
  const auto sa = read_checkpoint(straight / "checkpoints" / checkpoint_name(3));
  const auto sb = read_checkpoint(resumed / "checkpoints" / checkpoint_name(3));
  for (const auto& [name, tensor] : sa.model) EXPECT_TRUE(tensor.equal(sb.model.at(name))) << name;
  ASSERT_EQ(sa.task.size(), 2u);
  EXPECT_EQ(sa.task.at("steps").item<std::int64_t>(), sa.global_step);
  EXPECT_TRUE(sa.task.at("ema_loss").equal(sb.task.at("ema_loss")));
  EXPECT_GT(sa.task.at("ema_loss").item<double>(), 0.0);

  // evaluate reproduces the trainer's dev metrics of the best epoch; recommend skips the prefix.
  const auto results = nlohmann::json::parse(rsdist::testing::read_file(straight / "results.json"));
  EXPECT_EQ(results["criterion"]["metric"], "ndcg50");
  const int best = a[2]["best_epoch"].get<int>();
  const auto ev = run_rsdist({"evaluate", "--run", straight.string(), "--split", "dev"});
  ASSERT_EQ(ev.code, 0) << ev.err;
  EXPECT_EQ(nlohmann::json::parse(ev.out)["ndcg50"],
            a[static_cast<std::size_t>(best - 1)]["dev"]["ndcg50"]);
  const seq::SeqCorpus corpus = seq::read_seq_corpus(corpus_);
  const std::string user = std::to_string(corpus.sequences.users[3]);
  const auto rec = run_rsdist(
      {"recommend", "--run", straight.string(), "--split", "test", "--users", user, "--k", "6"});
  ASSERT_EQ(rec.code, 0) << rec.err;
  std::istringstream line(rec.out);
  std::string name, item;
  line >> name;
  EXPECT_EQ(name, user);
  const auto seq3 = corpus.sequences.sequence(3);
  int items = 0;
  while (line >> item) {
    const int id = std::stoi(item.substr(0, item.find(':')));
    EXPECT_EQ(std::find(seq3.begin(), seq3.end() - 1, id), seq3.end() - 1) << id;
    ++items;
  }
  EXPECT_EQ(items, 6);
}

// `rsdist inspect` on a run directory verifies every checkpoint whole and says what --resume would
// take; on a checkpoint, that one; a damaged file is named and the exit status is 1.
TEST_F(ToyFamily, InspectVerifiesARunsCheckpointsAndNamesADamagedFile) {
  TempDir tmp;
  const auto run = tmp / "run";
  ASSERT_EQ(run_rsdist(with(args(run, 2), {"--keep_checkpoints", "2"})).code, 0);
  auto r = run_rsdist({"inspect", run.string()});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("epoch-0002: verified; epoch 2, step"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("saved by 1 rank(s)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--resume would continue from epoch-0002"), std::string::npos) << r.out;
  const auto model = run / "checkpoints" / checkpoint_name(2) / "model.pt";
  std::string bytes = rsdist::testing::read_file(model);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 1);
  std::ofstream(model, std::ios::binary | std::ios::trunc) << bytes;
  r = run_rsdist({"inspect", run.string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("epoch-0002: DAMAGED: "), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("model.pt"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("--resume would continue from epoch-0001"), std::string::npos) << r.out;
  r = run_rsdist({"inspect", (run / "checkpoints" / checkpoint_name(1)).string()});
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  fs::remove(run / "checkpoints" / checkpoint_name(1) / "task.pt");
  r = run_rsdist({"inspect", run.string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.out.find("--resume would stop: no checkpoint verifies"), std::string::npos) << r.out;
}

TEST_F(ToyFamily, InitFromLoadsWhatMatchesAndReportsTheRest) {
  TempDir tmp;
  const auto stage1 = tmp / "stage1", stage2 = tmp / "stage2", back = tmp / "back";
  ASSERT_EQ(run_rsdist(args(stage1, 1)).code, 0);
  // Stage 2 adds a head: the factors come from stage 1, the head starts fresh.
  const auto r =
      run_rsdist(with(args(stage2, 1), {"--toy_head", "true", "--init_from", stage1.string()}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("loaded 2 tensor(s) [item_factors, user_factors]; derived []; left at "
                       "initial values [head_weight]; not used []"),
            std::string::npos)
      << r.err;
  const auto report =
      nlohmann::json::parse(rsdist::testing::read_file(stage2 / "results.json"))["init_from"];
  EXPECT_EQ(report["loaded"], (nlohmann::json{"item_factors", "user_factors"}));
  EXPECT_EQ(report["initial"], (nlohmann::json{"head_weight"}));
  EXPECT_EQ(report["unused"], nlohmann::json::array());
  EXPECT_EQ(fs::path(report["checkpoints"][0].get<std::string>()).filename(), "epoch-0001");
  // A checkpoint directory works as well, and what the model lacks is reported as unused.
  const auto best2 = stage2 / "checkpoints" / "best";
  const auto b = run_rsdist(with(args(back, 1), {"--init_from", best2.string()}));
  ASSERT_EQ(b.code, 0) << b.err;
  const auto back_report =
      nlohmann::json::parse(rsdist::testing::read_file(back / "results.json"))["init_from"];
  EXPECT_EQ(back_report["unused"], (nlohmann::json{"head_weight"}));
  EXPECT_EQ(back_report["initial"], nlohmann::json::array());
  // A matching name with another shape is an error naming the tensor.
  const auto mismatch =
      run_rsdist(with(args(tmp / "wide", 1), {"--toy_dim", "4", "--init_from", stage1.string()}));
  EXPECT_EQ(mismatch.code, 1);
  const std::string items = std::to_string(seq::read_seq_corpus(corpus_).graph.num_nodes);
  EXPECT_NE(mismatch.err.find("'item_factors' has shape " + items +
                              "x8 but the model (as "
                              "configured) has " +
                              items + "x4"),
            std::string::npos)
      << mismatch.err;
  EXPECT_FALSE(fs::exists(tmp / "wide" / "results.json"));
}

}  // namespace
}  // namespace rsdist::train
