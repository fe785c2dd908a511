// The news side of the synthetic MIND data set: vocabulary, entities and the news.tsv rows, plus
// the GloVe and entity-vector files that describe them (mind_news.cpp; the text of titles and
// abstracts in mind_text.cpp). Users and impressions live in mind_synth.cpp.
//
// Structure planted for models to learn: every category (topic) has its own Zipf-distributed
// vocabulary, subcategories and entities, and both word and entity vectors are the topic's centroid
// plus noise, so text and entities carry the topic.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "data/synth/synth.hpp"
#include "data/synth/synth_text.hpp"

namespace rsdist::synth::mind {

// Stream ids for Rng::stream(seed, {kind, ...}); one per independent part of the world, so that
// changing how many draws one part makes never shifts another.
enum StreamKind : std::uint64_t {
  kWords = 1,
  kEntities,
  kNewsMeta,
  kNewsText,
  kUrls,
  kWordVectors,
  kWordCentroids,
  kEntityVectors,
  kEntityCentroids,
  kUsers,
  kHistories,
  kImpressions,
  kGloveExtras,
};

enum class WordKind : std::uint8_t {
  kStop,
  kPunct,
  kNumber,
  kAccented,
  kGeneral,
  kTopic,
  kName,
  kTag
};

struct Word {
  std::string text;   // as written in running text (before sentence capitalisation)
  std::string lower;  // the GloVe form
  WordKind kind;
  std::int32_t topic;  // -1: not topical
  bool in_glove;
  std::int64_t count = 0;  // occurrences in the generated corpus (orders glove.txt like real GloVe)
};

struct Entity {
  std::string label;                        // "Fort Lauderdale, Florida"
  std::string surface;                      // "Fort Lauderdale": what the text contains
  std::vector<std::int32_t> surface_words;  // vocabulary indices of the surface form's words
  char type;
  std::string wikidata_id;  // "Q165972"
  std::string confidence;   // as MIND writes it: "1.0", "0.987"
  std::int32_t topic;
};

struct News {
  std::int32_t topic;
  std::int32_t subcategory;
  double log_popularity;   // popularity weight = exp(log_popularity)
  std::int32_t first_day;  // 0: published before the log starts; 1..7: on that day of the log
  std::string row;         // the complete news.tsv line, newline included
  std::vector<std::int32_t> entities;  // distinct entity indices mentioned in title or abstract
};

class NewsWorld {
 public:
  explicit NewsWorld(const MindOptions& options);

  const std::vector<News>& news() const { return news_; }
  const std::vector<Entity>& entities() const { return entities_; }
  std::int64_t topics() const { return static_cast<std::int64_t>(categories_.size()); }

  // Writes glove.txt: in-GloVe corpus words ordered by corpus frequency, plus words the corpus
  // never uses. Returns the number of lines.
  std::int64_t write_glove(const std::filesystem::path& path) const;

  // Writes entity_embedding.vec for the given entity indices (ascending).
  void write_entity_vectors(const std::filesystem::path& path,
                            const std::vector<std::int32_t>& entity_indices) const;

  static std::string news_id(std::int64_t index) { return "N" + std::to_string(index + 1); }

 private:
  struct TextOut;
  struct Mention {
    std::int32_t entity;
    std::int64_t offset;  // in code points
  };

  void build_vocabulary(WordFactory& factory);
  void build_entities(WordFactory& factory);
  void build_news();
  std::int32_t add_word(std::string text, std::string lower, WordKind kind, std::int32_t topic,
                        bool in_glove);
  std::int32_t draw_word(Rng& rng, std::int32_t topic);
  std::int32_t draw_entity(Rng& rng, std::int32_t topic);
  std::string render_title(Rng& rng, std::int32_t topic, std::vector<Mention>& mentions);
  std::string render_abstract(Rng& rng, std::int32_t topic,
                              const std::vector<Mention>& title_mentions,
                              std::vector<Mention>& mentions);
  void render_units(Rng& rng, std::int32_t topic, std::int64_t words,
                    const std::vector<std::int32_t>& entities, bool is_title, bool title_case,
                    TextOut& out);
  void append_entities_json(std::string& out, const std::vector<Mention>& mentions) const;

  MindOptions options_;
  std::vector<std::string> categories_;
  std::vector<std::vector<std::string>> subcategories_;
  std::vector<Word> words_;
  std::vector<Entity> entities_;
  std::vector<News> news_;

  // Samplers over vocabulary positions (values are indices into words_).
  std::vector<std::int32_t> stop_ids_, number_ids_, accented_ids_, general_ids_, tag_ids_;
  std::vector<std::vector<std::int32_t>> topic_word_ids_, topic_entity_ids_;
  WeightedSampler stop_sampler_, number_sampler_, general_sampler_, topic_sampler_;
  std::vector<WeightedSampler> topic_word_samplers_, topic_entity_samplers_, subcategory_samplers_;
  std::int32_t comma_ = 0, period_ = 0, question_ = 0, exclamation_ = 0, colon_ = 0, bar_ = 0,
               possessive_ = 0, ellipsis_ = 0;
};

}  // namespace rsdist::synth::mind
