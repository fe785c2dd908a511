// Training and evaluation samples from MIND behaviors, as NNR's MIND_corpus.py builds them, stored
// as flat arrays with CSR offsets instead of one Python list per sample.
//
// Impressions: one per row of the BehaviorsTable, in file order, so impression i is the row (and
// the history graph) i; with no skipped lines it is NNR's behavior_index / dev_ID / test_ID.
//   user     user dictionary index; users absent from train map to 0 (<UNK>), as NNR for dev/test.
//   history  the last max_history_num news of the history line, oldest first (NNR:
//            history[-max_history_num:]). NNR right-pads it with news 0 (<PAD>) and a mask that is
//            1 on the first min(len, max_history_num) slots; an empty history is all padding with
//            an all-zero mask. Only the unpadded list is stored; a loader pads with 0 and derives
//            the mask from the length.
// Train: one sample per clicked candidate (label 1), in file order, including impressions without
//   non-clicked candidates (NNR keeps those samples, though its negative sampling then divides by
//   zero; the sampler must handle an empty negative list). The negatives are the impression's
//   non-clicked news in file order, stored once per impression (shared by its clicks); drawing
//   negative_sample_num of them happens per epoch at training time.
// Dev/test: every candidate with its impression index, news index and label (-1 when unlabeled).
//
// News ids missing from the news dictionary: NNR raises KeyError. Here MissingNews::kError throws
// rsdist::Error "behaviors.tsv:LINE: news id 'N123' in the history is not in any news.tsv";
// kSkip drops the id (before truncating the history, so a history keeps max_history_num known news)
// and counts it.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/mind/dictionaries.hpp"
#include "data/mind/news_reader.hpp"

namespace rsdist::mind {

enum class MissingNews { kError, kSkip };

struct BehaviorOptions {
  std::int32_t max_history_num = 50;  // NNR's default
  MissingNews missing_news = MissingNews::kError;
};

struct MissingNewsReport {
  std::int64_t history_ids = 0;             // history entries dropped
  std::int64_t impression_ids = 0;          // candidates dropped (for train: clicks and non-clicks)
  std::int64_t impressions_affected = 0;    // impressions that lost at least one id
  std::vector<std::string> first_messages;  // at most kMaxMessages, "file:line: ..."
  static constexpr std::size_t kMaxMessages = 20;
  std::int64_t total() const { return history_ids + impression_ids; }
  void merge(const MissingNewsReport& other);  // sums; first messages up to kMaxMessages
};

// News id -> index without building a std::string per lookup (millions of ids per split); the
// views point into the dictionary's names, which must outlive the lookup.
class NewsLookup {
 public:
  explicit NewsLookup(const Dictionary& news);
  std::int32_t find(std::string_view id) const {
    const auto it = index_.find(id);
    return it == index_.end() ? -1 : it->second;
  }

 private:
  std::unordered_map<std::string_view, std::int32_t> index_;
};

struct ImpressionTable {
  std::vector<std::int64_t> source_line;  // 1-based line in behaviors.tsv
  std::vector<std::int32_t> user;
  std::vector<std::int64_t> history_offsets{0};  // impression i: [offsets[i], offsets[i+1])
  std::vector<std::int32_t> history_news;        // news indices, oldest first
  std::size_t size() const { return user.size(); }
  std::span<const std::int32_t> history(std::size_t i) const {
    return {history_news.data() + history_offsets[i],
            static_cast<std::size_t>(history_offsets[i + 1] - history_offsets[i])};
  }
};

// For the samples of one chunk of a streamed file: `impression` fields (sample_impression,
// candidate_impression) are global (impression_base + row in the chunk); the ImpressionTable and
// the negatives CSR are the chunk's own (row r of the chunk).
struct TrainSamples {
  ImpressionTable impressions;
  std::vector<std::int64_t> negative_offsets{0};  // per impression, CSR into negative_news
  std::vector<std::int32_t> negative_news;        // non-clicked news, file order
  std::vector<std::int32_t> sample_impression;    // per sample: its impression
  std::vector<std::int32_t> positive_news;        // per sample: the clicked news
  MissingNewsReport missing;
  std::size_t size() const { return positive_news.size(); }
  std::span<const std::int32_t> negatives(std::size_t impression) const {
    return {
        negative_news.data() + negative_offsets[impression],
        static_cast<std::size_t>(negative_offsets[impression + 1] - negative_offsets[impression])};
  }
};

struct EvalSamples {
  ImpressionTable impressions;
  std::vector<std::int32_t> candidate_impression;  // per candidate, non-decreasing
  std::vector<std::int32_t> candidate_news;
  std::vector<std::int8_t> label;  // 1 clicked, 0 not clicked, -1 unlabeled (test)
  MissingNewsReport missing;
  std::size_t size() const { return candidate_news.size(); }
};

// `users` is the train user dictionary (build_user_dictionary); `news` the corpus' news dictionary.
// Train rows must be labeled (an unlabeled candidate is an error naming file:line).
TrainSamples build_train_samples(const BehaviorsTable& behaviors, const Dictionary& users,
                                 const Dictionary& news, const BehaviorOptions& options = {});
EvalSamples build_eval_samples(const BehaviorsTable& behaviors, const Dictionary& users,
                               const Dictionary& news, const BehaviorOptions& options = {});
// The same for one chunk of a streamed file whose first row is impression `impression_base`.
TrainSamples build_train_samples(const BehaviorsTable& behaviors, const Dictionary& users,
                                 const NewsLookup& news, const BehaviorOptions& options,
                                 std::int64_t impression_base);
EvalSamples build_eval_samples(const BehaviorsTable& behaviors, const Dictionary& users,
                               const NewsLookup& news, const BehaviorOptions& options,
                               std::int64_t impression_base);

}  // namespace rsdist::mind
