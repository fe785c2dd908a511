#include "loader/mind/corpus_lengths.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace rsdist::loader {

std::int32_t resolve_length(std::string_view option, std::int32_t requested,
                            std::int32_t corpus_length, const std::string& file) {
  RSDIST_CHECK(requested >= 0, "{} must be at least 1, or 0 for the corpus's value (got {})",
               option, requested);
  if (requested == 0) return corpus_length;
  RSDIST_CHECK(requested <= corpus_length,
               "{} = {} is longer than the corpus holds ({} in {}); use at most {}, or preprocess "
               "the corpus again with --{} {}",
               option, requested, corpus_length, file, corpus_length, option, requested);
  return requested;
}

void truncate_histories(std::vector<std::int32_t>& history, std::vector<std::int32_t>& length,
                        std::int32_t corpus_width, std::int32_t width) {
  RSDIST_CHECK(width >= 1 && width <= corpus_width, "history width {} outside [1, {}]", width,
               corpus_width);
  if (width == corpus_width) return;
  const std::size_t rows = length.size();
  RSDIST_CHECK(history.size() == rows * static_cast<std::size_t>(corpus_width),
               "history holds {} values, not {} rows of {}", history.size(), rows, corpus_width);
  const auto old_width = static_cast<std::size_t>(corpus_width);
  const auto new_width = static_cast<std::size_t>(width);
  // Row r moves from r * old_width (+ skipped) to r * new_width <= r * old_width: copying forward
  // in row order never overwrites a value not yet read.
  for (std::size_t r = 0; r < rows; ++r) {
    RSDIST_CHECK(length[r] >= 0 && length[r] <= corpus_width,
                 "history length {} of row {} outside [0, {}]", length[r], r, corpus_width);
    const std::int32_t kept = std::min(length[r], width);
    const std::size_t from = r * old_width + static_cast<std::size_t>(length[r] - kept);
    const std::size_t to = r * new_width;
    for (std::size_t i = 0; i < new_width; ++i) {
      history[to + i] = i < static_cast<std::size_t>(kept) ? history[from + i] : 0;
    }
    length[r] = kept;
  }
  history.resize(rows * new_width);
}

}  // namespace rsdist::loader
