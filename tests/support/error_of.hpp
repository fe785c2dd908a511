// The message of the rsdist::Error a callable throws, for tests of error messages.
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "core/error.hpp"

namespace rsdist::testing {

// Runs `f` and returns the rsdist::Error message it throws ("" and a test failure if none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.message();
  }
  ADD_FAILURE() << "expected an rsdist::Error";
  return "";
}

}  // namespace rsdist::testing
