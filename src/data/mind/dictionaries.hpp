// The MIND dictionaries, as NNR's MIND_corpus.py builds them:
//   users          "<UNK>"=0, then train behaviors' users in first-seen order
//   news           "<PAD>"=0, then news.tsv rows of train, dev, test in order (first row of an id wins)
//   categories     0-based in first-seen order of NEW news (no padding entry; the history graph uses
//   subcategories  index category_count for padded history slots)
//   entities       "<PAD>"=0, "<UNK>"=1, then WikidataIds of each new news' title entities, then its
//                  abstract entities, in order
//   words          counts over title and abstract tokens; numbers (is_number) count as "<NUM>" in
//                  every split; other words are counted in train, and in dev/test only when train
//                  already counted them. Vocabulary = "<PAD>"=0, "<UNK>"=1, then words with count >=
//                  word_threshold by descending count, ties in first-counted order (NNR sorts the
//                  Counter's items with Python's stable sort).
// Every news is tokenized once here (on all cores, merged in news order); its token ids (into `tokens`) and the entity id at each token
// are kept for news_tensors.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "data/mind/news_reader.hpp"

namespace rsdist::mind {

struct Dictionary {
  std::vector<std::string> names;  // index -> name
  std::unordered_map<std::string, std::int32_t> index;

  std::int32_t add(std::string_view name);  // existing index, or the next one
  std::int32_t find(std::string_view name) const;  // -1 when absent
  std::int32_t size() const { return static_cast<std::int32_t>(names.size()); }
};

// Defaults of NNR's config.py.
struct VocabularyOptions {
  std::int64_t word_threshold = 3;
};

// Per news index (0 = <PAD>, empty), CSR over tokens: text i spans [offsets[i], offsets[i+1]).
struct TokenizedTexts {
  std::vector<std::int64_t> offsets{0};
  std::vector<std::int32_t> token_ids;   // into NewsCorpus::tokens
  std::vector<std::int32_t> entity_ids;  // entity at that token (entities dictionary), 0 for none
  std::size_t size() const { return offsets.size() - 1; }
};

struct NewsCorpus {
  Dictionary news;
  Dictionary categories;
  Dictionary subcategories;
  Dictionary entities;
  std::vector<std::int32_t> news_category;     // per news index (0 for <PAD>, as NNR's np.zeros)
  std::vector<std::int32_t> news_subcategory;
  std::vector<std::int8_t> news_split;         // split (0 train, 1 dev, 2 test) that defined the news
  Dictionary tokens;                           // every distinct token, first-seen order
  std::vector<std::uint8_t> token_is_number;   // per token
  TokenizedTexts titles;
  TokenizedTexts abstracts;
};

// news_splits: the news tables of train, dev and (optionally) test, in that order.
NewsCorpus build_news_corpus(std::span<const NewsTable* const> news_splits);

Dictionary build_user_dictionary(const BehaviorsTable& train_behaviors);

struct Vocabulary {
  Dictionary words;                     // "<PAD>"=0, "<UNK>"=1, then by frequency
  std::vector<std::int64_t> counts;     // per word (0 for <PAD>, <UNK>)
  std::vector<std::int32_t> token_word; // per NewsCorpus token: its word id (<NUM> or <UNK> folded in)
};

Vocabulary build_vocabulary(const NewsCorpus& corpus, const VocabularyOptions& options = {});

inline constexpr std::int32_t kPadIndex = 0;
inline constexpr std::int32_t kUnkIndex = 1;
inline constexpr std::string_view kNumToken = "<NUM>";

}  // namespace rsdist::mind
