// Runs a program under mpirun for the multi-process tests (as root with --allow-run-as-root;
// --oversubscribe so that more ranks than cores fit on a CI machine).
#pragma once

#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace rsdist::testing {

// `mpiexec -np np program args > log 2>&1`; `args` is shell text (quote what needs it). Returns
// the exit code, or 128 + the signal that ended mpirun.
inline int run_mpi_job(const std::string& mpiexec, int np, const std::string& program,
                       const std::string& args, const std::filesystem::path& log) {
  const std::string command =
      fmt::format("{} {} --oversubscribe -np {} {} {} > '{}' 2>&1", mpiexec,
                  ::geteuid() == 0 ? "--allow-run-as-root" : "", np, program, args, log.string());
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// The same with each of `args` single-quoted (none may contain a quote).
inline int run_mpi_job(const std::string& mpiexec, int np, const std::string& program,
                       const std::vector<std::string>& args, const std::filesystem::path& log) {
  std::string quoted;
  for (const auto& a : args) quoted += " '" + a + "'";
  return run_mpi_job(mpiexec, np, program, quoted, log);
}

}  // namespace rsdist::testing
