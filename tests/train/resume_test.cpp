#include <ATen/ops/full.h>
#include <gtest/gtest.h>

#include <fstream>

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

// Damages `file` the way a bad disk or a bad copy does.
void flip_a_byte(const std::filesystem::path& file) {
  std::string bytes = rsdist::testing::read_file(file);
  bytes[bytes.size() / 2] = static_cast<char>(bytes[bytes.size() / 2] ^ 0x5a);
  std::ofstream(file, std::ios::binary | std::ios::trunc) << bytes;
}

TEST(Resume, FallsBackToTheNewestCheckpointThatVerifiesNamingEachRefusedFile) {
  TempDir tmp;
  const auto dir = tmp / "checkpoints";
  write(dir, checkpoint_name(1), 8);
  write(dir, checkpoint_name(2), 16);
  write(dir, step_checkpoint_name(21), 21);
  flip_a_byte(dir / step_checkpoint_name(21) / "model.pt");
  std::vector<RefusedCheckpoint> refused;
  EXPECT_EQ(find_resume_checkpoint(dir, &refused), dir / "epoch-0002");
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_EQ(refused[0].path, dir / step_checkpoint_name(21));
  EXPECT_NE(refused[0].reason.find("file model.pt has SHA-256"), std::string::npos)
      << refused[0].reason;

  std::filesystem::resize_file(dir / "epoch-0002" / "optimizer.pt", 10);  // truncated
  refused.clear();
  EXPECT_EQ(find_resume_checkpoint(dir, &refused), dir / "epoch-0001");
  ASSERT_EQ(refused.size(), 2u);  // newest first
  EXPECT_EQ(refused[1].path, dir / "epoch-0002");
  EXPECT_NE(refused[1].reason.find("file optimizer.pt is 10 bytes, manifest says"),
            std::string::npos)
      << refused[1].reason;

  std::filesystem::remove(dir / "epoch-0001" / "config.ini");  // missing
  refused.clear();
  EXPECT_EQ(find_resume_checkpoint(dir, &refused), std::nullopt);
  ASSERT_EQ(refused.size(), 3u);
  EXPECT_NE(refused[2].reason.find("file config.ini is listed in manifest.txt but missing"),
            std::string::npos)
      << refused[2].reason;
}

TEST(Resume, ACheckpointWhoseStateOrManifestCannotBeReadIsRefusedNamingIt) {
  TempDir tmp;
  const auto dir = tmp / "checkpoints";
  write(dir, checkpoint_name(1), 8);
  write(dir, checkpoint_name(2), 16);
  write(dir, checkpoint_name(3), 24);
  flip_a_byte(dir / "epoch-0003" / "state.pt");  // the step count itself is unreadable
  {  // a manifest edited by hand: one file line fewer than its end line says
    const auto manifest = dir / "epoch-0002" / "manifest.txt";
    std::string text = rsdist::testing::read_file(manifest);
    const auto line = text.find("file config.ini");
    text.erase(line, text.find('\n', line) + 1 - line);
    std::ofstream(manifest, std::ios::binary | std::ios::trunc) << text;
  }
  std::vector<RefusedCheckpoint> refused;
  EXPECT_EQ(find_resume_checkpoint(dir, &refused), dir / "epoch-0001");
  ASSERT_EQ(refused.size(), 2u);
  std::string reasons = refused[0].reason + "\n" + refused[1].reason;
  EXPECT_NE(reasons.find("file state.pt has SHA-256"), std::string::npos) << reasons;
  EXPECT_NE(reasons.find("manifest.txt lists 5 files but its end line says 6"), std::string::npos)
      << reasons;
}

TEST(Resume, LeftoversOfInterruptedWritesAreRemovedAndNothingElse) {
  TempDir tmp;
  const auto dir = tmp / "checkpoints";
  write(dir, checkpoint_name(1), 8);
  std::filesystem::create_directories(dir / ".epoch-0002.tmp-4242-0");
  tmp.write("checkpoints/.epoch-0002.tmp-4242-0/model.pt", "half");
  std::filesystem::create_directories(dir / ".epoch-0001.old-17-3");
  std::filesystem::create_symlink("epoch-0001", dir / ".best.tmp-99-0");
  tmp.write("checkpoints/.notes", "kept");
  EXPECT_EQ(remove_staging_leftovers(dir),
            (std::vector<std::string>{".best.tmp-99-0", ".epoch-0001.old-17-3",
                                      ".epoch-0002.tmp-4242-0"}));
  EXPECT_TRUE(std::filesystem::exists(dir / ".notes"));
  EXPECT_EQ(read_checkpoint_progress(dir / "epoch-0001").global_step, 8);
  EXPECT_TRUE(remove_staging_leftovers(dir).empty());
  EXPECT_TRUE(remove_staging_leftovers(tmp / "none").empty());
}

}  // namespace
}  // namespace rsdist::train
