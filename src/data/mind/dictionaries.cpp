#include "data/mind/dictionaries.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <exception>
#include <numeric>
#include <thread>

#include "core/error.hpp"
#include "data/mind/tokenizer.hpp"

namespace rsdist::mind {

std::int32_t Dictionary::add(std::string_view name) {
  auto [it, inserted] = index.try_emplace(std::string(name), size());
  if (inserted) names.emplace_back(name);
  return it->second;
}

std::int32_t Dictionary::find(std::string_view name) const {
  const auto it = index.find(std::string(name));
  return it == index.end() ? -1 : it->second;
}

Dictionary build_user_dictionary(const BehaviorsTable& train_behaviors) {
  Dictionary users;
  users.add("<UNK>");
  for (const auto& row : train_behaviors.rows) users.add(row.user_id);
  return users;
}

namespace {

// The tokens of a block of news, tokenised on a worker thread: for each text (title, abstract of
// each news in turn) its tokens' bytes in `chars` and the entity id at each token.
struct TokenBlock {
  std::string chars;
  std::vector<std::uint32_t> token_end;  // byte end of each token in chars
  std::vector<std::int32_t> entity_ids;  // per token
  std::vector<std::size_t> text_end;     // per text: its end in token_end
  std::exception_ptr error;              // the first failure; the block stops there
};

// Tokenizes one text into `block` and marks entity occurrences on its tokens. NNR maps offsets to
// tokens by walking the title and skipping only spaces, which misplaces every token after a
// punctuation mark or apostrophe ("Trump's" ...); here each token knows its exact code-point span,
// so an OccurrenceOffset inside a token's span marks that token. Later entities overwrite earlier
// ones on the same token, as in NNR; offsets outside every token are ignored.
void tokenize_text(std::string_view text, const std::vector<NewsEntity>& text_entities,
                   const Dictionary& entities, TokenBlock& block, TokenizedText& scratch) {
  tokenize(text, scratch);
  const std::size_t first = block.entity_ids.size();
  for (std::size_t i = 0; i < scratch.size(); ++i) {
    block.chars += scratch.token(i);
    block.token_end.push_back(static_cast<std::uint32_t>(block.chars.size()));
    block.entity_ids.push_back(0);
  }
  for (const auto& entity : text_entities) {
    const std::int32_t entity_id = entities.find(entity.wikidata_id);
    for (const std::int32_t offset : entity.occurrence_offsets) {
      const auto& spans = scratch.tokens;
      auto it = std::upper_bound(
          spans.begin(), spans.end(), offset,
          [](std::int32_t value, const TokenSpan& span) { return value < span.char_begin; });
      if (it == spans.begin()) continue;
      --it;
      if (offset >= it->char_end) continue;
      block.entity_ids[first + static_cast<std::size_t>(it - spans.begin())] = entity_id;
    }
  }
  block.text_end.push_back(block.token_end.size());
}

struct NewNews {
  const NewsTable* table;
  const NewsRow* row;
};

// Tokenizes every news' title and abstract on all cores, in blocks taken in any order; the caller
// merges the blocks in news order, so token ids are those of a sequential pass.
std::vector<TokenBlock> tokenize_news(const std::vector<NewNews>& news,
                                      const Dictionary& entities) {
  constexpr std::size_t kBlock = 512;
  const std::size_t blocks = (news.size() + kBlock - 1) / kBlock;
  std::vector<TokenBlock> out(blocks);
  std::atomic<std::size_t> next{0};
  const auto work = [&] {
    TokenizedText scratch;
    for (std::size_t b = next++; b < blocks; b = next++) {
      TokenBlock& block = out[b];
      const std::size_t end = std::min(news.size(), (b + 1) * kBlock);
      for (std::size_t i = b * kBlock; i < end; ++i) {
        const NewsRow& row = *news[i].row;
        try {
          tokenize_text(row.title, row.title_entities, entities, block, scratch);
          tokenize_text(row.abstract, row.abstract_entities, entities, block, scratch);
        } catch (const Error& error) {
          block.error = std::make_exception_ptr(
              Error(fmt::format("{}:{}: {}", news[i].table->path, row.line, error.message()),
                    __FILE__, __LINE__));
          break;
        }
      }
    }
  };
  const std::size_t threads =
      std::min<std::size_t>(blocks, std::max(1u, std::thread::hardware_concurrency()));
  std::vector<std::thread> pool;
  for (std::size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (const auto& block : out) {
    if (block.error) std::rethrow_exception(block.error);  // the earliest news' failure
  }
  return out;
}

}  // namespace

NewsCorpus build_news_corpus(std::span<const NewsTable* const> news_splits) {
  NewsCorpus corpus;
  corpus.news.add("<PAD>");
  corpus.entities.add("<PAD>");
  corpus.entities.add("<UNK>");
  corpus.news_category.push_back(0);
  corpus.news_subcategory.push_back(0);
  corpus.news_split.push_back(0);
  corpus.titles.offsets.push_back(0);
  corpus.abstracts.offsets.push_back(0);
  // Dictionaries first (cheap, sequential), then the tokens of every new news in parallel.
  std::vector<NewNews> new_news;
  for (std::size_t split = 0; split < news_splits.size(); ++split) {
    const NewsTable& table = *news_splits[split];
    for (const NewsRow& row : table.rows) {
      const std::int32_t before = corpus.news.size();
      if (corpus.news.add(row.news_id) != before) continue;  // already defined by an earlier row
      corpus.news_category.push_back(corpus.categories.add(row.category));
      corpus.news_subcategory.push_back(corpus.subcategories.add(row.subcategory));
      corpus.news_split.push_back(static_cast<std::int8_t>(split));
      for (const auto& entity : row.title_entities) corpus.entities.add(entity.wikidata_id);
      for (const auto& entity : row.abstract_entities) corpus.entities.add(entity.wikidata_id);
      new_news.push_back({&table, &row});
    }
  }
  const std::vector<TokenBlock> blocks = tokenize_news(new_news, corpus.entities);
  for (const TokenBlock& block : blocks) {
    std::size_t token = 0;
    std::uint32_t byte = 0;
    for (std::size_t text = 0; text < block.text_end.size(); ++text) {
      TokenizedTexts& texts = text % 2 == 0 ? corpus.titles : corpus.abstracts;
      for (; token < block.text_end[text]; ++token) {
        const std::string_view name(block.chars.data() + byte, block.token_end[token] - byte);
        byte = block.token_end[token];
        const std::int32_t before = corpus.tokens.size();
        const std::int32_t id = corpus.tokens.add(name);
        if (id == before) corpus.token_is_number.push_back(is_number(name) ? 1 : 0);
        texts.token_ids.push_back(id);
        texts.entity_ids.push_back(block.entity_ids[token]);
      }
      texts.offsets.push_back(static_cast<std::int64_t>(texts.token_ids.size()));
    }
  }
  return corpus;
}

Vocabulary build_vocabulary(const NewsCorpus& corpus, const VocabularyOptions& options) {
  // counter_order[t]: position of token t in NNR's Counter (first counted occurrence), -1 if never.
  const std::size_t token_count = corpus.token_is_number.size();
  std::vector<std::int64_t> token_counts(token_count, 0);
  std::vector<std::int64_t> counter_order(token_count, -1);
  std::int64_t num_count = 0;
  std::int64_t num_order = -1;
  std::int64_t next_order = 0;
  const auto count_text = [&](const TokenizedTexts& texts, std::size_t news) {
    const bool train = corpus.news_split[news] == 0;
    for (std::int64_t k = texts.offsets[news]; k < texts.offsets[news + 1]; ++k) {
      const auto t = static_cast<std::size_t>(texts.token_ids[static_cast<std::size_t>(k)]);
      if (corpus.token_is_number[t]) {
        if (num_order < 0) num_order = next_order++;
        ++num_count;
      } else if (train || counter_order[t] >= 0) {
        if (counter_order[t] < 0) counter_order[t] = next_order++;
        ++token_counts[t];
      }
    }
  };
  for (std::size_t news = 1; news < corpus.news_split.size(); ++news) {
    count_text(corpus.titles, news);
    count_text(corpus.abstracts, news);
  }
  // Entries in Counter order; kNum stands for "<NUM>".
  constexpr std::int64_t kNum = -1;
  std::vector<std::pair<std::int64_t, std::int64_t>> entries(
      static_cast<std::size_t>(next_order));  // (token, count)
  for (std::size_t t = 0; t < token_count; ++t) {
    if (counter_order[t] >= 0)
      entries[static_cast<std::size_t>(counter_order[t])] = {static_cast<std::int64_t>(t),
                                                             token_counts[t]};
  }
  if (num_order >= 0) entries[static_cast<std::size_t>(num_order)] = {kNum, num_count};
  std::stable_sort(entries.begin(), entries.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });

  Vocabulary vocabulary;
  vocabulary.words.add("<PAD>");
  vocabulary.words.add("<UNK>");
  vocabulary.counts = {0, 0};
  vocabulary.token_word.assign(token_count, kUnkIndex);
  std::int32_t num_word = kUnkIndex;
  for (const auto& [token, count] : entries) {
    if (count < options.word_threshold) break;  // sorted by count: the rest are below too
    const std::string_view name =
        token == kNum ? kNumToken
                      : std::string_view(corpus.tokens.names[static_cast<std::size_t>(token)]);
    const std::int32_t word = vocabulary.words.add(name);
    vocabulary.counts.push_back(count);
    if (token == kNum) {
      num_word = word;
    } else {
      vocabulary.token_word[static_cast<std::size_t>(token)] = word;
    }
  }
  // Numbers map to <NUM> (or <UNK> when <NUM> is below the threshold; NNR would fail there).
  for (std::size_t t = 0; t < token_count; ++t) {
    if (corpus.token_is_number[t]) vocabulary.token_word[t] = num_word;
  }
  return vocabulary;
}

}  // namespace rsdist::mind
