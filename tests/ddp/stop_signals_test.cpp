#include "ddp/stop_signals.hpp"

#include <gtest/gtest.h>

#include <csignal>

namespace rsdist::ddp {
namespace {

TEST(StopSignals, SigtermAndSigusr1AreRecordedNotFatal) {
  for (int sig : {SIGTERM, SIGUSR1}) {
    StopSignals signals;
    EXPECT_FALSE(signals.requested());
    std::raise(sig);  // delivered synchronously to this thread
    EXPECT_TRUE(signals.requested());
    EXPECT_EQ(signals.signal_number(), sig);
  }
}

TEST(StopSignals, PreviousHandlerIsRestored) {
  struct sigaction before = {};
  sigaction(SIGUSR1, nullptr, &before);
  { StopSignals signals; }
  struct sigaction after = {};
  sigaction(SIGUSR1, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
}

}  // namespace
}  // namespace rsdist::ddp
