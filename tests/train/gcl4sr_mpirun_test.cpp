// The GCL4SR pipeline under real mpirun: synthetic sequences -> preprocess seq -> GCL4SR on 2
// ranks for 1 epoch -> --resume for 3 more (a second job) -> `rsdist evaluate` on 2 ranks equal to
// the single-process evaluation -> dev HR@20 and NDCG@20 well above the most-popular baseline.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <sstream>
#include <nlohmann/json.hpp>

#include "data/seq/seq_corpus.hpp"
#include "support/mpi_job.hpp"
#include "support/mpirun_resume.hpp"
#include "support/popularity_baselines.hpp"
#include "support/run_records.hpp"
#include "support/sharded_runs.hpp"
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

// --shard_items: GCL4SR's item table, its Adam state and the full softmax row-sharded over the
// ranks train as the replicated model does on 2 and 3 ranks (losses and dev metrics of every
// epoch, the final parameters, the test metrics of the best checkpoint); a sharded run saved on 2
// ranks resumes on 3 as the replicated one does; evaluate and recommend read the shards on any
// number of ranks.
TEST(Gcl4srMpirun, ShardedItemTableTrainsAsTheReplicatedTableOnTwoAndThreeRanks) {
  TempDir tmp;
  const fs::path corpus = rsdist::testing::make_gcl4sr_corpus(tmp.path(), 200, 200, 10);
  const auto args = [&](const fs::path& out, int epochs, bool sharded) {
    std::vector<std::string> a = rsdist::testing::gcl4sr_train_args(corpus, out, epochs, 16);
    const auto clip = std::find(a.begin(), a.end(), "--grad_clip");
    if (clip != a.end()) *(clip + 1) = "1";  // the global norm over every shard is clipped
    return rsdist::testing::with(a, {"--max_steps_per_epoch", "6", "--tensorboard", "false",
                                     "--shard_items", sharded ? "true" : "false"});
  };
  const auto expect_same_run = [](const fs::path& replicated, const fs::path& sharded,
                                  const std::string& label) {
    rsdist::testing::expect_same_training(replicated, sharded, label, 2);
  };
  for (const int np : {2, 3}) {
    const std::string n = std::to_string(np);
    for (const bool sharded : {false, true}) {
      const std::string tag = (sharded ? "sharded" : "replicated") + n;
      ASSERT_EQ(run_job(tmp, np, args(tmp / tag, 2, sharded), tag), 0) << read_file(tmp / (tag + ".log"));
    }
    expect_same_run(tmp / ("replicated" + n), tmp / ("sharded" + n), n + " ranks");
  }
  EXPECT_TRUE(fs::exists(tmp / "sharded2" / "checkpoints" / checkpoint_name(2) /
                         table_shard_name(1, 2)));

  // Saved on 2 ranks, resumed on 3.
  for (const bool sharded : {false, true}) {
    const std::string tag = sharded ? "resumed-sharded" : "resumed-replicated";
    ASSERT_EQ(run_job(tmp, 2, args(tmp / tag, 1, sharded), tag + "1"), 0)
        << read_file(tmp / (tag + "1.log"));
    ASSERT_EQ(run_job(tmp, 3, rsdist::testing::with(args(tmp / tag, 2, sharded), {"--resume"}),
                      tag + "2"), 0)
        << read_file(tmp / (tag + "2.log"));
  }
  expect_same_run(tmp / "resumed-replicated", tmp / "resumed-sharded", "2 then 3 ranks");

  // Evaluation reads the shards of 2 ranks on 1 and on 3; recommendations on 1.
  for (const int np : {1, 3}) {
    const std::string tag = "evaluate" + std::to_string(np);
    ASSERT_EQ(run_job(tmp, np, {"evaluate", "--run", (tmp / "sharded2").string(), "--split", "test"},
                      tag), 0) << read_file(tmp / (tag + ".log"));
    const auto test = last_json(read_file(tmp / (tag + ".log")));
    const auto results = nlohmann::json::parse(read_file(tmp / "replicated2" / "results.json"));
    EXPECT_NEAR(test["ndcg20"].get<double>(), results["test"]["ndcg20"].get<double>(), 1e-9) << tag;
    EXPECT_EQ(test["hr20"], results["test"]["hr20"]) << tag;
  }
  for (const std::string run : {"replicated2", "sharded2"}) {
    ASSERT_EQ(run_job(tmp, 1, {"recommend", "--run", (tmp / run).string(), "--k", "5"},
                      "recommend-" + run), 0) << read_file(tmp / ("recommend-" + run + ".log"));
  }
  const auto lists = [&](const std::string& run) {
    std::string log = read_file(tmp / ("recommend-" + run + ".log"));
    std::string out;
    std::stringstream lines(log);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty() && std::isdigit(static_cast<unsigned char>(line[0]))) {
        std::string items;  // the item ids of a line, without their scores
        std::stringstream fields(line);
        for (std::string field; std::getline(fields, field, '\t');) items += field.substr(0, field.find(':')) + " ";
        out += items + "\n";
      }
    }
    return out;
  };
  EXPECT_FALSE(lists("sharded2").empty());
  EXPECT_EQ(lists("sharded2"), lists("replicated2"));
}

}  // namespace
}  // namespace rsdist::train
