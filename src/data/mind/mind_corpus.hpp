// The MIND corpus: what `rsdist preprocess mind` writes and what the news-recommendation models
// read (schema: docs/corpus_mind.md).
//
// A corpus directory holds
//   news.h5                      news tensors, word/entity/context embeddings, word counts
//   dictionaries.json            users, news, words, entities, categories, subcategories (index ->
//                                name arrays: variable-length strings are awkward in HDF5 readers)
//   train-KKKKK-of-NNNNN.h5      contiguous ranges of the train samples, one file per shard, so
//                                that ranks read disjoint files
//   dev.h5, test.h5 (optional)   evaluation impressions and every candidate
//   manifest.json                written last (data/corpus_manifest.hpp)
// built in memory from the split folders by the dictionaries / news_tensors / behaviors /
// history_graph stages, as NNR's MIND_corpus.py does.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/mind/behaviors.hpp"
#include "data/mind/dictionaries.hpp"
#include "data/mind/history_graph.hpp"
#include "data/mind/news_reader.hpp"
#include "data/mind/news_tensors.hpp"

namespace rsdist::mind {

inline constexpr const char* kNewsFileName = "news.h5";
inline constexpr const char* kDictionariesFileName = "dictionaries.json";
inline constexpr const char* kDevFileName = "dev.h5";
inline constexpr const char* kTestFileName = "test.h5";

struct MindCorpusOptions {
  std::string train_dir, dev_dir, test_dir;  // test_dir empty: no test split
  std::string glove;                         // GloVe-format text file
  std::int32_t shards = 1;
  std::uint64_t seed = 1;  // word-embedding noise
  bool skip_bad_lines = false;
  bool skip_invalid_glove_words = false;  // GloVe words that are not UTF-8 (torchtext drops them)
  std::int32_t entity_dim = kEntityEmbeddingDim;
  VocabularyOptions vocabulary;
  NewsTensorOptions tensors;
  BehaviorOptions behaviors;
  // Training-time options, validated and recorded in the manifest only: the corpus stores what
  // every setting needs (all negatives, compact history categories).
  std::int32_t negative_sample_num = 4;
  HistoryGraphOptions graph;  // max_history_num and category_num are filled from the above/data
  // write_mind_corpus streams behaviors.tsv in chunks of about this many bytes: its memory holds
  // the news, the vocabulary and one chunk, whatever the number of impressions.
  std::size_t behaviors_chunk_bytes = std::size_t{8} << 20;
};

// What the manifest counts of one split's behaviors.
struct SplitSummary {
  std::int64_t impressions = 0;
  std::int64_t samples = 0;    // train: samples (clicks); dev/test: candidates
  std::int64_t negatives = 0;  // train: non-clicked candidates
  MissingNewsReport missing;
};

// Skipped-line reports of every input, in the manifest's naming ("train_news", "glove", ...).
struct NamedSkipCount {
  std::string name;
  std::int64_t skipped = 0;
  std::vector<std::string> first_messages;
};

// Everything the corpus files store, in memory.
struct MindCorpus {
  Dictionary users;
  NewsCorpus news;
  Vocabulary vocabulary;
  NewsTensors tensors;
  WordEmbeddings words;
  EmbeddingMatrix entity_embeddings;
  std::optional<EmbeddingMatrix> context_embeddings;  // when some split has context_embedding.vec
  TrainSamples train;  // the samples, by build_mind_corpus only (write_mind_corpus streams them)
  EvalSamples dev;
  std::optional<EvalSamples> test;
  SplitSummary train_summary, dev_summary;
  std::optional<SplitSummary> test_summary;
  HistoryGraphOptions graph;  // category_num = categories of the news dictionary
  std::vector<NamedSkipCount> skipped;
};

// Seconds per stage of build + write, for the log and the benchmark (never in the manifest, which
// must not change from run to run).
struct MindStageSeconds {
  double read_inputs = 0;     // news.tsv (write_mind_corpus), + behaviors.tsv (build_mind_corpus)
  double dictionaries = 0;    // tokenising every news (all cores), dictionaries, vocabulary, tensors
  double glove = 0;           // GloVe streaming (overlaps entities + behaviors)
  double entities = 0;        // build_mind_corpus only (write_mind_corpus counts it in behaviors)
  double behaviors = 0;       // write_mind_corpus: entities + the counting pass over behaviors
  double digests = 0;         // SHA-256 of every input (write_mind_corpus: on its own thread)
  double write = 0;           // HDF5 (+ the writing pass over behaviors) + JSON + manifest
};

// Reads and builds everything in memory (the reference the streamed files are tested against).
// Throws rsdist::Error naming file:line on malformed input.
MindCorpus build_mind_corpus(const MindCorpusOptions& options, MindStageSeconds* seconds = nullptr);

// Contiguous shard ranges over `samples`: shard k is [k*S/N, (k+1)*S/N).
std::vector<std::pair<std::int64_t, std::int64_t>> shard_ranges(std::int64_t samples,
                                                                std::int32_t shards);
// "train-00003-of-00008.h5"
std::string train_shard_file_name(std::int32_t shard, std::int32_t shards);

// The compact history-graph input of one history (news indices): their categories, padded with
// category_num to max_history_num (history_graph.hpp).
std::vector<std::int32_t> history_categories_of(std::span<const std::int32_t> history,
                                                const NewsTensors& tensors,
                                                const HistoryGraphOptions& graph);

// Builds and writes every corpus file into `dir` (existing, e.g. a staging directory), the
// manifest last, streaming the behaviors in two passes (count, then write) so that memory does not
// grow with the number of impressions; the files equal write_mind_corpus_files(build_mind_corpus()).
// Returns the manifest's counts.
nlohmann::ordered_json write_mind_corpus(const MindCorpusOptions& options,
                                         const std::filesystem::path& dir,
                                         MindStageSeconds* seconds = nullptr);

// news.h5 and dictionaries.json.
void write_mind_news_files(const MindCorpus& corpus, const std::filesystem::path& dir);
// Writes the corpus files other than the manifest (news.h5, dictionaries.json, shards, dev, test).
void write_mind_corpus_files(const MindCorpus& corpus, std::int32_t shards,
                             const std::filesystem::path& dir);

// Summary statistics measured from the HDF5 files (for `rsdist inspect`).
struct MindCorpusStatistics {
  std::int64_t news = 0;
  std::int64_t words = 0;
  std::int32_t word_dim = 0;
  std::int64_t entities = 0;
  std::int32_t entity_dim = 0;
  std::int32_t context_dim = 0;  // 0 without context embeddings
  std::int32_t max_title_length = 0, max_abstract_length = 0, max_history_num = 0;
  std::vector<std::int64_t> shard_samples;
  std::int64_t train_samples = 0;
  double train_mean_history = 0;
  std::int64_t dev_impressions = 0, dev_candidates = 0;
  double dev_mean_history = 0;
  bool has_test = false;
  std::int64_t test_impressions = 0, test_candidates = 0;
  double test_mean_history = 0;
};
MindCorpusStatistics read_mind_corpus_statistics(const std::filesystem::path& dir,
                                                 std::int32_t shards);

}  // namespace rsdist::mind
