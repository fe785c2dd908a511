// Dev/test impressions of a MIND corpus (dev.h5, test.h5; docs/corpus_mind.md) for evaluation:
// every impression's user, history and candidates with labels, in host memory.
//
// Evaluation encodes every news once (NewsTable), then scores each impression's candidates against
// its user vector; so a batch of impressions needs only histories as news ids and masks
// (eval_history_batch), and the candidates are read from the host arrays when scores are ranked.
// Ranks evaluate contiguous ranges of impressions (range_for) and the scores are gathered in
// impression order.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

namespace rsdist::loader {

enum class EvalSplit { kDev, kTest };

struct EvalImpressionsOptions {
  // Histories cut to their last `max_history_num` news (0: the corpus's width); more than the
  // corpus holds is an error naming the option.
  std::int32_t max_history_num = 0;
};

// Impressions [begin, end).
struct ImpressionRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  std::int64_t size() const { return end - begin; }
};

struct EvalImpressions {
  // Reads DIR/dev.h5 or DIR/test.h5 on the calling thread.
  static EvalImpressions load(const std::filesystem::path& corpus_dir, EvalSplit split,
                              const EvalImpressionsOptions& options = {});

  std::string file;                             // the file read, for messages
  std::int32_t max_history_num = 0;             // H after truncation
  std::vector<std::int32_t> user;               // [I], 0 for users unseen in train
  std::vector<std::int64_t> source_line;        // [I], 1-based line in behaviors.tsv
  std::vector<std::int32_t> history;            // [I * H], oldest first, 0 after the real news
  std::vector<std::int32_t> history_length;     // [I]
  std::vector<std::int64_t> candidate_offsets;  // [I + 1]: candidates of i are [off[i], off[i+1])
  std::vector<std::int32_t> candidate_news;     // [K]
  std::vector<std::int32_t> label;              // [K]: 1 clicked, 0 not, -1 unlabeled (test)

  std::int64_t size() const { return static_cast<std::int64_t>(user.size()); }
  std::int64_t candidates() const { return static_cast<std::int64_t>(candidate_news.size()); }
  std::span<const std::int32_t> history_of(std::int64_t impression) const;
  std::span<const std::int32_t> candidates_of(std::int64_t impression) const;
  std::span<const std::int32_t> labels_of(std::int64_t impression) const;

  // The contiguous impressions rank `rank` of `world` evaluates. Ranges are balanced by candidate
  // count (scoring and ranking cost grows with the candidates; MIND's impressions range from a few
  // to ~300 candidates, so equal impression counts could leave one rank with several times the
  // work): rank r starts at the first impression whose candidates begin at or after r * K / W.
  // Together the ranges cover every impression exactly once, in order; some may be empty when
  // there are fewer impressions than ranks.
  ImpressionRange range_for(int rank, int world) const;
};

// History tensors of impressions `range` (on the CPU; move them with .to()).
struct EvalHistoryBatch {
  at::Tensor history_index;  // [B, H] int64 news ids (row of the NewsTable's encodings)
  at::Tensor history_mask;   // [B, H] float32, 1 on real history slots
  at::Tensor user;           // [B] int64
};
EvalHistoryBatch eval_history_batch(const EvalImpressions& impressions, ImpressionRange range);

}  // namespace rsdist::loader
