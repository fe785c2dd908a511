// EventWriter's files read back by the tensorboard package's own readers
// (check_event_file.py: EventFileLoader record by record, EventAccumulator's purge on a
// SessionLog START, the text plugin's view), its names and their order, and its errors.
#include "tensorboard/event_writer.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <vector>

#include "support/error_of.hpp"
#include "support/python_runner.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::tensorboard {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::error_of;
using rsdist::testing::TempDir;

std::vector<fs::path> event_files(const fs::path& directory) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory)) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

TEST(EventFileName, HoldsSecondsHostPidAndSortsAfterEveryEarlierFile) {
  EXPECT_EQ(event_file_name(1700000000, "node7", 4242),
            "events.out.tfevents.1700000000.node7.4242.rsdist");
  TempDir tmp;
  EXPECT_EQ(next_event_file_seconds(tmp.path(), 100), 100);
  tmp.write("events.out.tfevents.120.other.1.v2", "");
  tmp.write("events.out.tfevents.99.node.2.rsdist", "");
  tmp.write("events.out.tfevents.garbage", "");
  tmp.write("notes.txt", "");
  EXPECT_EQ(next_event_file_seconds(tmp.path(), 100), 121);
  EXPECT_EQ(next_event_file_seconds(tmp.path(), 500), 500);
  EXPECT_EQ(next_event_file_seconds(tmp / "missing", 7), 7);
}

// Writes what check_event_file.py expects: the first file, then (same process, same second) a
// second one that restarts at step 4, as a resumed run does.
TEST(EventWriter, FilesReadBackByTensorBoardsReaders) {
  TempDir tmp;
  const fs::path tb = tmp / "tb";
  {
    EventWriter first(tb);
    first.scalar("loss", 0.5, 1);
    first.scalar("loss", 0.25, 2);
    first.scalar("loss", 0.125, 3);
    first.scalar("loss", 99.0, 4);  // stale: the second file starts again at step 4
    first.scalar("dev/ndcg@10", 1.0 / 3.0, 3);
    first.text("notes", "**bold** and\n\n    an indented code block", 1);
    first.flush();
  }
  {
    EventWriter second(tb);
    second.session_start(4);
    second.scalar("loss", 0.0625, 4);
  }  // the destructor flushes
  const std::vector<fs::path> files = event_files(tb);
  ASSERT_EQ(files.size(), 2U);
  EXPECT_LT(files[0].filename().string(), files[1].filename().string());
  EXPECT_EQ(rsdist::testing::run_python_script("tests/tensorboard/check_event_file.py",
                                               {files[0].string(), files[1].string()}),
            0);
}

TEST(EventWriter, BuffersUntilFlushAndAppendsOnly) {
  TempDir tmp;
  EventWriter writer(tmp / "tb");
  const auto size = [&] { return fs::file_size(writer.path()); };
  const auto version_only = size();
  EXPECT_GT(version_only, 16U);  // the file-version record is written at once
  writer.scalar("x", 1.0, 1);
  EXPECT_EQ(size(), version_only);
  writer.flush();
  const auto one = size();
  EXPECT_GT(one, version_only);
  writer.flush();  // nothing pending: nothing written
  EXPECT_EQ(size(), one);
  writer.text("big", std::string(EventWriter::kFlushBytes, 'x'), 2);  // past the buffer's size
  EXPECT_GT(size(), one + EventWriter::kFlushBytes);
}

TEST(EventWriter, ErrorsNameTheFile) {
  TempDir tmp;
  tmp.write("plain_file", "x");
  const std::string open_error = error_of([&] { EventWriter writer(tmp / "plain_file" / "tb"); });
  EXPECT_NE(open_error.find("cannot create the TensorBoard directory"), std::string::npos)
      << open_error;
  EXPECT_NE(open_error.find("plain_file/tb"), std::string::npos) << open_error;

  // A file-size limit makes write() fail (EFBIG once SIGXFSZ is ignored), as a full disk would.
  EventWriter writer(tmp / "tb");
  const std::string path = writer.path().string();
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = fs::file_size(writer.path()) + 1000;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  writer.text("big", std::string(4000, 'x'), 1);
  const std::string write_error = error_of([&] { writer.flush(); });
  ::setrlimit(RLIMIT_FSIZE, &saved);
  ::signal(SIGXFSZ, old_handler);
  EXPECT_NE(write_error.find("cannot write the TensorBoard event file " + path), std::string::npos)
      << write_error;
}

}  // namespace
}  // namespace rsdist::tensorboard
