// The MIND corpus files (docs/corpus_mind.md): news.h5, dictionaries.json, the train shards, dev.h5
// and test.h5; and the statistics `rsdist inspect` measures from them.
#include <fstream>

#include "core/error.hpp"
#include "core/staging.hpp"
#include "data/corpus_manifest.hpp"
#include "data/hdf5/file.hpp"
#include "data/mind/behaviors_writers.hpp"
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

double mean_history(const h5::File& file, const std::string& name) {
  const auto lengths = file.read<std::int32_t>(name);
  double sum = 0;
  for (const auto l : lengths) sum += l;
  return lengths.empty() ? 0.0 : sum / static_cast<double>(lengths.size());
}

}  // namespace

void write_mind_news_files(const MindCorpus& corpus, const fs::path& dir) {
  write_news_file(corpus, dir / kNewsFileName);
  write_dictionaries(corpus, dir / kDictionariesFileName);
}

void write_mind_corpus_files(const MindCorpus& corpus, std::int32_t shards, const fs::path& dir) {
  write_mind_news_files(corpus, dir);
  TrainShardWriter train(dir, static_cast<std::int64_t>(corpus.train.size()), shards,
                         corpus.tensors.category, corpus.graph);
  train.add(corpus.train, 0);
  train.finish();
  const auto write_eval = [&](const EvalSamples& e, const char* name) {
    EvalFileWriter writer(dir / name, static_cast<std::int64_t>(e.impressions.size()),
                          static_cast<std::int64_t>(e.size()), corpus.tensors.category, corpus.graph);
    writer.add(e, 0);
    writer.finish();
  };
  write_eval(corpus.dev, kDevFileName);
  if (corpus.test) write_eval(*corpus.test, kTestFileName);
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
