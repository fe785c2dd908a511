#include "eval/mind_prediction.hpp"

#include <fmt/format.h>

#include <numeric>
#include <string_view>
#include <vector>

#include "core/error.hpp"
#include "core/staging.hpp"
#include "eval/csr_offsets.hpp"
#include "eval/mind_metrics.hpp"

namespace rsdist::eval {

std::string format_mind_prediction(std::span<const std::int64_t> impression_ids,
                                   std::span<const std::int64_t> offsets,
                                   std::span<const float> scores) {
  check_csr_offsets(offsets, static_cast<std::int64_t>(scores.size()),
                    "MIND prediction: impression offsets");
  RSDIST_CHECK(impression_ids.size() + 1 == offsets.size(),
               "MIND prediction: {} impression ids for {} impressions (offsets hold {} values)",
               impression_ids.size(), offsets.size() - 1, offsets.size());
  fmt::memory_buffer out;
  for (std::size_t j = 0; j < impression_ids.size(); ++j) {
    const auto begin = static_cast<std::size_t>(offsets[j]);
    const auto size = static_cast<std::size_t>(offsets[j + 1] - offsets[j]);
    std::vector<std::int32_t> ranks;
    try {
      ranks = mind_ranks(scores.subspan(begin, size));
    } catch (Error& e) {
      e.add_context(
          fmt::format("writing the ranks of impression {} (id {})", j, impression_ids[j]));
      throw;
    }
    if (j > 0) out.push_back('\n');
    const fmt::format_int id(impression_ids[j]);
    out.append(id.data(), id.data() + id.size());
    out.append(std::string_view(" ["));
    for (std::size_t i = 0; i < ranks.size(); ++i) {
      if (i > 0) out.push_back(',');
      const fmt::format_int rank(ranks[i]);
      out.append(rank.data(), rank.data() + rank.size());
    }
    out.push_back(']');
  }
  return fmt::to_string(out);
}

void write_mind_prediction(const std::filesystem::path& path, std::span<const std::int64_t> offsets,
                           std::span<const float> scores) {
  std::vector<std::int64_t> ids(offsets.empty() ? 0 : offsets.size() - 1);
  std::iota(ids.begin(), ids.end(), std::int64_t{1});
  write_mind_prediction(path, ids, offsets, scores);
}

void write_mind_prediction(const std::filesystem::path& path,
                           std::span<const std::int64_t> impression_ids,
                           std::span<const std::int64_t> offsets, std::span<const float> scores) {
  write_file_atomically(path, format_mind_prediction(impression_ids, offsets, scores));
}

}  // namespace rsdist::eval
