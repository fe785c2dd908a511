// TensorBoard curves of real `rsdist train` runs (in process, local backend), read back by
// TensorBoard's own EventAccumulator in check_tensorboard.py and compared with metrics.jsonl:
// GCL4SR (loss parts, a learning-rate schedule, dev and test metrics) for 2 epochs; 1 epoch, an
// interrupted session's stale events, then --resume to 2; the most-popular baseline's closed-form
// fit; and --tensorboard false. curve_scalars on its own, too.
#include "train/training_curves.hpp"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "app/cli_runner.hpp"
#include "support/python_runner.hpp"
#include "support/run_records.hpp"
#include "support/temp_dir.hpp"
#include "train/gcl4sr_fixture.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;
using rsdist::testing::read_jsonl;
using rsdist::testing::run_rsdist;
using rsdist::testing::TempDir;
using rsdist::testing::with;

TEST(CurveScalars, MapEachKindOfRecord) {
  const Json epoch = Json::parse(R"({"kind": "epoch", "epoch": 2, "train_loss": 1.5,
      "train_losses": {"main": 1.0, "gcl": 0.5}, "lr": 0.01, "train_seconds": 3.0,
      "samples_per_second": 100.0, "global_step": 40, "dev": {"ndcg20": 0.25, "users": 300},
      "best_epoch": 2})");
  const std::vector<std::pair<std::string, double>> want = {{"epoch/train_loss", 1.5},
                                                            {"epoch/lr", 0.01},
                                                            {"epoch/samples_per_second", 100.0},
                                                            {"epoch/train_losses/main", 1.0},
                                                            {"epoch/train_losses/gcl", 0.5},
                                                            {"dev/ndcg20", 0.25},
                                                            {"dev/users", 300.0}};
  EXPECT_EQ(curve_scalars(epoch), want);
  const Json fit = Json::parse(R"({"kind": "fit", "epoch": 1, "fit_seconds": 0.5,
      "dev": {"hr10": 0.5}})");
  EXPECT_EQ(curve_scalars(fit), (std::vector<std::pair<std::string, double>>{{"dev/hr10", 0.5}}));
  const Json test = Json::parse(R"({"kind": "test", "checkpoint": "x", "test": {"mrr": 0.125}})");
  EXPECT_EQ(curve_scalars(test),
            (std::vector<std::pair<std::string, double>>{{"test/mrr", 0.125}}));
}

class TrainingCurvesOfRuns : public rsdist::testing::SmallSequenceCorpusSuite {
 protected:
  // A short GCL4SR run: 10 steps per epoch, the step loss every `every` steps.
  static std::vector<std::string> gcl4sr(const fs::path& out, int epochs, int every) {
    return with(rsdist::testing::gcl4sr_train_args(corpus_, out, epochs),
                {"--backend", "local", "--max_steps_per_epoch", "10", "--tensorboard_every_steps",
                 std::to_string(every)});
  }
  static int check_tensorboard(const std::vector<std::string>& args) {
    return rsdist::testing::run_python_script("tests/train/check_tensorboard.py", args);
  }
};

// Every step's loss (--tensorboard_every_steps 1), so that the check also compares each epoch's
// mean of the step losses with the epoch's value.
TEST_F(TrainingCurvesOfRuns, TwoEpochsShowWhatMetricsJsonlHolds) {
  TempDir tmp;
  const auto run = tmp / "run";
  const auto r = run_rsdist(gcl4sr(run, 2, 1));
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(read_jsonl(run / "metrics.jsonl").size(), 3U);  // two epochs and the test
  EXPECT_EQ(check_tensorboard({run.string(), "--every", "1"}), 0);
}

// The interrupted session is simulated by a file that sorts after the first session's and holds
// what a session killed after its last checkpoint leaves: a step loss and an epoch past it (99s).
TEST_F(TrainingCurvesOfRuns, AResumedRunShowsEachEpochOnce) {
  TempDir tmp;
  const auto run = tmp / "run";
  ASSERT_EQ(run_rsdist(gcl4sr(run, 1, 3)).code, 0);
  fs::copy_file(run / "metrics.jsonl", tmp / "first.jsonl");
  const std::int64_t resumed_step = read_jsonl(run / "metrics.jsonl")[0]["global_step"];
  {
    TrainingCurves stale(run / "tb", resumed_step + 1);
    const std::vector<double> losses = {99.0, 99.0, 99.0, 99.0};
    stale.step_losses(resumed_step + 2, losses, {"main", "gcl", "mmd"});
    const Json epoch = {{"kind", "epoch"},
                        {"train_loss", 99.0},
                        {"lr", 99.0},
                        {"samples_per_second", 99.0},
                        {"dev", {{"ndcg20", 99.0}}}};
    stale.record(epoch, 2 * resumed_step);
  }
  const auto r = run_rsdist(with(gcl4sr(run, 2, 3), {"--resume"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(check_tensorboard({run.string(), "--every", "3", "--sessions", "3", "--resumed_from",
                               std::to_string(resumed_step), "--earlier_metrics",
                               (tmp / "first.jsonl").string()}),
            0);
}

TEST_F(TrainingCurvesOfRuns, AClosedFormFitShowsItsDevAndTestMetrics) {
  TempDir tmp;
  const auto run = tmp / "pop";
  const auto r = run_rsdist({"train", "--model", "pop", "--corpus", corpus_.string(), "--out",
                             run.string(), "--backend", "local"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(check_tensorboard({run.string(), "--every", "20"}), 0);
}

TEST_F(TrainingCurvesOfRuns, TensorboardFalseWritesNoDirectory) {
  TempDir tmp;
  const auto run = tmp / "run";
  const auto r = run_rsdist(with(gcl4sr(run, 1, 3), {"--tensorboard", "false"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(fs::exists(run / "metrics.jsonl"));
  EXPECT_FALSE(fs::exists(run / "tb"));
}

}  // namespace
}  // namespace rsdist::train
