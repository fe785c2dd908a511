// A split of the sequence corpus as ranking evaluation sees it, for every family that ranks the
// next item (GCL4SR, the most-popular baseline, S3-Rec next): example e is one user whose held-out
// item is the example's target and whose known items, masked from the ranking, are the distinct
// items of its prefix (valid: items[:-2], test: items[:-1], as the GCL4SR reference).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/seq/seq_corpus.hpp"

namespace rsdist::loader {

class SeqEvalSplit {
 public:
  // `examples` is one of corpus.splits' valid/test; both must outlive this.
  SeqEvalSplit(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples);

  std::int64_t size() const { return static_cast<std::int64_t>(examples_.size()); }
  const seq::PrefixExamples& examples() const { return examples_; }

  // CSR of each example's known items (distinct, ascending) and of its one held-out item.
  seq::SequenceCorpus known_items(std::span<const std::int64_t> examples) const;
  seq::SequenceCorpus heldout_items(std::span<const std::int64_t> examples) const;
  // The sampled protocol's candidates when the corpus stores negatives: per example its target,
  // then its row's N negatives (valid and test share them), row-major [examples * (1 + N)].
  bool has_candidates() const { return corpus_.negatives_per_user > 0; }
  std::vector<std::int32_t> candidates(std::span<const std::int64_t> examples) const;

  // The user id of example e as the corpus names it.
  std::string user_name(std::int64_t example) const;
  // The examples of the named `users`, or of the split's first `max_users` when none is named.
  std::vector<std::int64_t> select(const std::vector<std::string>& users, std::int64_t max_users,
                                   const std::string& source) const;

 private:
  const seq::SeqCorpus& corpus_;
  const seq::PrefixExamples& examples_;
  std::unordered_map<std::string, std::int64_t> example_of_;
};

}  // namespace rsdist::loader
