// core/file_lock.hpp: one holder at a time, the refusal naming the holder, and no stale lock after
// the holder is killed.
#include "core/file_lock.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>

#include "core/error.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace rsdist {
namespace {
using rsdist::testing::error_of;
using rsdist::testing::TempDir;

FileLock lock_in(const TempDir& tmp) {
  return FileLock::acquire(tmp / ".lock", "run directory X", "choose another");
}

TEST(FileLock, OneHolderAtATimeAndTheRefusalNamesIt) {
  TempDir tmp;
  {
    const FileLock held = lock_in(tmp);
    EXPECT_TRUE(held.held());
    // flock excludes another open file description, in this process as in any other.
    const std::string message = error_of([&] { lock_in(tmp); });
    EXPECT_NE(message.find("run directory X is in use by another process (pid " +
                           std::to_string(::getpid()) + " on "),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("holds " + (tmp / ".lock").string() + "); choose another"),
              std::string::npos)
        << message;
  }
  EXPECT_TRUE(lock_in(tmp).held());  // released with its holder
  FileLock moved = lock_in(tmp);
  FileLock target = std::move(moved);
  EXPECT_FALSE(moved.held());  // NOLINT(bugprone-use-after-move): moved-from holds nothing
  EXPECT_TRUE(target.held());
}

TEST(FileLock, AKilledHolderLeavesNoStaleLock) {
  TempDir tmp;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const FileLock held = lock_in(tmp);
    const char byte = 'x';
    [[maybe_unused]] const ssize_t n = ::write(ready[1], &byte, 1);
    ::pause();  // until killed
    std::_Exit(0);
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  const std::string message = error_of([&] { lock_in(tmp); });
  EXPECT_NE(message.find("(pid " + std::to_string(child) + " on "), std::string::npos) << message;
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFSIGNALED(status));
  EXPECT_TRUE(lock_in(tmp).held());  // the kernel released it with the process
  ::close(ready[0]);
  ::close(ready[1]);
}

}  // namespace
}  // namespace rsdist
