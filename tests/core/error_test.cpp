#include "core/error.hpp"

#include <gtest/gtest.h>

namespace rsdist {
namespace {

TEST(Error, CarriesMessageSourceLocationAndFormatsWhat) {
  try {
    RSDIST_CHECK(1 + 1 == 3, "arithmetic is off: {} != {}", 2, 3);
    FAIL() << "RSDIST_CHECK did not throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.message(), "arithmetic is off: 2 != 3");
    EXPECT_EQ(e.source_file(), "tests/core/error_test.cpp");
    EXPECT_GT(e.source_line(), 0);
    EXPECT_EQ(std::string(e.what()),
              fmt::format("arithmetic is off: 2 != 3 [tests/core/error_test.cpp:{}]",
                          e.source_line()));
  }
}

TEST(Error, RankAndContextAppearInWhat) {
  Error e("boom", "/build/x/src/ddp/reducer.cpp", 12);
  e.add_context("reading shard 3").set_rank(2);
  EXPECT_EQ(std::string(e.what()), "rank 2: boom\n  while reading shard 3 [src/ddp/reducer.cpp:12]");
  EXPECT_EQ(e.rank(), 2);
}

TEST(Error, CheckPassesSilentlyWhenTrue) {
  EXPECT_NO_THROW(RSDIST_CHECK(true, "never"));
}

}  // namespace
}  // namespace rsdist
