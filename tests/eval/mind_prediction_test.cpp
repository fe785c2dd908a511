#include "eval/mind_prediction.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::eval {
namespace {

using Offsets = std::vector<std::int64_t>;
using Scores = std::vector<float>;

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(MindPrediction, OneLinePerImpressionRanksWithoutSpacesNoTrailingNewline) {
  const Scores scores{0.8f, 0.6f, 0.9f, 0.4f, 0.4f};
  const Offsets offsets{0, 3, 3, 5};  // the second impression has no candidates
  EXPECT_EQ(format_mind_prediction(Offsets{1, 2, 3}, offsets, scores), "1 [2,3,1]\n2 []\n3 [1,2]");
  EXPECT_EQ(format_mind_prediction(Offsets{}, Offsets{0}, Scores{}), "");
}

TEST(MindPrediction, WritesOneBasedPositionsOrExplicitIds) {
  rsdist::testing::TempDir dir;
  const Scores scores{0.1f, 0.3f, 0.2f, 5.0f, 7.0f};
  const Offsets offsets{0, 3, 5};
  write_mind_prediction(dir / "prediction.txt", offsets, scores);
  EXPECT_EQ(read_file(dir / "prediction.txt"), "1 [3,1,2]\n2 [2,1]");

  write_mind_prediction(dir / "shard.txt", Offsets{1001, 1002}, offsets, scores);
  EXPECT_EQ(read_file(dir / "shard.txt"), "1001 [3,1,2]\n1002 [2,1]");

  // Replaced whole, and nothing but the two outputs is left behind (no temporary files).
  write_mind_prediction(dir / "prediction.txt", Offsets{0, 2}, Scores{1.0f, 2.0f});
  EXPECT_EQ(read_file(dir / "prediction.txt"), "1 [2,1]");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()),
                          std::filesystem::directory_iterator()),
            2);
}

TEST(MindPrediction, RejectsMismatchedIdsOffsetsAndNaNScores) {
  rsdist::testing::TempDir dir;
  const Scores scores{0.1f, 0.3f, 0.2f};
  EXPECT_THROW(format_mind_prediction(Offsets{1}, Offsets{0, 1, 3}, scores), Error);
  EXPECT_THROW(format_mind_prediction(Offsets{1, 2}, Offsets{0, 1, 2}, scores), Error);
  EXPECT_THROW(format_mind_prediction(Offsets{1}, Offsets{0, 3}, Scores{0.1f, std::nanf(""), 0.2f}),
               Error);
  EXPECT_THROW(write_mind_prediction(dir / "p.txt", Offsets{0, 4}, scores), Error);
  EXPECT_FALSE(std::filesystem::exists(dir / "p.txt"));
}

}  // namespace
}  // namespace rsdist::eval
