// The fault-injection test seam (core/fault_injection.hpp): its variable's form, and that the
// named call on the named rank raises the signal after writing the marker.
#include "core/fault_injection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <fstream>

#include "core/error.hpp"
#include "support/error_of.hpp"
#include "support/temp_dir.hpp"

namespace rsdist {
namespace {
using rsdist::testing::error_of;
using rsdist::testing::TempDir;

TEST(FaultInjection, ParsesPointRankCallSignalAndMarker) {
  EXPECT_FALSE(parse_fault_spec("").has_value());
  const auto kill = parse_fault_spec("all_reduce:2:26:KILL");
  ASSERT_TRUE(kill.has_value());
  EXPECT_EQ(kill->point, FaultPoint::kAllReduce);
  EXPECT_EQ(kill->rank, 2);
  EXPECT_EQ(kill->nth, 26);
  EXPECT_EQ(kill->signal, SIGKILL);
  EXPECT_EQ(kill->marker_file, "");
  const auto term = parse_fault_spec("checkpoint_write:0:1:TERM:/tmp/a:b/marker");
  ASSERT_TRUE(term.has_value());
  EXPECT_EQ(term->point, FaultPoint::kCheckpointWrite);
  EXPECT_EQ(term->signal, SIGTERM);
  EXPECT_EQ(term->marker_file, "/tmp/a:b/marker");  // the rest of the value, colons and all
  EXPECT_EQ(parse_fault_spec("forward:0:1:USR1")->point, FaultPoint::kForward);
  EXPECT_EQ(parse_fault_spec("evaluate:1:2:INT")->point, FaultPoint::kEvaluate);
}

TEST(FaultInjection, AMalformedValueIsAnErrorNamingTheVariable) {
  const std::pair<const char*, const char*> cases[] = {
      {"forward:1:3", "3 field(s) instead of 4 or 5"},
      {"backward:1:3:KILL", "unknown point 'backward'"},
      {"forward:-1:3:KILL", "rank '-1' is not an integer >= 0"},
      {"forward:1:0:KILL", "nth '0' is not an integer >= 1"},
      {"forward:1:x:KILL", "nth 'x' is not an integer >= 1"},
      {"forward:1:3:HUP", "unknown signal 'HUP'"},
  };
  for (const auto& [value, why] : cases) {
    const std::string message = error_of([&] { parse_fault_spec(value); });
    EXPECT_NE(message.find(std::string("RSDIST_FAULT='") + value + "': " + why), std::string::npos)
        << message;
    EXPECT_NE(message.find("<point>:<rank>:<nth>:<signal>[:<marker file>]"), std::string::npos);
  }
}

// The variable is read once per process: each death test's child (forked, the default style) reads
// it afresh, since nothing in this binary reads it outside one.
TEST(FaultInjectionDeathTest, TheNamedCallOnTheNamedRankRaisesTheSignalAfterTheMarker) {
  TempDir tmp;
  const std::string marker = (tmp / "marker").string();
  const double before =
      std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  EXPECT_EXIT(
      {
        ::setenv("RSDIST_FAULT", ("evaluate:1:3:TERM:" + marker).c_str(), 1);
        std::signal(SIGTERM, SIG_DFL);
        for (int i = 0; i < 5; ++i) fault_point(FaultPoint::kEvaluate, 0);  // another rank
        for (int i = 0; i < 5; ++i) fault_point(FaultPoint::kForward, 1);   // another point
        fault_point(FaultPoint::kEvaluate, 1);
        fault_point(FaultPoint::kEvaluate, 1);
        std::fprintf(stderr, "two calls passed\n");
        fault_point(FaultPoint::kEvaluate, 1);
        std::_Exit(0);
      },
      ::testing::KilledBySignal(SIGTERM),
      "two calls passed\n\\[rank 1\\] RSDIST_FAULT: raising SIGTERM at evaluate \\(call 3\\)");
  std::ifstream in(marker);
  double fired = 0;
  ASSERT_TRUE(in >> fired) << "no marker written";
  EXPECT_GE(fired, before);
}

TEST(FaultInjectionDeathTest, AMalformedVariableFailsTheFirstCheck) {
  EXPECT_EXIT(
      {
        ::setenv("RSDIST_FAULT", "forward:one:1:KILL", 1);
        try {
          check_fault_injection();
        } catch (const Error& e) {
          std::fprintf(stderr, "%s\n", e.what());
          std::_Exit(3);
        }
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(3), "RSDIST_FAULT='forward:one:1:KILL': rank 'one'");
}

}  // namespace
}  // namespace rsdist
