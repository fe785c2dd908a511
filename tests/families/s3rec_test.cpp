// S3-Rec and SASRec through the real command line on synthetic sequences with item attributes:
// pretraining (its four losses logged, no evaluation, every N-th epoch kept, the stage's own
// [train] defaults), fine-tuning from a pretraining checkpoint (what --init_from loaded and left
// unused), both evaluation protocols, `evaluate` and `recommend` from the run directory, SASRec
// equal to S3-Rec fine-tuning without --init_from, resumed runs equal to uninterrupted ones in
// both stages, bad input named, and under mpirun -np 2 pretrain -> resume -> fine-tune ->
// evaluate with the metrics of one process.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "data/seq/seq_corpus.hpp"
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

class S3Rec : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    const fs::path raw = dir_->path() / "raw";
    auto r = run_rsdist({"synth", "seq", "--out", raw.string(), "--seq_users", "120",
                         "--seq_items", "150", "--attributes", "12", "--max_length", "14",
                         "--seed", "3"});
    ASSERT_EQ(r.code, 0) << r.err;
    corpus_ = dir_->path() / "corpus";
    r = run_rsdist({"preprocess", "seq", "--input", (raw / "sequences_s3rec.txt").string(),
                    "--attributes", (raw / "item2attributes.json").string(), "--negatives",
                    "30", "--out", corpus_.string()});
    ASSERT_EQ(r.code, 0) << r.err;
    plain_ = dir_->path() / "plain";  // without attributes
    r = run_rsdist({"preprocess", "seq", "--input", (raw / "sequences_s3rec.txt").string(),
                    "--negatives", "30", "--out", plain_.string()});
    ASSERT_EQ(r.code, 0) << r.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  // A small model; pretraining batches of 100 and fine-tuning batches of 256 are the defaults.
  static std::vector<std::string> args(const std::string& model, const fs::path& out, int epochs,
                                       const std::vector<std::string>& extra = {},
                                       const fs::path& corpus = corpus_) {
    return with({"train", "--model", model, "--corpus", corpus.string(), "--out", out.string(),
                 "--epochs", std::to_string(epochs), "--hidden_size", "16", "--max_seq_length",
                 "10", "--loader_threads", "1", "--eval_batch_size", "50"},
                extra);
  }
  static TempDir* dir_;
  static fs::path corpus_, plain_;
};
TempDir* S3Rec::dir_ = nullptr;
fs::path S3Rec::corpus_, S3Rec::plain_;

std::vector<nlohmann::json> epoch_records(const fs::path& run) {
  std::vector<nlohmann::json> out;
  for (auto& record : read_jsonl(run / "metrics.jsonl")) {
    if (record["kind"] == "epoch") out.push_back(std::move(record));
  }
  return out;
}

bool contains(const nlohmann::json& list, const std::string& name) {
  return std::find(list.begin(), list.end(), name) != list.end();
}

TEST_F(S3Rec, PretrainThenFinetuneEvaluatesAndRecommends) {
  TempDir tmp;
  const fs::path pre = tmp / "pre";
  auto r = run_rsdist(args("s3rec", pre, 3, {"--stage", "pretrain", "--keep_every_epochs", "2",
                                              "--backend", "local", "--lr", "0.01"}));
  ASSERT_EQ(r.code, 0) << r.err;
  // The stage's defaults, with their origin; no dev split: "dev not evaluated".
  const std::string config = read_file(pre / "config.ini");
  EXPECT_NE(config.find("batch_size = 100"), std::string::npos) << config;
  EXPECT_NE(config.find("keep_every_epochs = 2"), std::string::npos) << config;
  EXPECT_NE(config.find("s3rec default"), std::string::npos) << config;
  EXPECT_NE(r.err.find("dev not evaluated"), std::string::npos) << r.err;
  const auto records = epoch_records(pre);
  ASSERT_EQ(records.size(), 3u);
  for (const auto& record : records) {
    for (const char* part : {"aap", "mip", "map", "sp"}) {
      EXPECT_GT(record["train_losses"][part].get<double>(), 0) << part;
    }
    EXPECT_FALSE(record.contains("dev"));
  }
  // Pretraining learns: the joint loss falls.
  EXPECT_LT(records[2]["train_loss"].get<double>(), records[0]["train_loss"].get<double>());
  // Epoch 2 kept (every 2nd) besides the newest.
  EXPECT_TRUE(fs::exists(pre / "checkpoints" / "epoch-0002"));
  EXPECT_TRUE(fs::exists(pre / "checkpoints" / "epoch-0003"));
  EXPECT_FALSE(fs::exists(pre / "checkpoints" / "epoch-0001"));
  EXPECT_FALSE(nlohmann::json::parse(read_file(pre / "results.json")).contains("test"));
  r = run_rsdist({"evaluate", "--run", pre.string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("pretraining run cannot be evaluated"), std::string::npos) << r.err;

  const fs::path fine = tmp / "fine";
  r = run_rsdist(args("s3rec", fine, 2,
                      {"--stage", "finetune", "--init_from",
                       (pre / "checkpoints" / "epoch-0002").string(), "--backend", "local",
                       "--metrics_k", "1,5,10,20,31"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const auto results = nlohmann::json::parse(read_file(fine / "results.json"));
  EXPECT_EQ(results["criterion"]["metric"], "sampled_mrr");
  const auto& init = results["init_from"];
  for (const char* loaded : {"item_embeddings.weight", "position_embeddings.weight",
                             "LayerNorm.weight", "item_encoder.layers.1.norm2.bias"}) {
    EXPECT_TRUE(contains(init["loaded"], loaded)) << loaded << init.dump();
  }
  for (const char* unused : {"attribute_embeddings.weight", "aap_norm.weight", "sp_norm.bias"}) {
    EXPECT_TRUE(contains(init["unused"], unused)) << unused << init.dump();
  }
  EXPECT_TRUE(init["initial"].empty()) << init.dump();
  for (const char* m : {"sampled_hr1", "sampled_hr10", "sampled_ndcg10", "sampled_mrr", "hr10",
                        "ndcg20", "mrr"}) {
    EXPECT_TRUE(results["test"].contains(m)) << m;
  }
  EXPECT_EQ(results["test"]["sampled_users"].get<double>(), 120);
  EXPECT_EQ(results["test"]["users"].get<double>(), 120);
  // The held-out item is among the 1 + 30 candidates.
  EXPECT_EQ(results["test"]["sampled_hr31"].get<double>(), 1.0);
  r = run_rsdist({"evaluate", "--run", fine.string(), "--split", "test"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NEAR(last_json(r.out + r.err)["sampled_mrr"].get<double>(),
              results["test"]["sampled_mrr"].get<double>(), 1e-12);

  // Recommendations for the first user skip the items of their test prefix (items[:-1]).
  const seq::SeqCorpus c = seq::read_seq_corpus(corpus_);
  const auto s = c.sequences.sequence(0);
  r = run_rsdist({"recommend", "--run", fine.string(), "--split", "test", "--users",
                  std::to_string(c.sequences.users[0]), "--k", "5"});
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream line(r.out);
  std::string name, field;
  line >> name;
  EXPECT_EQ(name, std::to_string(c.sequences.users[0]));
  int n = 0;
  for (; line >> field; ++n) {
    const int item = std::stoi(field.substr(0, field.find(':')));
    EXPECT_EQ(std::find(s.begin(), s.end() - 1, item), s.end() - 1) << item;
  }
  EXPECT_EQ(n, 5);
}

// SASRec is S3-Rec's fine-tuning without pretraining, registered as its own model.
TEST_F(S3Rec, SasrecIsFinetuningWithoutPretraining) {
  TempDir tmp;
  ASSERT_EQ(run_rsdist(args("sasrec", tmp / "sasrec", 1, {"--backend", "local"})).code, 0);
  ASSERT_EQ(run_rsdist(args("s3rec", tmp / "fine", 1, {"--stage", "finetune", "--backend", "local"}))
                .code,
            0);
  const auto a = read_checkpoint_model(tmp / "sasrec" / "checkpoints" / checkpoint_name(1)).model;
  const auto b = read_checkpoint_model(tmp / "fine" / "checkpoints" / checkpoint_name(1)).model;
  ASSERT_EQ(a.size(), b.size());
  for (const auto& [name, tensor] : a) EXPECT_TRUE(b.count(name) && tensor.equal(b.at(name))) << name;
  EXPECT_EQ(a.count("aap_norm.weight"), 0u);
}

// Masks, segments and negatives come from (seed, epoch, sample): a resumed run is the same run.
TEST_F(S3Rec, AResumedRunEqualsAnUninterruptedOneInBothStages) {
  for (const std::string stage : {"pretrain", "finetune"}) {
    TempDir tmp;
    rsdist::testing::expect_resume_equals_uninterrupted(
        tmp.path(),
        [&](const fs::path& out, int epochs) {
          return args("s3rec", out, epochs, {"--stage", stage, "--backend", "local"});
        },
        stage);
  }
}

TEST_F(S3Rec, BadInputIsNamed) {
  TempDir tmp;
  auto r = run_rsdist(
      args("s3rec", tmp / "a", 1, {"--stage", "pretrain", "--backend", "local"}, plain_));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("needs item attributes; preprocess the corpus with `rsdist preprocess seq "
                       "--attributes"),
            std::string::npos)
      << r.err;
  r = run_rsdist(args("sasrec", tmp / "b", 1, {"--stage", "pretrain", "--backend", "local"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--stage pretrain (command line) applies to --model s3rec only"),
            std::string::npos)
      << r.err;
  r = run_rsdist(args("s3rec", tmp / "c", 1, {"--stage", "warmup", "--backend", "local"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("stage"), std::string::npos) << r.err;
  // Fine-tuning needs no attributes, and a corpus without negatives is judged by full ranking.
  r = run_rsdist(args("sasrec", tmp / "d", 1, {"--backend", "local"}, plain_));
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "a" / "results.json"));
}

#ifdef RSDIST_MPIEXEC
TEST_F(S3Rec, TwoRanksPretrainResumeFinetuneAndEvaluate) {
  TempDir tmp;
  const auto job = [&](int np, const std::vector<std::string>& a, const std::string& tag) {
    return rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, np, RSDIST_BINARY_PATH, a,
                                        tmp / (tag + ".log"));
  };
  const fs::path pre = tmp / "pre", fine = tmp / "fine";
  ASSERT_EQ(job(2, args("s3rec", pre, 1, {"--stage", "pretrain"}), "pre1"), 0)
      << read_file(tmp / "pre1.log");
  ASSERT_EQ(job(2, args("s3rec", pre, 2, {"--stage", "pretrain", "--resume"}), "pre2"), 0)
      << read_file(tmp / "pre2.log");
  const std::string log = read_file(tmp / "pre2.log");
  EXPECT_NE(log.find("on 2 rank(s), backend mpi"), std::string::npos) << log;
  EXPECT_NE(log.find("resumed from"), std::string::npos) << log;
  ASSERT_EQ(epoch_records(pre).size(), 2u);
  ASSERT_EQ(job(2, args("s3rec", fine, 1, {"--stage", "finetune", "--init_from", pre.string()}),
                "fine"),
            0)
      << read_file(tmp / "fine.log");
  ASSERT_EQ(job(2, {"evaluate", "--run", fine.string(), "--split", "test"}, "eval2"), 0)
      << read_file(tmp / "eval2.log");
  ASSERT_EQ(job(1, {"evaluate", "--run", fine.string(), "--split", "test"}, "eval1"), 0)
      << read_file(tmp / "eval1.log");
  const auto two = last_json(read_file(tmp / "eval2.log"));
  const auto one = last_json(read_file(tmp / "eval1.log"));
  for (const char* m : {"sampled_hr10", "sampled_ndcg10", "sampled_mrr", "hr10", "ndcg20"}) {
    EXPECT_NEAR(two[m].get<double>(), one[m].get<double>(), 1e-12) << m;
  }
  EXPECT_EQ(two["users"], one["users"]);
}

// Pretraining (masks, false segments, dropout) and SASRec fine-tuning on two ranks: resumed at the
// epoch boundary and from a mid-epoch step checkpoint, bit for bit the uninterrupted run.
TEST_F(S3Rec, ResumeOnTwoRanksIsBitIdenticalInBothStages) {
  TempDir tmp;
  rsdist::testing::MpirunResume m{RSDIST_MPIEXEC, RSDIST_BINARY_PATH};
  m.args = [](const fs::path& out, int epochs) {
    return args("s3rec", out, epochs,
                {"--stage", "pretrain", "--batch_size", "32", "--max_steps_per_epoch", "6"});
  };
  rsdist::testing::expect_mpirun_resume_is_exact(m, tmp / "pretrain", "S3-Rec pretraining");
  m.args = [](const fs::path& out, int epochs) {
    return args("sasrec", out, epochs, {"--batch_size", "16"});
  };
  m.stop_step = 2;
  rsdist::testing::expect_mpirun_resume_is_exact(m, tmp / "sasrec", "SASRec");
}
// --shard_items: S3-Rec's item table (the mask id its last row) and its Adam state row-sharded;
// pretraining on 2 ranks, fine-tuning from it on 3 (the shards of 2 ranks read by 3) and SASRec on
// 2 train as the replicated model does, judged the same by the sampled protocol and full ranking.
TEST_F(S3Rec, ShardedItemTableTrainsAsTheReplicatedTable) {
  TempDir tmp;
  const auto job = [&](int np, const std::vector<std::string>& a, const std::string& tag) {
    ASSERT_EQ(rsdist::testing::run_mpi_job(RSDIST_MPIEXEC, np, RSDIST_BINARY_PATH, a,
                                           tmp / (tag + ".log")),
              0)
        << read_file(tmp / (tag + ".log"));
  };
  for (const std::string mode : {"false", "true"}) {
    const std::vector<std::string> shard = {"--shard_items", mode, "--max_steps_per_epoch", "4",
                                            "--tensorboard", "false"};
    job(2, args("s3rec", tmp / ("pre-" + mode), 1, with({"--stage", "pretrain", "--batch_size", "32"}, shard)),
        "pre-" + mode);
    job(3, args("s3rec", tmp / ("fine-" + mode), 1,
                with({"--stage", "finetune", "--batch_size", "16", "--init_from",
                      (tmp / ("pre-" + mode)).string()}, shard)),
        "fine-" + mode);
    job(2, args("sasrec", tmp / ("sasrec-" + mode), 1, with({"--batch_size", "16"}, shard)),
        "sasrec-" + mode);
  }
  rsdist::testing::expect_same_training(tmp / "pre-false", tmp / "pre-true", "pretraining", 1);
  rsdist::testing::expect_same_training(tmp / "fine-false", tmp / "fine-true", "fine-tuning", 1);
  rsdist::testing::expect_same_training(tmp / "sasrec-false", tmp / "sasrec-true", "SASRec", 1);
  EXPECT_TRUE(epoch_records(tmp / "fine-true").front()["dev"].contains("sampled_mrr"));
}
#endif

}  // namespace
}  // namespace rsdist::train
