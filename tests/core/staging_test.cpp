#include "core/staging.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "support/temp_dir.hpp"

namespace rsdist {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

TEST(Staging, CommitRenamesIntoPlace) {
  TempDir tmp;
  const auto out = tmp / "corpus";
  {
    StagingDirectory staging(out, false);
    EXPECT_FALSE(fs::exists(out));
    std::ofstream(staging.path() / "manifest.json") << "{}";
    staging.commit();
  }
  EXPECT_EQ(read_file(out / "manifest.json"), "{}");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"corpus"});
}

TEST(Staging, AbandonedRunLeavesNothingBehind) {
  TempDir tmp;
  const auto out = tmp / "corpus";
  try {
    StagingDirectory staging(out, false);
    std::ofstream(staging.path() / "half.h5") << "partial";
    throw std::runtime_error("killed mid-write");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(names_in(tmp.path()).empty());
}

TEST(Staging, RefusesExistingOutputWithoutOverwrite) {
  TempDir tmp;
  const auto out = tmp / "corpus";
  fs::create_directories(out);
  try {
    StagingDirectory staging(out, false);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("already exists; remove it or pass --force"), std::string::npos);
  }
}

TEST(Staging, OverwriteReplacesOldOutputWhole) {
  TempDir tmp;
  const auto out = tmp / "corpus";
  fs::create_directories(out);
  std::ofstream(out / "old.txt") << "old";
  StagingDirectory staging(out, true);
  std::ofstream(staging.path() / "new.txt") << "new";
  staging.commit();
  EXPECT_EQ(names_in(out), std::vector<std::string>{"new.txt"});
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"corpus"});
}

TEST(Staging, AtomicFileWriteReplacesContents) {
  TempDir tmp;
  const auto file = tmp / "config.ini";
  write_file_atomically(file, "a = 1\n");
  write_file_atomically(file, "a = 2\n");
  EXPECT_EQ(read_file(file), "a = 2\n");
  EXPECT_EQ(names_in(tmp.path()), std::vector<std::string>{"config.ini"});
}

// /dev/full fails every write with ENOSPC, as a file system that has filled up does.
TEST(Staging, AFailedWriteNamesTheFileAndTheSystemsReason) {
  if (!fs::exists("/dev/full")) GTEST_SKIP() << "no /dev/full on this system";
  try {
    write_whole_file("/dev/full", "twelve bytes");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(),
              "cannot write '/dev/full' (0 of 12 bytes written): No space left on device");
  }
  TempDir tmp;
  write_whole_file(tmp / "f", "abc");
  EXPECT_EQ(read_file(tmp / "f"), "abc");
}

}  // namespace
}  // namespace rsdist
