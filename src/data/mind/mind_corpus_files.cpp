// The MIND corpus files (docs/corpus_mind.md): news.h5, dictionaries.json, the train shards, dev.h5
// and test.h5; and the statistics `rsdist inspect` measures from them.
#include <fstream>

#include "core/error.hpp"
#include "core/staging.hpp"
#include "data/corpus_manifest.hpp"
#include "data/hdf5/file.hpp"
#include "data/mind/mind_corpus.hpp"
#include "data/mind/utf8.hpp"

namespace rsdist::mind {
namespace {
namespace fs = std::filesystem;
using Shape = std::vector<std::uint64_t>;

std::uint64_t u64(std::int64_t v) { return static_cast<std::uint64_t>(v); }

void write_root_attributes(h5::File& file, const std::string& kind) {
  file.write_attribute("/", "kind", kind);
  file.write_attribute("/", "schema_version", std::to_string(data::kCorpusSchemaVersion));
}

void write_text(h5::File& file, const std::string& field, const TextTensor& text,
                std::int64_t news) {
  const Shape shape = {u64(news), u64(text.length)};
  file.write("news/" + field + "_ids", text.word_ids, shape);
  file.write("news/" + field + "_mask", text.mask, shape);
  file.write("news/" + field + "_entity_ids", text.entity_ids, shape);
}

void write_embedding(h5::File& file, const std::string& name, const EmbeddingMatrix& m) {
  file.write(name, m.values, {u64(m.rows), u64(m.dim)});
}

void write_news_file(const MindCorpus& c, const fs::path& path) {
  h5::File file = h5::File::create(path);
  write_root_attributes(file, "mind_news");
  const std::int64_t n = c.tensors.news_count;
  write_text(file, "title", c.tensors.title, n);
  write_text(file, "abstract", c.tensors.abstract, n);
  file.write("news/category", c.tensors.category);
  file.write("news/subcategory", c.tensors.subcategory);
  std::vector<std::uint8_t> split(c.news.news_split.begin(), c.news.news_split.end());
  file.write("news/split", split);
  write_embedding(file, "words/embedding", c.words.matrix);
  file.write("words/in_glove", c.words.matrix.found);
  file.write("words/count", c.vocabulary.counts);
  write_embedding(file, "entities/embedding", c.entity_embeddings);
  file.write("entities/found", c.entity_embeddings.found);
  if (c.context_embeddings) {
    write_embedding(file, "entities/context_embedding", *c.context_embeddings);
    file.write("entities/context_found", c.context_embeddings->found);
  }
  file.close();
}

void write_dictionaries(const MindCorpus& c, const fs::path& path) {
  nlohmann::ordered_json json;
  const auto add = [&](const char* name, const Dictionary& dictionary) {
    // nlohmann would only say "invalid UTF-8 byte at index N"; name the dictionary and entry.
    for (std::size_t i = 0; i < dictionary.names.size(); ++i) {
      RSDIST_CHECK(!find_invalid_utf8(dictionary.names[i]), "{}: {} entry {} is not valid UTF-8",
                   path.string(), name, i);
    }
    json[name] = dictionary.names;
  };
  add("users", c.users);
  add("news", c.news.news);
  add("words", c.vocabulary.words);
  add("entities", c.news.entities);
  add("categories", c.news.categories);
  add("subcategories", c.news.subcategories);
  write_file_atomically(path, json.dump() + "\n");
}

// Histories of `rows` impressions as [rows, N] news (0-padded), lengths and [rows, N] categories.
struct HistoryBlock {
  std::vector<std::int32_t> news, length, categories;
};

template <typename ImpressionOf>
HistoryBlock history_block(const ImpressionTable& impressions, std::int64_t rows,
                           ImpressionOf&& impression_of, const MindCorpus& c) {
  const std::size_t width = static_cast<std::size_t>(c.graph.max_history_num);
  HistoryBlock block;
  block.news.assign(static_cast<std::size_t>(rows) * width, 0);
  block.length.resize(static_cast<std::size_t>(rows));
  block.categories.resize(static_cast<std::size_t>(rows) * width);
  std::vector<std::int32_t> categories;
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto history = impressions.history(static_cast<std::size_t>(impression_of(r)));
    RSDIST_CHECK(history.size() <= width, "a history longer than max_history_num ({} > {})",
                 history.size(), width);
    std::copy(history.begin(), history.end(), block.news.begin() + r * width);
    block.length[r] = static_cast<std::int32_t>(history.size());
    categories.resize(history.size());
    for (std::size_t i = 0; i < history.size(); ++i) categories[i] = c.tensors.category[history[i]];
    history_category_indices(categories, c.graph,
                             std::span<std::int32_t>(block.categories).subspan(r * width, width));
  }
  return block;
}

void write_history(h5::File& file, const std::string& prefix, const HistoryBlock& block,
                   std::int64_t rows, std::int32_t width) {
  file.write(prefix + "history", block.news, {u64(rows), u64(width)});
  file.write(prefix + "history_length", block.length);
  file.write(prefix + "history_categories", block.categories, {u64(rows), u64(width)});
}

void write_train_shard(const MindCorpus& c, std::int64_t begin, std::int64_t end,
                       std::int32_t shard, std::int32_t shards, const fs::path& path) {
  const TrainSamples& t = c.train;
  const std::int64_t rows = end - begin;
  h5::File file = h5::File::create(path);
  write_root_attributes(file, "mind_train_shard");
  file.write_attribute("/", "shard", std::to_string(shard));
  file.write_attribute("/", "shards", std::to_string(shards));
  file.write("sample_range", std::vector<std::int64_t>{begin, end});

  std::vector<std::int32_t> impression(t.sample_impression.begin() + begin,
                                       t.sample_impression.begin() + end);
  std::vector<std::int32_t> positive(t.positive_news.begin() + begin, t.positive_news.begin() + end);
  std::vector<std::int32_t> user(static_cast<std::size_t>(rows));
  // Negatives per sample (not per impression) so that every shard is self-contained: clicks of one
  // impression share its list, which costs ~1.5x storage on MIND and saves a second indirection.
  std::vector<std::int64_t> negative_offsets{0};
  std::vector<std::int32_t> negatives;
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto imp = static_cast<std::size_t>(impression[r]);
    user[r] = t.impressions.user[imp];
    const auto neg = t.negatives(imp);
    negatives.insert(negatives.end(), neg.begin(), neg.end());
    negative_offsets.push_back(static_cast<std::int64_t>(negatives.size()));
  }
  file.write("impression", impression);
  file.write("user", user);
  write_history(file, "", history_block(t.impressions, rows, [&](std::int64_t r) { return impression[r]; }, c),
                rows, c.graph.max_history_num);
  file.write("positive", positive);
  file.write("negative_offsets", negative_offsets);
  file.write("negatives", negatives);
  file.close();
}

void write_eval_file(const MindCorpus& c, const EvalSamples& e, const fs::path& path) {
  const auto rows = static_cast<std::int64_t>(e.impressions.size());
  h5::File file = h5::File::create(path);
  write_root_attributes(file, "mind_eval");
  file.write("impressions/user", e.impressions.user);
  file.write("impressions/source_line", e.impressions.source_line);
  write_history(file, "impressions/",
                history_block(e.impressions, rows, [](std::int64_t r) { return r; }, c), rows,
                c.graph.max_history_num);
  std::vector<std::int64_t> offsets(static_cast<std::size_t>(rows) + 1, 0);
  for (const std::int32_t imp : e.candidate_impression) ++offsets[static_cast<std::size_t>(imp) + 1];
  for (std::size_t i = 1; i < offsets.size(); ++i) offsets[i] += offsets[i - 1];
  file.write("impressions/candidate_offsets", offsets);
  file.write("candidates/impression", e.candidate_impression);
  file.write("candidates/news", e.candidate_news);
  file.write("candidates/label", std::vector<std::int32_t>(e.label.begin(), e.label.end()));
  file.close();
}

double mean_history(const h5::File& file, const std::string& name) {
  const auto lengths = file.read<std::int32_t>(name);
  double sum = 0;
  for (const auto l : lengths) sum += l;
  return lengths.empty() ? 0.0 : sum / static_cast<double>(lengths.size());
}

}  // namespace

void write_mind_corpus_files(const MindCorpus& corpus, std::int32_t shards, const fs::path& dir) {
  write_news_file(corpus, dir / kNewsFileName);
  write_dictionaries(corpus, dir / kDictionariesFileName);
  const auto ranges = shard_ranges(static_cast<std::int64_t>(corpus.train.size()), shards);
  for (std::int32_t k = 0; k < shards; ++k) {
    write_train_shard(corpus, ranges[k].first, ranges[k].second, k, shards,
                      dir / train_shard_file_name(k, shards));
  }
  write_eval_file(corpus, corpus.dev, dir / kDevFileName);
  if (corpus.test) write_eval_file(corpus, *corpus.test, dir / kTestFileName);
}

MindCorpusStatistics read_mind_corpus_statistics(const fs::path& dir, std::int32_t shards) {
  MindCorpusStatistics s;
  {
    const h5::File news = h5::File::open(dir / kNewsFileName);
    const auto title = news.info("news/title_ids").shape;
    s.news = static_cast<std::int64_t>(title.at(0));
    s.max_title_length = static_cast<std::int32_t>(title.at(1));
    s.max_abstract_length = static_cast<std::int32_t>(news.info("news/abstract_ids").shape.at(1));
    const auto words = news.info("words/embedding").shape;
    s.words = static_cast<std::int64_t>(words.at(0));
    s.word_dim = static_cast<std::int32_t>(words.at(1));
    const auto entities = news.info("entities/embedding").shape;
    s.entities = static_cast<std::int64_t>(entities.at(0));
    s.entity_dim = static_cast<std::int32_t>(entities.at(1));
    if (news.exists("entities/context_embedding")) {
      s.context_dim = static_cast<std::int32_t>(news.info("entities/context_embedding").shape.at(1));
    }
  }
  double history_sum = 0;
  for (std::int32_t k = 0; k < shards; ++k) {
    const h5::File shard = h5::File::open(dir / train_shard_file_name(k, shards));
    const auto n = static_cast<std::int64_t>(shard.info("positive").shape.at(0));
    s.max_history_num = static_cast<std::int32_t>(shard.info("history").shape.at(1));
    s.shard_samples.push_back(n);
    s.train_samples += n;
    history_sum += mean_history(shard, "history_length") * static_cast<double>(n);
  }
  s.train_mean_history = s.train_samples > 0 ? history_sum / static_cast<double>(s.train_samples) : 0;
  const auto eval = [&](const char* name, std::int64_t& impressions, std::int64_t& candidates,
                        double& mean) {
    const h5::File file = h5::File::open(dir / name);
    impressions = static_cast<std::int64_t>(file.info("impressions/user").shape.at(0));
    candidates = static_cast<std::int64_t>(file.info("candidates/news").shape.at(0));
    mean = mean_history(file, "impressions/history_length");
  };
  eval(kDevFileName, s.dev_impressions, s.dev_candidates, s.dev_mean_history);
  s.has_test = fs::exists(dir / kTestFileName);
  if (s.has_test) eval(kTestFileName, s.test_impressions, s.test_candidates, s.test_mean_history);
  return s;
}

}  // namespace rsdist::mind
