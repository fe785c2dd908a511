// Shared check of the synth generators' option validation: each case changes one option of a
// default-constructed Options, the writer must throw an rsdist::Error whose message contains the
// expected text, and nothing may be written.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "core/error.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::testing {

template <class Options>
struct OptionErrorCase {
  void (*change)(Options&);
  const char* message;
};

template <class Options, class Write, std::size_t N>
void expect_option_errors(const OptionErrorCase<Options> (&cases)[N], Write write) {
  TempDir tmp;
  for (const auto& c : cases) {
    Options o;
    c.change(o);
    try {
      write(o, tmp.path());
      ADD_FAILURE() << "no error for " << c.message;
    } catch (const Error& e) {
      EXPECT_NE(e.message().find(c.message), std::string::npos) << e.message();
    }
  }
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path())) << "nothing is written for invalid options";
}

}  // namespace rsdist::testing
