#include "data/mind/news_tensors.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/synth/synth.hpp"
#include "support/temp_dir.hpp"

namespace rsdist::mind {
namespace {

using Ints = std::vector<std::int32_t>;
using Bytes = std::vector<std::uint8_t>;
using Floats = std::vector<float>;
using Names = std::vector<std::string>;

template <typename T>
std::vector<T> row_of(const std::vector<T>& values, std::size_t row, std::size_t width) {
  return std::vector<T>(values.begin() + static_cast<std::ptrdiff_t>(row * width),
                        values.begin() + static_cast<std::ptrdiff_t>((row + 1) * width));
}

// A train/dev corpus small enough to compute by hand (NNR's MIND_corpus.py, word_threshold 2).
// Counter: lakers 3, win 2, the 4, title 1, again 2, and 1, vote 1, is 1, in 1, <NUM> 2 (7; dev's
// 2019), days 1; dev's lose/game/quiet are not counted. Vocabulary by count, ties in Counter order:
// <PAD> <UNK> the lakers win again <NUM>.
struct TinyCorpus {
  NewsTable train = parse_news(
      "N1\tsports\tfootball\tLakers win the title\tThe Lakers win again and again\tu\t"
      "[{\"WikidataId\": \"Q1\", \"OccurrenceOffsets\": [0]}]\t"
      "[{\"WikidataId\": \"Q2\", \"OccurrenceOffsets\": [4, 21]}]\n"
      "N2\tnews\tpolitics\tThe vote is in\t7 days\tu\t[]\t[]\n",
      "train/news.tsv");
  NewsTable dev = parse_news(
      "N3\tsports\tbasketball\tLakers lose 2019 game\tThe game\tu\t[]\t[]\n"
      "N4\tnews\tpolitics\tQuiet\t\tu\t[]\t[]\n",
      "dev/news.tsv");
  NewsCorpus corpus;
  Vocabulary vocabulary;
  TinyCorpus() {
    const NewsTable* splits[] = {&train, &dev};
    corpus = build_news_corpus(splits);
    vocabulary = build_vocabulary(corpus, {2});
  }
};

TEST(MindNewsTensors, IdsMasksAndEntitiesTruncatedAsTheReference) {
  const TinyCorpus tiny;
  ASSERT_EQ(tiny.vocabulary.words.names,
            (Names{"<PAD>", "<UNK>", "the", "lakers", "win", "again", "<NUM>"}));
  ASSERT_EQ(tiny.corpus.entities.names, (Names{"<PAD>", "<UNK>", "Q1", "Q2"}));
  const NewsTensors t = build_news_tensors(tiny.corpus, tiny.vocabulary, {3, 4});
  ASSERT_EQ(t.news_count, 5);
  const auto title = [&](std::size_t r) { return row_of(t.title.word_ids, r, 3); };
  const auto title_mask = [&](std::size_t r) { return row_of(t.title.mask, r, 3); };
  const auto abstract = [&](std::size_t r) { return row_of(t.abstract.word_ids, r, 4); };
  const auto abstract_mask = [&](std::size_t r) { return row_of(t.abstract.mask, r, 4); };

  // <PAD> news: zero ids, mask on position 0 only.
  EXPECT_EQ(title(0), (Ints{0, 0, 0}));
  EXPECT_EQ(title_mask(0), (Bytes{1, 0, 0}));
  EXPECT_EQ(abstract(0), (Ints{0, 0, 0, 0}));
  EXPECT_EQ(abstract_mask(0), (Bytes{1, 0, 0, 0}));
  // N1: "lakers win the | title" truncated to 3; "the lakers win again | and again" to 4.
  EXPECT_EQ(title(1), (Ints{3, 4, 2}));
  EXPECT_EQ(title_mask(1), (Bytes{1, 1, 1}));
  EXPECT_EQ(abstract(1), (Ints{2, 3, 4, 5}));
  // Q1 at offset 0 is "Lakers" (title token 0); Q2 at 4 is "Lakers" (abstract token 1) and at 21
  // is "and" (token 4), which truncation dropped.
  EXPECT_EQ(row_of(t.title.entity_ids, 1, 3), (Ints{2, 0, 0}));
  EXPECT_EQ(row_of(t.abstract.entity_ids, 1, 4), (Ints{0, 3, 0, 0}));
  // N2: "the vote is" (vote, is below threshold -> <UNK>); "7 days" -> <NUM> <UNK>.
  EXPECT_EQ(title(2), (Ints{2, 1, 1}));
  EXPECT_EQ(abstract(2), (Ints{6, 1, 0, 0}));
  EXPECT_EQ(abstract_mask(2), (Bytes{1, 1, 0, 0}));
  // N3 (dev): "lakers lose 2019"; "the game".
  EXPECT_EQ(title(3), (Ints{3, 1, 6}));
  EXPECT_EQ(abstract(3), (Ints{2, 1, 0, 0}));
  // N4: one unknown title word, and an empty abstract keeps an all-zero mask (as NNR).
  EXPECT_EQ(title(4), (Ints{1, 0, 0}));
  EXPECT_EQ(title_mask(4), (Bytes{1, 0, 0}));
  EXPECT_EQ(abstract_mask(4), (Bytes{0, 0, 0, 0}));

  EXPECT_EQ(t.category, (Ints{0, 0, 1, 0, 1}));
  EXPECT_EQ(t.subcategory, (Ints{0, 0, 1, 2, 1}));
  EXPECT_EQ(t.title.tokens_before_truncation, 4 + 4 + 4 + 1);
  EXPECT_EQ(t.title.truncated_texts, 3);  // N1, N2, N3 have 4 title tokens
  EXPECT_EQ(t.abstract.tokens_before_truncation, 6 + 2 + 2 + 0);
  EXPECT_EQ(t.abstract.truncated_texts, 1);
}

TEST(MindNewsTensors, RejectsNonPositiveLengths) {
  const TinyCorpus tiny;
  EXPECT_THROW(build_news_tensors(tiny.corpus, tiny.vocabulary, {0, 4}), Error);
}

TEST(MindWordEmbeddings, GloveRowsExactMeanPlusNoiseElsewherePadZero) {
  const TinyCorpus tiny;
  testing::TempDir dir;
  // "the" appears twice: the last line wins (torchtext's stoi); the mean counts both lines. A GloVe
  // "<PAD>" must not fill row 0.
  const std::string glove = dir.write("glove.txt",
                                      "the 0.1 0.2 0.3\nlakers 1 2 3\nzebra -1 0 1\n"
                                      "the 0.5 0.5 0.5\n<PAD> 9 9 9\n");
  WordEmbeddingOptions options;
  options.seed = 42;
  const WordEmbeddings e = build_word_embeddings(tiny.vocabulary, glove, options);
  ASSERT_EQ(e.matrix.rows, 7);
  ASSERT_EQ(e.matrix.dim, 3);
  EXPECT_EQ(e.glove_vectors, 5);
  const Floats mean{(0.1f + 1 - 1 + 0.5f + 9) / 5, (0.2f + 2 + 0 + 0.5f + 9) / 5,
                    (0.3f + 3 + 1 + 0.5f + 9) / 5};
  for (int d = 0; d < 3; ++d) EXPECT_NEAR(e.glove_mean[d], mean[d], 1e-6);

  const auto row = [&](std::int64_t r) {
    return Floats(e.matrix.row(r).begin(), e.matrix.row(r).end());
  };
  EXPECT_EQ(row(0), (Floats{0, 0, 0}));
  EXPECT_EQ(row(2), (Floats{0.5f, 0.5f, 0.5f}));
  EXPECT_EQ(row(3), (Floats{1, 2, 3}));
  EXPECT_EQ(e.matrix.found, (Bytes{0, 0, 1, 1, 0, 0, 0}));
  EXPECT_EQ(e.matrix.rows_found, 2);
  // <UNK> (1), win, again, <NUM>: mean + N(0, 0.1) from the row's own stream.
  for (std::int64_t r : {1, 4, 5, 6}) {
    Rng rng = Rng::stream(42, {kWordNoiseStream, static_cast<std::uint64_t>(r)});
    for (int d = 0; d < 3; ++d) {
      EXPECT_EQ(e.matrix.row(r)[d], e.glove_mean[d] + static_cast<float>(0.1 * rng.normal())) << r;
    }
  }
  EXPECT_NE(row(4), row(5));

  // Deterministic for a seed, different for another.
  EXPECT_EQ(build_word_embeddings(tiny.vocabulary, glove, options).matrix.values, e.matrix.values);
  options.seed = 43;
  const WordEmbeddings other = build_word_embeddings(tiny.vocabulary, glove, options);
  EXPECT_NE(other.matrix.row(4)[0], e.matrix.row(4)[0]);
  EXPECT_EQ(other.matrix.row(3)[1], 2.0f);
}

TEST(MindWordEmbeddings, NoiseHasTheReferenceScale) {
  Vocabulary vocabulary;
  vocabulary.words.add("<PAD>");
  vocabulary.words.add("<UNK>");
  for (int i = 0; i < 2000; ++i) vocabulary.words.add("w" + std::to_string(i));
  testing::TempDir dir;
  std::string glove;
  for (int i = 0; i < 10; ++i) {
    glove += "g" + std::to_string(i);
    for (int d = 0; d < 50; ++d) glove += " " + std::to_string((i * 50 + d) % 7 - 3);
    glove += "\n";
  }
  const WordEmbeddings e = build_word_embeddings(vocabulary, dir.write("glove.txt", glove));
  EXPECT_EQ(e.matrix.rows_found, 0);
  double sum = 0;
  double sum_squares = 0;
  std::int64_t n = 0;
  for (std::int64_t r = 1; r < e.matrix.rows; ++r) {
    for (int d = 0; d < e.matrix.dim; ++d) {
      const double noise = e.matrix.row(r)[d] - e.glove_mean[d];
      sum += noise;
      sum_squares += noise * noise;
      ++n;
    }
  }
  const double mean = sum / static_cast<double>(n);
  const double std = std::sqrt(sum_squares / static_cast<double>(n) - mean * mean);
  // n = 100,050: the standard error of the mean is 3e-4 and of the std 2.2e-4.
  EXPECT_NEAR(mean, 0.0, 0.002);
  EXPECT_NEAR(std, 0.1, 0.002);
}

TEST(MindWordEmbeddings, EmptyGloveIsAnError) {
  const TinyCorpus tiny;
  testing::TempDir dir;
  EXPECT_THROW(build_word_embeddings(tiny.vocabulary, dir.write("glove.txt", "")), Error);
}

TEST(MindEntityEmbeddings, LaterSplitsOverwriteUnknownIdsIgnoredContextOptional) {
  const TinyCorpus tiny;
  testing::TempDir dir;
  dir.write("train/entity_embedding.vec", "Q1\t1\t1\t1\t\nQ9\t5\t5\t5\t\n\n<PAD>\t7\t7\t7\t\n");
  dir.write("dev/entity_embedding.vec", "Q1\t2\t2\t2\t\nQ2\t3\t-3\t3.5\t\n");
  dir.write("dev/context_embedding.vec", "Q2\t0.25\t0.5\t1\t\n");
  const std::vector<std::string> splits{(dir / "train").string(), (dir / "dev").string(),
                                        (dir / "test").string()};
  const auto entity_files = existing_files(splits, "entity_embedding.vec");
  ASSERT_EQ(entity_files.size(), 2u);
  const EmbeddingMatrix entities = build_entity_embeddings(tiny.corpus.entities, entity_files, 3);
  EXPECT_EQ(entities.values, (Floats{0, 0, 0, 0, 0, 0, 2, 2, 2, 3, -3, 3.5f}));
  EXPECT_EQ(entities.found, (Bytes{0, 0, 1, 1}));
  EXPECT_EQ(entities.rows_found, 2);
  ASSERT_EQ(entities.sources.size(), 2u);
  EXPECT_EQ(entities.sources[0].vectors, 3);

  const auto context_files = existing_files(splits, "context_embedding.vec");
  ASSERT_EQ(context_files.size(), 1u);
  const EmbeddingMatrix context = build_entity_embeddings(tiny.corpus.entities, context_files, 3);
  EXPECT_EQ(context.values, (Floats{0, 0, 0, 0, 0, 0, 0, 0, 0, 0.25f, 0.5f, 1}));
  const EmbeddingMatrix none = build_entity_embeddings(tiny.corpus.entities, {}, 3);
  EXPECT_EQ(none.values, Floats(12, 0.0f));

  try {  // NNR asserts entity_embedding_dim (100) on every line
    build_entity_embeddings(tiny.corpus.entities, entity_files);
    ADD_FAILURE() << "no error";
  } catch (const Error& error) {
    EXPECT_NE(error.message().find("train/entity_embedding.vec:1"), std::string::npos)
        << error.message();
  }
}

TEST(MindNewsTensors, SyntheticCorpusInvariants) {
  testing::TempDir dir;
  synth::MindOptions options;
  options.news = 400;
  options.users = 100;
  options.train_impressions = 200;
  options.dev_impressions = 50;
  options.test_impressions = 50;
  synth::write_mind(options, dir.path());
  const NewsTable train = read_news((dir / "train/news.tsv").string());
  const NewsTable dev = read_news((dir / "dev/news.tsv").string());
  const NewsTable test = read_news((dir / "test/news.tsv").string());
  const NewsTable* splits[] = {&train, &dev, &test};
  const NewsCorpus corpus = build_news_corpus(splits);
  const Vocabulary vocabulary = build_vocabulary(corpus);
  const NewsTensors t = build_news_tensors(corpus, vocabulary);
  ASSERT_EQ(t.news_count, corpus.news.size());
  const auto check = [&](const TextTensor& text) {
    ASSERT_EQ(text.word_ids.size(), static_cast<std::size_t>(t.news_count * text.length));
    for (std::int64_t r = 1; r < t.news_count; ++r) {
      bool padding = false;
      for (std::int32_t i = 0; i < text.length; ++i) {
        const std::size_t k = static_cast<std::size_t>(r * text.length + i);
        ASSERT_GE(text.word_ids[k], 0);
        ASSERT_LT(text.word_ids[k], vocabulary.words.size());
        ASSERT_GE(text.entity_ids[k], 0);
        ASSERT_LT(text.entity_ids[k], corpus.entities.size());
        if (!text.mask[k]) padding = true;
        ASSERT_EQ(text.mask[k], padding ? 0 : 1) << "mask is a prefix of ones";
        if (padding) {
          ASSERT_EQ(text.word_ids[k] | text.entity_ids[k], 0);
        } else {
          ASSERT_NE(text.word_ids[k], kPadIndex);
        }
      }
    }
  };
  check(t.title);
  check(t.abstract);
  for (std::int64_t r = 0; r < t.news_count; ++r) {
    ASSERT_LT(t.category[r], corpus.categories.size());
    ASSERT_LT(t.subcategory[r], corpus.subcategories.size());
  }

  const VectorTable glove = read_vectors((dir / "glove.txt").string(), VectorFormat::kGloveText);
  const WordEmbeddings e = build_word_embeddings(vocabulary, (dir / "glove.txt").string());
  EXPECT_EQ(e.glove_vectors, static_cast<std::int64_t>(glove.words.size()));
  EXPECT_GT(e.matrix.rows_found, vocabulary.words.size() / 2)
      << "synthetic GloVe covers most words";
  std::unordered_map<std::string, std::size_t> glove_row;
  for (std::size_t i = 0; i < glove.words.size(); ++i) glove_row[glove.words[i]] = i;
  for (std::int32_t r = 1; r < vocabulary.words.size(); ++r) {
    const auto it = glove_row.find(vocabulary.words.names[static_cast<std::size_t>(r)]);
    ASSERT_EQ(e.matrix.found[static_cast<std::size_t>(r)], it != glove_row.end() ? 1 : 0);
    if (it == glove_row.end()) continue;
    const auto expected = glove.row(it->second);
    ASSERT_TRUE(std::equal(expected.begin(), expected.end(), e.matrix.row(r).begin()));
  }
  const auto pad = e.matrix.row(0);
  EXPECT_TRUE(std::all_of(pad.begin(), pad.end(), [](float v) { return v == 0.0f; }));

  const std::vector<std::string> split_dirs{(dir / "train").string(), (dir / "dev").string(),
                                            (dir / "test").string()};
  const EmbeddingMatrix entities =
      build_entity_embeddings(corpus.entities, existing_files(split_dirs, "entity_embedding.vec"),
                              static_cast<std::int32_t>(options.entity_dim));
  EXPECT_EQ(entities.rows, corpus.entities.size());
  EXPECT_GT(entities.rows_found, 0);
}

}  // namespace
}  // namespace rsdist::mind
