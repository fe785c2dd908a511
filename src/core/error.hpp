// One exception type for everything rsdist reports to a user (see docs/architecture.md, "Errors").
//
// Library code throws; `main` catches once, logs, and exits non-zero. Never call exit() below main.
// The message says what went wrong and what to do; the source location (file:line) and, where the
// thrower knows it, the rank are kept apart so that `what()` reads as one line.
#pragma once

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace rsdist {

class Error : public std::runtime_error {
 public:
  Error(std::string message, const char* source_file, int source_line);

  const std::string& message() const { return message_; }
  const std::string& source_file() const { return source_file_; }
  int source_line() const { return source_line_; }
  int rank() const { return rank_; }  // -1 when unknown
  const std::vector<std::string>& context() const { return context_; }

  // Adds an outer "while ..." frame, e.g. the file being read; innermost first.
  Error& add_context(std::string frame);
  Error& set_rank(int rank);

  const char* what() const noexcept override { return full_.c_str(); }

 private:
  void rebuild();

  std::string message_;
  std::string source_file_;
  int source_line_;
  int rank_ = -1;
  std::vector<std::string> context_;
  std::string full_;
};

// Strips the build machine's prefix so that messages show "src/core/config.cpp".
std::string short_source_path(const char* path);

}  // namespace rsdist

#define RSDIST_THROW(...) throw ::rsdist::Error(::fmt::format(__VA_ARGS__), __FILE__, __LINE__)

#define RSDIST_CHECK(condition, ...)     \
  do {                                   \
    if (!(condition)) {                  \
      RSDIST_THROW(__VA_ARGS__);         \
    }                                    \
  } while (false)
