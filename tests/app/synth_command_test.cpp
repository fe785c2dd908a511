#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>

#include "app/cli.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::app {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

int run(const std::vector<std::string>& args, std::string* err = nullptr) {
  std::ostringstream o, e;
  const int code = run_cli(args, o, e);
  if (err) *err = e.str();
  return code;
}

TEST(SynthCommand, WritesEachKindWithItsFiles) {
  TempDir tmp;
  const auto mind = (tmp / "mind").string();
  ASSERT_EQ(run({"synth", "mind", "--out", mind, "--preset", "tiny", "--seed", "3"}), 0);
  for (const char* f : {"train/news.tsv", "train/behaviors.tsv", "train/entity_embedding.vec",
                        "dev/news.tsv", "dev/behaviors.tsv", "test/behaviors.tsv", "glove.txt"}) {
    EXPECT_TRUE(fs::exists(fs::path(mind) / f)) << f;
  }
  const auto seq = (tmp / "seq").string();
  ASSERT_EQ(run({"synth", "seq", "--out", seq, "--seq_users", "50", "--seq_items", "40"}), 0);
  EXPECT_TRUE(fs::exists(fs::path(seq) / "sequences.txt"));
  const auto ratings = (tmp / "ratings").string();
  ASSERT_EQ(run({"synth", "ratings", "--out", ratings, "--rating_users", "20", "--rating_items",
                 "30", "--min_ratings", "5", "--max_ratings", "10"}),
            0);
  EXPECT_TRUE(fs::exists(fs::path(ratings) / "u.data"));
}

TEST(SynthCommand, RefusesToOverwriteWithoutForceAndKeepsTheOldData) {
  TempDir tmp;
  const auto out = (tmp / "mind").string();
  ASSERT_EQ(run({"synth", "mind", "--out", out, "--preset", "tiny"}), 0);
  const std::string before = read_file(fs::path(out) / "train/behaviors.tsv");
  std::string err;
  EXPECT_EQ(run({"synth", "mind", "--out", out, "--preset", "tiny", "--seed", "9"}, &err), 1);
  EXPECT_NE(err.find("already exists; remove it or pass --force"), std::string::npos) << err;
  EXPECT_EQ(read_file(fs::path(out) / "train/behaviors.tsv"), before);
  ASSERT_EQ(run({"synth", "mind", "--out", out, "--preset", "tiny", "--seed", "9", "--force"}), 0);
  EXPECT_NE(read_file(fs::path(out) / "train/behaviors.tsv"), before);
}

TEST(SynthCommand, ExplicitSizesWinOverThePreset) {
  TempDir tmp;
  const auto out = tmp / "mind";
  ASSERT_EQ(run({"synth", "mind", "--out", out.string(), "--preset", "tiny", "--train_impressions",
                 "37"}),
            0);
  std::istringstream lines(read_file(out / "train/behaviors.tsv"));
  int count = 0;
  for (std::string line; std::getline(lines, line);) ++count;
  EXPECT_EQ(count, 37);
}

TEST(SynthCommand, InvalidValuesFailBeforeAnythingIsWritten) {
  TempDir tmp;
  const auto out = (tmp / "mind").string();
  std::string err;
  EXPECT_EQ(run({"synth", "mind", "--out", out, "--news", "3"}, &err), 1);
  EXPECT_NE(err.find("invalid value '3' for --news (command line): must be >= 10"), std::string::npos)
      << err;
  EXPECT_EQ(run({"synth", "movies", "--out", out}, &err), 1);
  EXPECT_NE(err.find("expected one of mind|seq|ratings"), std::string::npos) << err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(tmp.path()));
}

TEST(SynthCommand, SameSeedGivesIdenticalFiles) {
  TempDir tmp;
  for (const char* name : {"a", "b"}) {
    ASSERT_EQ(run({"synth", "seq", "--out", (tmp / name).string(), "--seed", "5"}), 0);
  }
  EXPECT_EQ(read_file(tmp / "a/sequences.txt"), read_file(tmp / "b/sequences.txt"));
}

}  // namespace
}  // namespace rsdist::app
