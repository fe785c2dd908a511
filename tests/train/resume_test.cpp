#include <ATen/ops/full.h>
#include <gtest/gtest.h>

#include "support/temp_dir.hpp"
#include "train/checkpoint.hpp"

namespace rsdist::train {
namespace {
using rsdist::testing::TempDir;

void write(const std::filesystem::path& dir, const std::string& name, std::int64_t step) {
  CheckpointState state;
  state.model["w"] = at::full({2}, static_cast<double>(step), at::kFloat);
  state.global_step = step;
  write_checkpoint(dir, name, state);
}

TEST(Resume, PicksTheCheckpointWithTheMostSteps) {
  TempDir tmp;
  const auto dir = tmp / "checkpoints";
  EXPECT_FALSE(find_resume_checkpoint(dir).has_value());
  write(dir, checkpoint_name(1), 8);
  write(dir, checkpoint_name(2), 16);
  EXPECT_EQ(find_resume_checkpoint(dir)->filename(), "epoch-0002");
  write(dir, step_checkpoint_name(21), 21);  // a stop signal in epoch 3
  EXPECT_EQ(find_resume_checkpoint(dir)->filename(), "step-000000021");
  write(dir, checkpoint_name(3), 24);
  EXPECT_EQ(find_resume_checkpoint(dir)->filename(), "epoch-0003");
}

TEST(Resume, EndOfEpochWinsAtEqualStepsAndIncompleteOnesAreIgnored) {
  TempDir tmp;
  const auto dir = tmp / "checkpoints";
  write(dir, step_checkpoint_name(16), 16);
  write(dir, checkpoint_name(2), 16);
  std::filesystem::create_directories(dir / step_checkpoint_name(99));  // no manifest: incomplete
  EXPECT_EQ(find_resume_checkpoint(dir)->filename(), "epoch-0002");
  EXPECT_EQ(read_checkpoint_progress(dir / "epoch-0002").global_step, 16);
}

}  // namespace
}  // namespace rsdist::train
