// Runs a Python script of the source tree with the checkout's virtual environment (`.venv`, made
// by scripts/setup.sh, which has torch): the tests that compare against PyTorch or h5py use it.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

namespace rsdist::testing {

// The virtual environment's interpreter.
inline std::filesystem::path venv_python() {
  return std::filesystem::path(RSDIST_SOURCE_DIR) / ".venv" / "bin" / "python";
}

// Runs `<venv python> <RSDIST_SOURCE_DIR>/<script> args...` (each argument quoted for the shell)
// and returns its exit code; its output goes to the test's output. A missing interpreter or a
// script killed by a signal is a test failure and returns -1.
inline int run_python_script(const std::string& script, const std::vector<std::string>& args) {
  const auto quoted = [](const std::string& s) {
    std::string q = "'";
    for (const char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
  };
  const std::filesystem::path python = venv_python();
  if (!std::filesystem::exists(python)) {
    ADD_FAILURE() << python << " is missing: run scripts/setup.sh to create the virtual "
                  << "environment with torch (CI has it)";
    return -1;
  }
  std::string command = quoted(python.string()) + " " +
                        quoted((std::filesystem::path(RSDIST_SOURCE_DIR) / script).string());
  for (const auto& arg : args) command += " " + quoted(arg);
  const int status = std::system(command.c_str());
  EXPECT_TRUE(WIFEXITED(status)) << command;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace rsdist::testing
