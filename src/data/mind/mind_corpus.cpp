// Building the MIND corpus in memory and recording it in the manifest; the files themselves are
// written by mind_corpus_files.cpp.
#include "data/mind/mind_corpus.hpp"

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <type_traits>

#include "core/error.hpp"
#include "core/stopwatch.hpp"
#include "data/corpus_manifest.hpp"
#include "data/mind/behaviors_writers.hpp"

namespace rsdist::mind {
namespace {
namespace fs = std::filesystem;


struct SplitDir {
  const char* name;  // "train", "dev", "test"
  std::string dir;
};

std::vector<SplitDir> split_dirs(const MindCorpusOptions& options) {
  std::vector<SplitDir> splits = {{"train", options.train_dir}, {"dev", options.dev_dir}};
  if (!options.test_dir.empty()) splits.push_back({"test", options.test_dir});
  return splits;
}

// The split folders, after checking the options every build needs.
std::vector<SplitDir> checked_splits(const MindCorpusOptions& options) {
  RSDIST_CHECK(options.shards >= 1, "--shards must be at least 1 (got {})", options.shards);
  RSDIST_CHECK(options.negative_sample_num >= 1, "--negative_sample_num must be at least 1");
  return split_dirs(options);
}

std::string in_dir(const std::string& dir, const char* file) {
  return (fs::path(dir) / file).string();
}

void add_skips(MindCorpus& corpus, std::string name, const SkipReport& report) {
  corpus.skipped.push_back({std::move(name), report.skipped_lines, report.first_messages});
}

void add_vector_skips(MindCorpus& corpus, const std::string& name,
                      const std::vector<VectorReadSummary>& sources) {
  SkipReport bad;
  for (const auto& s : sources) {
    bad.skipped_lines += s.bad_lines.skipped_lines;
    for (const auto& m : s.bad_lines.first_messages) bad.add(m);
  }
  add_skips(corpus, name, bad);
}

}  // namespace

std::vector<std::int32_t> history_categories_of(std::span<const std::int32_t> history,
                                                const NewsTensors& tensors,
                                                const HistoryGraphOptions& graph) {
  std::vector<std::int32_t> categories(history.size());
  for (std::size_t i = 0; i < history.size(); ++i) categories[i] = tensors.category[history[i]];
  return history_category_indices(categories, graph);
}

namespace {

// Every split's news.tsv, parsed concurrently.
std::vector<NewsTable> read_news_tables(const std::vector<SplitDir>& splits,
                                        const ReadOptions& read) {
  std::vector<std::future<NewsTable>> futures;
  for (const auto& s : splits) {
    futures.push_back(std::async(std::launch::async, [path = in_dir(s.dir, "news.tsv"), read] {
      return read_news(path, read);
    }));
  }
  // Reserved: the tables hold string_views into their own `content`, and a growing vector must
  // move, never copy, them.
  std::vector<NewsTable> tables;
  tables.reserve(splits.size());
  for (auto& f : futures) tables.push_back(f.get());
  return tables;
}

// News dictionary, vocabulary and news tensors (tokenising every title and abstract).
void build_news_stages(const MindCorpusOptions& options, const std::vector<NewsTable>& tables,
                       MindCorpus& corpus) {
  std::vector<const NewsTable*> news_splits;
  for (const auto& table : tables) news_splits.push_back(&table);
  corpus.news = build_news_corpus(news_splits);
  corpus.vocabulary = build_vocabulary(corpus.news, options.vocabulary);
  corpus.tensors = build_news_tensors(corpus.news, corpus.vocabulary, options.tensors);
  corpus.graph = options.graph;
  corpus.graph.max_history_num = options.behaviors.max_history_num;
  corpus.graph.category_num = corpus.news.categories.size();
  corpus.graph.validate();
}

// GloVe streaming is the longest single stage on real sizes; it needs only the vocabulary, so it
// runs beside the entity vectors and the behaviors.
std::future<WordEmbeddings> start_glove(const MindCorpusOptions& options, const MindCorpus& corpus,
                                        MindStageSeconds& t) {
  return std::async(std::launch::async, [&options, &corpus, &t] {
    const auto glove_start = SteadyClock::now();
    WordEmbeddingOptions word_options;
    word_options.seed = options.seed;
    word_options.glove.skip_bad_lines = options.skip_bad_lines;
    word_options.glove.skip_invalid_utf8_words = options.skip_invalid_glove_words;
    WordEmbeddings words = build_word_embeddings(corpus.vocabulary, options.glove, word_options);
    t.glove = seconds_since(glove_start);
    return words;
  });
}

void build_entity_stage(const MindCorpusOptions& options, const std::vector<SplitDir>& splits,
                        MindCorpus& corpus) {
  std::vector<std::string> dirs;
  for (const auto& s : splits) dirs.push_back(s.dir);
  VectorReadOptions vec_options;
  vec_options.skip_bad_lines = options.skip_bad_lines;
  const auto entity_files = existing_files(dirs, "entity_embedding.vec");
  corpus.entity_embeddings =
      build_entity_embeddings(corpus.news.entities, entity_files, options.entity_dim, vec_options);
  const auto context_files = existing_files(dirs, "context_embedding.vec");
  if (!context_files.empty()) {
    corpus.context_embeddings = build_entity_embeddings(corpus.news.entities, context_files,
                                                        options.entity_dim, vec_options);
  }
}

void finish_glove(std::future<WordEmbeddings>& glove, MindCorpus& corpus) {
  corpus.words = glove.get();
  add_vector_skips(corpus, "glove", corpus.words.matrix.sources);
  SkipReport invalid_words;
  for (const auto& s : corpus.words.matrix.sources) {
    invalid_words.skipped_lines += s.invalid_utf8_words.skipped_lines;
    for (const auto& m : s.invalid_utf8_words.first_messages) invalid_words.add(m);
  }
  add_skips(corpus, "glove_invalid_utf8_words", invalid_words);
  add_vector_skips(corpus, "entity_embedding", corpus.entity_embeddings.sources);
  if (corpus.context_embeddings) {
    add_vector_skips(corpus, "context_embedding", corpus.context_embeddings->sources);
  }
}

SplitSummary summarize(const TrainSamples& s) {
  return {static_cast<std::int64_t>(s.impressions.size()), static_cast<std::int64_t>(s.size()),
          static_cast<std::int64_t>(s.negative_news.size()), s.missing};
}
SplitSummary summarize(const EvalSamples& s) {
  return {static_cast<std::int64_t>(s.impressions.size()), static_cast<std::int64_t>(s.size()), 0,
          s.missing};
}
void accumulate(SplitSummary& total, const SplitSummary& chunk) {
  total.impressions += chunk.impressions;
  total.samples += chunk.samples;
  total.negatives += chunk.negatives;
  total.missing.merge(chunk.missing);
}

// The first pass over a behaviors file: its counts (and for train the user dictionary), building
// each chunk's samples exactly as the writing pass will, so that both agree on every skip.
struct BehaviorsScan {
  Dictionary users;  // train only
  SplitSummary summary;
  SkipReport skipped;
};

BehaviorsScan scan_behaviors(const std::string& path, bool train, const NewsLookup& lookup,
                             const MindCorpusOptions& options) {
  BehaviorsScan scan;
  scan.users.add("<UNK>");
  const ReadOptions read{options.skip_bad_lines};
  scan.skipped = for_each_behaviors_chunk(
      path, read, options.behaviors_chunk_bytes, [&](const BehaviorsTable& chunk) {
        const std::int64_t base = scan.summary.impressions;
        if (train) {
          for (const auto& row : chunk.rows) scan.users.add(row.user_id);
          accumulate(scan.summary, summarize(build_train_samples(chunk, scan.users, lookup,
                                                                 options.behaviors, base)));
        } else {
          accumulate(scan.summary, summarize(build_eval_samples(chunk, scan.users, lookup,
                                                                options.behaviors, base)));
        }
      });
  return scan;
}

}  // namespace

MindCorpus build_mind_corpus(const MindCorpusOptions& options, MindStageSeconds* seconds) {
  MindStageSeconds local;
  MindStageSeconds& t = seconds ? *seconds : local;
  const std::vector<SplitDir> splits = checked_splits(options);
  const ReadOptions read{options.skip_bad_lines};

  auto start = SteadyClock::now();
  std::vector<std::future<BehaviorsTable>> behavior_futures;
  for (const auto& s : splits) {
    behavior_futures.push_back(std::async(
        std::launch::async,
        [path = in_dir(s.dir, "behaviors.tsv"), read] { return read_behaviors(path, read); }));
  }
  const std::vector<NewsTable> news_tables = read_news_tables(splits, read);
  std::vector<BehaviorsTable> behavior_tables;
  behavior_tables.reserve(splits.size());
  for (auto& f : behavior_futures) behavior_tables.push_back(f.get());
  t.read_inputs = seconds_since(start);

  MindCorpus corpus;
  for (std::size_t i = 0; i < splits.size(); ++i) {
    add_skips(corpus, std::string(splits[i].name) + "_news", news_tables[i].skipped);
    add_skips(corpus, std::string(splits[i].name) + "_behaviors", behavior_tables[i].skipped);
  }

  start = SteadyClock::now();
  build_news_stages(options, news_tables, corpus);
  corpus.users = build_user_dictionary(behavior_tables[0]);
  t.dictionaries = seconds_since(start);

  auto glove = start_glove(options, corpus, t);
  start = SteadyClock::now();
  build_entity_stage(options, splits, corpus);
  t.entities = seconds_since(start);

  start = SteadyClock::now();
  corpus.train =
      build_train_samples(behavior_tables[0], corpus.users, corpus.news.news, options.behaviors);
  corpus.train_summary = summarize(corpus.train);
  corpus.dev =
      build_eval_samples(behavior_tables[1], corpus.users, corpus.news.news, options.behaviors);
  corpus.dev_summary = summarize(corpus.dev);
  if (splits.size() > 2) {
    corpus.test =
        build_eval_samples(behavior_tables[2], corpus.users, corpus.news.news, options.behaviors);
    corpus.test_summary = summarize(*corpus.test);
  }
  t.behaviors = seconds_since(start);
  finish_glove(glove, corpus);
  return corpus;
}

namespace {

nlohmann::ordered_json missing_json(const MissingNewsReport& m) {
  return {{"history_ids", m.history_ids},
          {"impression_ids", m.impression_ids},
          {"impressions_affected", m.impressions_affected}};
}

nlohmann::ordered_json corpus_counts(const MindCorpus& c, std::int32_t shards) {
  nlohmann::ordered_json counts;
  counts["users"] = c.users.size();
  counts["news"] = c.tensors.news_count;
  counts["words"] = c.vocabulary.words.size();
  counts["entities"] = c.news.entities.size();
  counts["categories"] = c.news.categories.size();
  counts["subcategories"] = c.news.subcategories.size();
  counts["word_dim"] = c.words.matrix.dim;
  counts["glove_vectors"] = c.words.glove_vectors;
  counts["glove_words_found"] = c.words.matrix.rows_found;
  counts["entity_vectors_found"] = c.entity_embeddings.rows_found;
  if (c.context_embeddings) counts["context_vectors_found"] = c.context_embeddings->rows_found;
  counts["title_truncated"] = c.tensors.title.truncated_texts;
  counts["abstract_truncated"] = c.tensors.abstract.truncated_texts;
  counts["train_impressions"] = c.train_summary.impressions;
  counts["train_samples"] = c.train_summary.samples;
  counts["train_negatives"] = c.train_summary.negatives;
  nlohmann::ordered_json per_shard = nlohmann::ordered_json::array();
  for (const auto& [begin, end] : shard_ranges(c.train_summary.samples, shards)) {
    per_shard.push_back(end - begin);
  }
  counts["train_shard_samples"] = per_shard;
  counts["dev_impressions"] = c.dev_summary.impressions;
  counts["dev_candidates"] = c.dev_summary.samples;
  if (c.test_summary) {
    counts["test_impressions"] = c.test_summary->impressions;
    counts["test_candidates"] = c.test_summary->samples;
  }
  nlohmann::ordered_json missing;
  missing["train"] = missing_json(c.train_summary.missing);
  missing["dev"] = missing_json(c.dev_summary.missing);
  if (c.test_summary) missing["test"] = missing_json(c.test_summary->missing);
  counts["missing_news"] = missing;
  nlohmann::ordered_json skipped;
  for (const auto& s : c.skipped) skipped[s.name] = s.skipped;
  counts["skipped_lines"] = skipped;
  return counts;
}

nlohmann::ordered_json corpus_options(const MindCorpusOptions& o) {
  return {{"shards", o.shards},
          {"seed", o.seed},
          {"word_threshold", o.vocabulary.word_threshold},
          {"max_title_length", o.tensors.max_title_length},
          {"max_abstract_length", o.tensors.max_abstract_length},
          {"max_history_num", o.behaviors.max_history_num},
          {"negative_sample_num", o.negative_sample_num},
          {"self_connection", o.graph.self_connection},
          {"adjacent_normalization", o.graph.adjacent_normalization},
          {"gcn_normalization_type",
           o.graph.normalization == GraphNormalization::kSymmetric ? "symmetric" : "asymmetric"},
          {"entity_dim", o.entity_dim},
          {"word_noise_std", WordEmbeddingOptions{}.noise_std},
          {"missing_news", o.behaviors.missing_news == MissingNews::kSkip ? "skip" : "error"},
          {"skip_bad_lines", o.skip_bad_lines},
          {"skip_invalid_glove_words", o.skip_invalid_glove_words},
          {"test", !o.test_dir.empty()}};
}

std::vector<data::ManifestInput> describe_inputs(const MindCorpusOptions& options,
                                                 const std::atomic<bool>* stop) {
  std::vector<data::ManifestInput> inputs;
  const auto add = [&](const std::string& role, const std::string& path) {
    inputs.push_back(data::describe_input(role, path, stop));
  };
  for (const auto& s : split_dirs(options)) {
    add(std::string(s.name) + "_news", in_dir(s.dir, "news.tsv"));
    add(std::string(s.name) + "_behaviors", in_dir(s.dir, "behaviors.tsv"));
    for (const char* vec : {"entity_embedding", "context_embedding"}) {
      const std::string path = in_dir(s.dir, (std::string(vec) + ".vec").c_str());
      if (fs::exists(path)) add(std::string(s.name) + "_" + vec, path);
    }
  }
  add("glove", options.glove);
  return inputs;
}

// Hashes the inputs on a thread of its own while the corpus is built; abandoned promptly when the
// build fails (a parse error must not wait for gigabytes of hashing).
class InputDigests {
 public:
  explicit InputDigests(const MindCorpusOptions& options) {
    future_ = std::async(std::launch::async, [this, &options] {
      const auto start = SteadyClock::now();
      auto inputs = describe_inputs(options, &stop_);
      seconds_ = seconds_since(start);
      return inputs;
    });
  }
  ~InputDigests() {
    stop_ = true;
    if (future_.valid()) future_.wait();
  }
  InputDigests(const InputDigests&) = delete;
  InputDigests& operator=(const InputDigests&) = delete;
  std::vector<data::ManifestInput> get() { return future_.get(); }
  double seconds() const { return seconds_; }

 private:
  std::atomic<bool> stop_{false};
  double seconds_ = 0;
  std::future<std::vector<data::ManifestInput>> future_;
};

// Pass 2: streams one behaviors file again, writing each chunk's samples.
template <typename Writer>
void write_behaviors(const std::string& path, const MindCorpus& corpus, const NewsLookup& lookup,
                     const MindCorpusOptions& options, Writer& writer) {
  std::int64_t base = 0;
  for_each_behaviors_chunk(
      path, ReadOptions{options.skip_bad_lines}, options.behaviors_chunk_bytes,
      [&](const BehaviorsTable& chunk) {
        if constexpr (std::is_same_v<Writer, TrainShardWriter>) {
          writer.add(build_train_samples(chunk, corpus.users, lookup, options.behaviors, base),
                     base);
        } else {
          writer.add(build_eval_samples(chunk, corpus.users, lookup, options.behaviors, base),
                     base);
        }
        base += static_cast<std::int64_t>(chunk.rows.size());
      });
  writer.finish();
}

}  // namespace

std::vector<std::pair<std::int64_t, std::int64_t>> shard_ranges(std::int64_t samples,
                                                                std::int32_t shards) {
  RSDIST_CHECK(shards >= 1, "--shards must be at least 1 (got {})", shards);
  std::vector<std::pair<std::int64_t, std::int64_t>> ranges;
  for (std::int64_t k = 0; k < shards; ++k) {
    ranges.emplace_back(k * samples / shards, (k + 1) * samples / shards);
  }
  return ranges;
}

std::string train_shard_file_name(std::int32_t shard, std::int32_t shards) {
  return fmt::format("train-{:05d}-of-{:05d}.h5", shard, shards);
}

nlohmann::ordered_json write_mind_corpus(const MindCorpusOptions& options, const fs::path& dir,
                                         MindStageSeconds* seconds) {
  MindStageSeconds local;
  MindStageSeconds& t = seconds ? *seconds : local;
  const std::vector<SplitDir> splits = checked_splits(options);
  const ReadOptions read{options.skip_bad_lines};
  InputDigests digests(options);

  // News first: the behaviors need the news dictionary to resolve ids.
  auto start = SteadyClock::now();
  const std::vector<NewsTable> news_tables = read_news_tables(splits, read);
  t.read_inputs = seconds_since(start);
  MindCorpus corpus;
  start = SteadyClock::now();
  build_news_stages(options, news_tables, corpus);
  t.dictionaries = seconds_since(start);
  const NewsLookup lookup(corpus.news.news);

  // Pass 1 over every behaviors file (counts, train users) beside GloVe and the entity vectors.
  start = SteadyClock::now();
  std::vector<std::future<BehaviorsScan>> scans;
  for (std::size_t i = 0; i < splits.size(); ++i) {
    scans.push_back(std::async(std::launch::async, [&, i] {
      return scan_behaviors(in_dir(splits[i].dir, "behaviors.tsv"), i == 0, lookup, options);
    }));
  }
  auto glove = start_glove(options, corpus, t);
  build_entity_stage(options, splits, corpus);
  std::vector<BehaviorsScan> scanned;
  for (auto& f : scans) scanned.push_back(f.get());
  t.behaviors = seconds_since(start);
  for (std::size_t i = 0; i < splits.size(); ++i) {
    add_skips(corpus, std::string(splits[i].name) + "_news", news_tables[i].skipped);
    add_skips(corpus, std::string(splits[i].name) + "_behaviors", scanned[i].skipped);
  }
  corpus.users = std::move(scanned[0].users);
  corpus.train_summary = scanned[0].summary;
  corpus.dev_summary = scanned[1].summary;
  if (splits.size() > 2) corpus.test_summary = scanned[2].summary;
  RSDIST_CHECK(corpus.train_summary.samples >= options.shards,
               "--shards {} is more than the {} train samples", options.shards,
               corpus.train_summary.samples);
  finish_glove(glove, corpus);

  // Pass 2: the files (HDF5 is used by one thread at a time).
  start = SteadyClock::now();
  write_mind_news_files(corpus, dir);
  {
    TrainShardWriter writer(dir, corpus.train_summary.samples, options.shards,
                            corpus.tensors.category, corpus.graph);
    write_behaviors(in_dir(splits[0].dir, "behaviors.tsv"), corpus, lookup, options, writer);
  }
  for (std::size_t i = 1; i < splits.size(); ++i) {
    const SplitSummary& summary = i == 1 ? corpus.dev_summary : *corpus.test_summary;
    EvalFileWriter writer(dir / (i == 1 ? kDevFileName : kTestFileName), summary.impressions,
                          summary.samples, corpus.tensors.category, corpus.graph);
    write_behaviors(in_dir(splits[i].dir, "behaviors.tsv"), corpus, lookup, options, writer);
  }
  t.write = seconds_since(start);

  start = SteadyClock::now();
  data::CorpusManifest manifest;
  manifest.kind = "mind";
  manifest.inputs = digests.get();
  t.digests = digests.seconds();
  manifest.options = corpus_options(options);
  manifest.counts = corpus_counts(corpus, options.shards);
  manifest.files.push_back(
      {kNewsFileName, "news tensors, word/entity/context embeddings, word counts"});
  manifest.files.push_back({kDictionariesFileName,
                            "index -> name of users, news, words, entities, "
                            "categories, subcategories"});
  for (std::int32_t k = 0; k < options.shards; ++k) {
    manifest.files.push_back({train_shard_file_name(k, options.shards),
                              fmt::format("train samples, shard {} of {}", k, options.shards)});
  }
  manifest.files.push_back({kDevFileName, "dev impressions and candidates"});
  if (corpus.test_summary)
    manifest.files.push_back({kTestFileName, "test impressions and candidates"});
  data::write_corpus_manifest(dir, manifest);
  t.write += seconds_since(start);
  return manifest.counts;
}

}  // namespace rsdist::mind
