// The `rsdist` command line: subcommand dispatch, --help, and the one place errors are caught.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include "core/logging.hpp"
#include "core/options.hpp"

namespace rsdist {
class Config;
}

namespace rsdist::app {

struct CommandIo {
  std::ostream& out;  // results a user pipes somewhere (configs, tables, versions)
  Loggers& log;       // progress and diagnostics (stderr)
};

struct Subcommand {
  const char* name;
  const char* summary;
  OptionSchema (*schema)();                      // nullptr: a stub owned by a later issue
  int (*run)(const Config& config, CommandIo& io);
  const char* owner;                             // for stubs: what will implement it
};

const std::vector<Subcommand>& subcommands();

// Runs `rsdist <args...>` (args excludes argv[0]) and returns the process exit code.
// Every rsdist::Error and std::exception is caught here, logged once, and turned into exit code 1.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

}  // namespace rsdist::app
