#include "core/error.hpp"

#include <cstring>

namespace rsdist {

std::string short_source_path(const char* path) {
  std::string p = path == nullptr ? "" : path;
  for (const char* root : {"/src/", "/tests/", "/bench/"}) {
    const auto pos = p.rfind(root);
    if (pos != std::string::npos) return p.substr(pos + 1);
  }
  return p;
}

Error::Error(std::string message, const char* source_file, int source_line)
    : std::runtime_error(message),
      message_(std::move(message)),
      source_file_(short_source_path(source_file)),
      source_line_(source_line) {
  rebuild();
}

Error& Error::add_context(std::string frame) {
  context_.push_back(std::move(frame));
  rebuild();
  return *this;
}

Error& Error::set_rank(int rank) {
  rank_ = rank;
  rebuild();
  return *this;
}

void Error::rebuild() {
  full_.clear();
  if (rank_ >= 0) full_ += fmt::format("rank {}: ", rank_);
  full_ += message_;
  for (const auto& frame : context_) full_ += fmt::format("\n  while {}", frame);
  full_ += fmt::format(" [{}:{}]", source_file_, source_line_);
}

}  // namespace rsdist
