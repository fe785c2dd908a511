// `rsdist preprocess mind` and `rsdist inspect` end to end: synthetic MIND data through the CLI,
// the HDF5 corpus read back and compared with the in-memory structures, shards partitioning the
// train samples, atomic output, --force, bad lines, determinism, h5py readability, and the real
// MIND rows where they are present.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "app/cli.hpp"
#include "app/cli_runner.hpp"
#include "data/corpus_manifest.hpp"
#include "data/hdf5/file.hpp"
#include "data/mind/mind_corpus.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::app {
namespace {
namespace fs = std::filesystem;
using rsdist::testing::read_file;
using rsdist::testing::TempDir;

using Result = rsdist::testing::CliResult;

Result run(const std::vector<std::string>& args) { return rsdist::testing::run_rsdist(args); }

fs::path synth_mind(const TempDir& tmp) {
  const fs::path dir = tmp / "raw";
  const Result r = run({"synth", "mind", "--preset", "tiny", "--out", dir.string(), "--seed", "3"});
  EXPECT_EQ(r.code, 0) << r.err;
  return dir;
}

std::vector<std::string> mind_args(const fs::path& raw, const fs::path& out,
                                   std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"preprocess", "mind", "--train", (raw / "train").string(),
                                   "--dev", (raw / "dev").string(), "--test",
                                   (raw / "test").string(), "--glove", (raw / "glove.txt").string(),
                                   "--out", out.string()};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

mind::MindCorpusOptions options_of(const fs::path& raw) {
  mind::MindCorpusOptions o;
  o.train_dir = (raw / "train").string();
  o.dev_dir = (raw / "dev").string();
  o.test_dir = (raw / "test").string();
  o.glove = (raw / "glove.txt").string();
  return o;
}

template <class T>
std::vector<T> slice(const std::vector<T>& v, std::int64_t begin, std::int64_t end) {
  return std::vector<T>(v.begin() + begin, v.begin() + end);
}

// [rows, N] history of the impressions `impression_of(r)`, 0-padded, and its categories.
template <class ImpressionOf>
void expect_history(const h5::File& f, const std::string& prefix, const mind::MindCorpus& c,
                    const mind::ImpressionTable& table, std::int64_t rows, ImpressionOf of) {
  const auto hist = f.read<std::int32_t>(prefix + "history");
  const auto length = f.read<std::int32_t>(prefix + "history_length");
  const auto cats = f.read<std::int32_t>(prefix + "history_categories");
  const std::size_t n = static_cast<std::size_t>(c.graph.max_history_num);
  ASSERT_EQ(hist.size(), static_cast<std::size_t>(rows) * n);
  for (std::int64_t r = 0; r < rows; ++r) {
    const auto h = table.history(static_cast<std::size_t>(of(r)));
    std::vector<std::int32_t> expected(h.begin(), h.end());
    EXPECT_EQ(length[r], static_cast<std::int32_t>(h.size()));
    expected.resize(n, 0);
    EXPECT_EQ(slice(hist, r * n, (r + 1) * n), expected) << prefix << r;
    EXPECT_EQ(slice(cats, r * n, (r + 1) * n), mind::history_categories_of(h, c.tensors, c.graph));
  }
}

void expect_eval(const fs::path& path, const mind::MindCorpus& c, const mind::EvalSamples& e) {
  const h5::File f = h5::File::open(path);
  EXPECT_EQ(f.read<std::int32_t>("impressions/user"), e.impressions.user);
  EXPECT_EQ(f.read<std::int64_t>("impressions/source_line"), e.impressions.source_line);
  expect_history(f, "impressions/", c, e.impressions, static_cast<std::int64_t>(e.impressions.size()),
                 [](std::int64_t r) { return r; });
  EXPECT_EQ(f.read<std::int32_t>("candidates/impression"), e.candidate_impression);
  EXPECT_EQ(f.read<std::int32_t>("candidates/news"), e.candidate_news);
  EXPECT_EQ(f.read<std::int32_t>("candidates/label"),
            std::vector<std::int32_t>(e.label.begin(), e.label.end()));
}

TEST(PreprocessMind, CorpusEqualsTheInMemoryStructuresAndShardsPartitionTheSamples) {
  TempDir tmp;
  const fs::path raw = synth_mind(tmp);
  const Result r = run(mind_args(raw, tmp / "corpus", {"--shards", "3"}));
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("preprocess mind: wrote"), std::string::npos) << r.err;

  const mind::MindCorpus c = mind::build_mind_corpus(options_of(raw));
  const h5::File news = h5::File::open(tmp / "corpus" / "news.h5");
  EXPECT_EQ(news.read<std::int32_t>("news/title_ids"), c.tensors.title.word_ids);
  EXPECT_EQ(news.read<std::uint8_t>("news/title_mask"), c.tensors.title.mask);
  EXPECT_EQ(news.read<std::int32_t>("news/abstract_entity_ids"), c.tensors.abstract.entity_ids);
  EXPECT_EQ(news.read<std::int32_t>("news/category"), c.tensors.category);
  EXPECT_EQ(news.read<std::int32_t>("news/subcategory"), c.tensors.subcategory);
  EXPECT_EQ(news.read<float>("words/embedding"), c.words.matrix.values);
  EXPECT_EQ(news.read<std::int64_t>("words/count"), c.vocabulary.counts);
  EXPECT_EQ(news.read<float>("entities/embedding"), c.entity_embeddings.values);
  EXPECT_EQ(news.info("news/abstract_ids").shape,
            (std::vector<std::uint64_t>{static_cast<std::uint64_t>(c.tensors.news_count), 128}));

  const auto dictionaries = nlohmann::json::parse(read_file(tmp / "corpus" / "dictionaries.json"));
  EXPECT_EQ(dictionaries["news"].get<std::vector<std::string>>(), c.news.news.names);
  EXPECT_EQ(dictionaries["words"].get<std::vector<std::string>>(), c.vocabulary.words.names);
  EXPECT_EQ(dictionaries["users"].get<std::vector<std::string>>(), c.users.names);

  // Shards: contiguous, in order, covering every sample exactly once.
  std::vector<std::int32_t> impressions, positives, negatives;
  for (std::int32_t k = 0; k < 3; ++k) {
    const h5::File f = h5::File::open(tmp / "corpus" / mind::train_shard_file_name(k, 3));
    const auto range = f.read<std::int64_t>("sample_range");
    EXPECT_EQ(range[0], static_cast<std::int64_t>(positives.size()));
    const auto imp = f.read<std::int32_t>("impression");
    const auto pos = f.read<std::int32_t>("positive");
    ASSERT_EQ(static_cast<std::int64_t>(pos.size()), range[1] - range[0]);
    const auto user = f.read<std::int32_t>("user");
    const auto neg_off = f.read<std::int64_t>("negative_offsets");
    const auto neg = f.read<std::int32_t>("negatives");
    ASSERT_EQ(static_cast<std::int64_t>(neg.size()), neg_off.back());
    ASSERT_GT(neg.size(), 0u);
    for (std::size_t r = 0; r < pos.size(); ++r) {
      EXPECT_EQ(user[r], c.train.impressions.user[imp[r]]);
      const auto expected = c.train.negatives(imp[r]);
      EXPECT_EQ(slice(neg, neg_off[r], neg_off[r + 1]),
                std::vector<std::int32_t>(expected.begin(), expected.end()));
    }
    expect_history(f, "", c, c.train.impressions, static_cast<std::int64_t>(pos.size()),
                   [&](std::int64_t r) { return imp[r]; });
    impressions.insert(impressions.end(), imp.begin(), imp.end());
    positives.insert(positives.end(), pos.begin(), pos.end());
  }
  EXPECT_EQ(impressions, c.train.sample_impression);
  EXPECT_EQ(positives, c.train.positive_news);

  expect_eval(tmp / "corpus" / "dev.h5", c, c.dev);
  ASSERT_TRUE(c.test.has_value());
  expect_eval(tmp / "corpus" / "test.h5", c, *c.test);

  const data::CorpusManifest m = data::read_corpus_manifest(tmp / "corpus");
  EXPECT_EQ(m.kind, "mind");
  EXPECT_EQ(m.counts["train_samples"], c.train.size());
  EXPECT_EQ(m.counts["news"], c.tensors.news_count);
  EXPECT_EQ(m.counts["train_shard_samples"].size(), 3u);
  EXPECT_EQ(m.options["word_threshold"], 3);
  EXPECT_EQ(m.options["max_history_num"], 50);
  EXPECT_EQ(m.inputs.back().role, "glove");
  EXPECT_EQ(m.inputs.back().size_bytes, fs::file_size(raw / "glove.txt"));
}

TEST(PreprocessMind, ExistingOutputNeedsForceAndRunsAreDeterministic) {
  TempDir tmp;
  const fs::path raw = synth_mind(tmp);
  ASSERT_EQ(run(mind_args(raw, tmp / "a", {"--shards", "2"})).code, 0);
  Result r = run(mind_args(raw, tmp / "a", {"--shards", "2"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--force"), std::string::npos) << r.err;
  r = run(mind_args(raw, tmp / "a", {"--shards", "2", "--force"}));
  EXPECT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(run(mind_args(raw, tmp / "b", {"--shards", "2"})).code, 0);
  for (const std::string file : {"news.h5", "dictionaries.json", "train-00000-of-00002.h5",
                                 "train-00001-of-00002.h5", "dev.h5", "test.h5", "manifest.json"}) {
    EXPECT_EQ(read_file(tmp / "a" / file), read_file(tmp / "b" / file)) << file;
  }
}

// Every dataset of `name` in a and b has the same dtype, shape, layout and values.
void expect_same_datasets(const fs::path& a, const fs::path& b, const std::vector<std::string>& names) {
  const h5::File fa = h5::File::open(a);
  const h5::File fb = h5::File::open(b);
  for (const auto& name : names) {
    const auto ia = fa.info(name);
    const auto ib = fb.info(name);
    EXPECT_EQ(ia.shape, ib.shape) << a << " " << name;
    EXPECT_EQ(ia.chunk, ib.chunk) << a << " " << name;
    EXPECT_EQ(ia.dtype, ib.dtype) << a << " " << name;
    if (ia.dtype == h5::DType::kInt64) {
      EXPECT_EQ(fa.read<std::int64_t>(name), fb.read<std::int64_t>(name)) << a << " " << name;
    } else {
      ASSERT_EQ(ia.dtype, h5::DType::kInt32) << name;
      EXPECT_EQ(fa.read<std::int32_t>(name), fb.read<std::int32_t>(name)) << a << " " << name;
    }
  }
}

// The streamed writer (two passes over behaviors.tsv in chunks) gives the same datasets whatever
// the chunk size, down to chunks of one line, as writing the in-memory corpus at once.
TEST(PreprocessMind, StreamedBehaviorsGiveTheSameDatasetsForAnyChunkSize) {
  TempDir tmp;
  const fs::path raw = synth_mind(tmp);
  mind::MindCorpusOptions o = options_of(raw);
  o.shards = 3;
  fs::create_directories(tmp / "whole");
  mind::write_mind_corpus_files(mind::build_mind_corpus(o), o.shards, tmp / "whole");
  for (const std::size_t chunk : {std::size_t{1}, std::size_t{700}, std::size_t{32} << 20}) {
    const fs::path out = tmp / ("chunk" + std::to_string(chunk));
    fs::create_directories(out);
    o.behaviors_chunk_bytes = chunk;
    const auto counts = mind::write_mind_corpus(o, out);
    EXPECT_GT(counts["train_samples"].get<std::int64_t>(), 3);
    for (const auto& file : {"news.h5", "dictionaries.json"}) {
      EXPECT_EQ(read_file(out / file), read_file(tmp / "whole" / file)) << file << " chunk " << chunk;
    }
    for (int k = 0; k < 3; ++k) {
      const std::string shard = mind::train_shard_file_name(k, 3);
      expect_same_datasets(out / shard, tmp / "whole" / shard,
                           {"sample_range", "impression", "user", "history", "history_length",
                            "history_categories", "positive", "negative_offsets", "negatives"});
    }
    for (const char* eval : {"dev.h5", "test.h5"}) {
      expect_same_datasets(out / eval, tmp / "whole" / eval,
                           {"impressions/user", "impressions/source_line", "impressions/history",
                            "impressions/history_length", "impressions/history_categories",
                            "impressions/candidate_offsets", "candidates/impression",
                            "candidates/news", "candidates/label"});
    }
  }
}

TEST(PreprocessMind, AMalformedLineFailsWithFileAndLineOrIsSkippedAndCounted) {
  TempDir tmp;
  const fs::path raw = synth_mind(tmp);
  // A 7-column news row appended to train/news.tsv (its line number is the file's line count).
  const std::string news_path = (raw / "train" / "news.tsv").string();
  std::string news = read_file(news_path);
  const auto line = std::count(news.begin(), news.end(), '\n') + 1;
  news += "N999999\tsports\tgolf\tA title\tAn abstract\thttp://x\t[]\n";
  tmp.write("raw/train/news.tsv", news);

  Result r = run(mind_args(raw, tmp / "corpus"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(news_path + ":" + std::to_string(line) + ":"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "corpus"));
  for (const auto& entry : fs::directory_iterator(tmp.path())) {
    EXPECT_EQ(entry.path().filename(), "raw");  // not even a staging directory is left
  }

  r = run(mind_args(raw, tmp / "corpus", {"--skip_bad_lines"}));
  ASSERT_EQ(r.code, 0) << r.err;
  const data::CorpusManifest m = data::read_corpus_manifest(tmp / "corpus");
  EXPECT_EQ(m.counts["skipped_lines"]["train_news"], 1);
  EXPECT_EQ(m.counts["skipped_lines"]["dev_news"], 0);
  EXPECT_EQ(m.options["skip_bad_lines"], true);
}

TEST(PreprocessMind, RequiredInputsAreNamed) {
  TempDir tmp;
  const Result r = run({"preprocess", "mind", "--out", (tmp / "corpus").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--train is required"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "corpus"));
}

TEST(PreprocessMind, InspectPrintsCountsAndH5pyReadsEveryDataset) {
  TempDir tmp;
  const fs::path raw = synth_mind(tmp);
  ASSERT_EQ(run(mind_args(raw, tmp / "corpus", {"--shards", "2"})).code, 0);
  const mind::MindCorpus c = mind::build_mind_corpus(options_of(raw));
  const auto ranges = mind::shard_ranges(static_cast<std::int64_t>(c.train.size()), 2);
  const Result r = run({"inspect", (tmp / "corpus").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const std::string& needle :
       {std::string("kind:    mind (schema version 1)"),
        fmt::format("news               {} (row 0 is <PAD>)", c.tensors.news_count),
        fmt::format("vocabulary         {} x 50", c.vocabulary.words.size()),
        fmt::format("train samples      {} in 2 shard(s): {}, {}", c.train.size(),
                    ranges[0].second - ranges[0].first, ranges[1].second - ranges[1].first),
        fmt::format("dev                {} impressions, {} candidates", c.dev.impressions.size(),
                    c.dev.size())}) {
    EXPECT_NE(r.out.find(needle), std::string::npos) << needle << "\n" << r.out;
  }

  const std::string python = std::string(RSDIST_SOURCE_DIR) + "/.venv/bin/python";
  if (!fs::exists(python)) GTEST_SKIP() << python << " is absent";
  const std::string command = python + " " + RSDIST_SOURCE_DIR +
                              "/tests/app/check_mind_corpus.py " + (tmp / "corpus").string();
  EXPECT_EQ(std::system(command.c_str()), 0) << command;
}

TEST(PreprocessMind, RealMindRows) {
  const fs::path shared = fs::path(RSDIST_SOURCE_DIR) / "../shared/data";
  const fs::path rows = shared / "mind_rows";
  const fs::path glove = shared / "glove_rows/glove.6B.50d.top2446.PymatFlow_project2.txt";
  if (!fs::exists(rows / "news.tsv") || !fs::exists(glove)) GTEST_SKIP() << "no real MIND rows";
  TempDir tmp;
  const std::vector<std::string> base = {"preprocess", "mind", "--train", rows.string(), "--dev",
                                         rows.string(), "--glove", glove.string()};
  // Most history ids have no news row: the default refuses, naming the file and line.
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--out", (tmp / "strict").string(), "--invalid_glove_words", "skip"});
  Result r = run(args);
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("behaviors.tsv:"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(tmp / "strict"));

  args = base;
  args.insert(args.end(), {"--out", (tmp / "corpus").string(), "--missing_news", "skip",
                           "--invalid_glove_words", "skip", "--shards", "4"});
  r = run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const data::CorpusManifest m = data::read_corpus_manifest(tmp / "corpus");
  EXPECT_EQ(m.counts["news"], 2001);  // 2,000 news rows + <PAD>
  EXPECT_GT(m.counts["missing_news"]["train"]["history_ids"].get<std::int64_t>(), 0);
  EXPECT_EQ(m.counts["missing_news"]["train"]["history_ids"],
            m.counts["missing_news"]["dev"]["history_ids"]);  // the same file as both splits
  EXPECT_GT(m.counts["glove_words_found"].get<std::int64_t>(), 0);
  EXPECT_GT(m.counts["skipped_lines"]["glove_invalid_utf8_words"].get<std::int64_t>(), 0);
  std::int64_t shard_total = 0;
  for (const auto& n : m.counts["train_shard_samples"]) shard_total += n.get<std::int64_t>();
  EXPECT_EQ(shard_total, m.counts["train_samples"].get<std::int64_t>());
  EXPECT_GT(shard_total, 0);
}

}  // namespace
}  // namespace rsdist::app
