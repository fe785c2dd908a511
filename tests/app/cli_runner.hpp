// Runs `rsdist <args...>` in-process, as main would, and keeps what it printed.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "app/cli.hpp"

namespace rsdist::testing {

struct CliResult {
  int code = -1;
  std::string out;  // results (stdout)
  std::string err;  // logs and errors (stderr)
};

inline CliResult run_rsdist(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = app::run_cli(args, out, err);
  return {code, out.str(), err.str()};
}

}  // namespace rsdist::testing
