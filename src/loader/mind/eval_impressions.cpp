#include "loader/mind/eval_impressions.hpp"

#include <ATen/ops/empty.h>

#include <algorithm>

#include "core/error.hpp"
#include "data/hdf5/file.hpp"
#include "data/mind/mind_corpus.hpp"
#include "loader/mind/corpus_lengths.hpp"
#include "loader/mind/corpus_reading.hpp"

namespace rsdist::loader {

EvalImpressions EvalImpressions::load(const std::filesystem::path& corpus_dir, EvalSplit split,
                                      const EvalImpressionsOptions& options) {
  const h5::File file = open_corpus_file(
      corpus_dir / (split == EvalSplit::kDev ? mind::kDevFileName : mind::kTestFileName),
      "mind_eval");
  EvalImpressions e;
  e.file = file.path();
  e.user = file.read<std::int32_t>("impressions/user");
  e.source_line = file.read<std::int64_t>("impressions/source_line");
  e.history = file.read<std::int32_t>("impressions/history");
  e.history_length = file.read<std::int32_t>("impressions/history_length");
  e.candidate_offsets = file.read<std::int64_t>("impressions/candidate_offsets");
  e.candidate_news = file.read<std::int32_t>("candidates/news");
  e.label = file.read<std::int32_t>("candidates/label");
  const auto candidate_impression = file.read<std::int32_t>("candidates/impression");

  const std::size_t rows = e.user.size();
  const std::vector<std::uint64_t> shape = file.info("impressions/history").shape;
  RSDIST_CHECK(shape.size() == 2 && shape[0] == rows,
               "{}: impressions/history must be a [{}, max_history_num] array", e.file, rows);
  RSDIST_CHECK(e.source_line.size() == rows && e.history_length.size() == rows &&
                   e.candidate_offsets.size() == rows + 1,
               "{}: impressions/* must have {} rows (candidate_offsets one more)", e.file, rows);
  const auto& offsets = e.candidate_offsets;
  RSDIST_CHECK(offsets.front() == 0 &&
                   offsets.back() == static_cast<std::int64_t>(e.candidate_news.size()) &&
                   std::is_sorted(offsets.begin(), offsets.end()),
               "{}: impressions/candidate_offsets is not a CSR index over {} candidates", e.file,
               e.candidate_news.size());
  RSDIST_CHECK(e.label.size() == e.candidate_news.size() &&
                   candidate_impression.size() == e.candidate_news.size(),
               "{}: candidates/news, candidates/label and candidates/impression differ in length",
               e.file);
  for (std::size_t i = 0; i < rows; ++i) {
    for (auto c = offsets[i]; c < offsets[i + 1]; ++c) {
      RSDIST_CHECK(
          candidate_impression[static_cast<std::size_t>(c)] == static_cast<std::int32_t>(i),
          "{}: candidate {} belongs to impression {} by candidates/impression but to {} "
          "by impressions/candidate_offsets",
          e.file, c, candidate_impression[static_cast<std::size_t>(c)], i);
    }
  }

  const auto corpus_width = static_cast<std::int32_t>(shape[1]);
  e.max_history_num =
      resolve_length("max_history_num", options.max_history_num, corpus_width, e.file);
  truncate_histories(e.history, e.history_length, corpus_width, e.max_history_num);
  return e;
}

std::span<const std::int32_t> EvalImpressions::history_of(std::int64_t impression) const {
  const auto width = static_cast<std::size_t>(max_history_num);
  return std::span<const std::int32_t>(history).subspan(
      static_cast<std::size_t>(impression) * width, width);
}

std::span<const std::int32_t> EvalImpressions::candidates_of(std::int64_t impression) const {
  const auto begin =
      static_cast<std::size_t>(candidate_offsets[static_cast<std::size_t>(impression)]);
  const auto end =
      static_cast<std::size_t>(candidate_offsets[static_cast<std::size_t>(impression) + 1]);
  return std::span<const std::int32_t>(candidate_news).subspan(begin, end - begin);
}

std::span<const std::int32_t> EvalImpressions::labels_of(std::int64_t impression) const {
  const auto begin =
      static_cast<std::size_t>(candidate_offsets[static_cast<std::size_t>(impression)]);
  const auto end =
      static_cast<std::size_t>(candidate_offsets[static_cast<std::size_t>(impression) + 1]);
  return std::span<const std::int32_t>(label).subspan(begin, end - begin);
}

ImpressionRange EvalImpressions::range_for(int rank, int world) const {
  RSDIST_CHECK(world >= 1 && rank >= 0 && rank < world, "invalid rank {} for world size {}", rank,
               world);
  const std::int64_t impressions = size();
  const std::int64_t total = candidates();
  // First impression of rank r: by candidates (see the header), or by impressions when there are
  // no candidates at all. The last rank ends at the last impression, so trailing impressions
  // without candidates are not lost.
  const auto begin_of = [&](std::int64_t r) -> std::int64_t {
    if (r == 0) return 0;
    if (r == world) return impressions;
    if (total == 0) return r * impressions / world;
    const std::int64_t bound = r * total / world;
    const auto it = std::lower_bound(candidate_offsets.begin(), candidate_offsets.end() - 1, bound);
    return static_cast<std::int64_t>(it - candidate_offsets.begin());
  };
  return {begin_of(rank), begin_of(rank + 1)};
}

EvalHistoryBatch eval_history_batch(const EvalImpressions& impressions, ImpressionRange range) {
  RSDIST_CHECK(range.begin >= 0 && range.begin <= range.end && range.end <= impressions.size(),
               "impression range [{}, {}) outside the {} impressions of {}", range.begin, range.end,
               impressions.size(), impressions.file);
  const std::int64_t rows = range.size();
  const std::int64_t width = impressions.max_history_num;
  EvalHistoryBatch batch;
  batch.history_index = at::empty({rows, width}, at::TensorOptions().dtype(at::kLong));
  batch.history_mask = at::empty({rows, width}, at::TensorOptions().dtype(at::kFloat));
  batch.user = at::empty({rows}, at::TensorOptions().dtype(at::kLong));
  std::int64_t* index = batch.history_index.data_ptr<std::int64_t>();
  float* mask = batch.history_mask.data_ptr<float>();
  std::int64_t* user = batch.user.data_ptr<std::int64_t>();
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int64_t i = range.begin + r;
    const auto history = impressions.history_of(i);
    const std::int32_t length = impressions.history_length[static_cast<std::size_t>(i)];
    for (std::int64_t s = 0; s < width; ++s) {
      index[r * width + s] = history[static_cast<std::size_t>(s)];
      mask[r * width + s] = s < length ? 1.0f : 0.0f;
    }
    user[r] = impressions.user[static_cast<std::size_t>(i)];
  }
  return batch;
}

}  // namespace rsdist::loader
