#include "data/mind/dictionaries.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.hpp"

namespace rsdist::mind {
namespace {

using Names = std::vector<std::string>;

// A tiny train/dev corpus; the expected dictionaries below were computed by hand following NNR's
// MIND_corpus.py (comments show the counts).
struct TinyCorpus {
  NewsTable train = parse_news(
      "N1\tsports\tfootball\tThe Lakers win 2019!\tThe Lakers won.\tu\t"
      "[{\"WikidataId\": \"Q1\", \"OccurrenceOffsets\": [4]}]\t[]\n"
      "N2\tnews\tpolitics\tThe vote\tA win for the vote\tu\t[]\t"
      "[{\"WikidataId\": \"Q2\", \"OccurrenceOffsets\": [2, 99]}]\n",
      "train/news.tsv");
  NewsTable dev = parse_news(
      "N2\tother\tother\tIgnored title\t\tu\t[{\"WikidataId\": \"Q9\", \"OccurrenceOffsets\": [0]}]\t[]\n"
      "N3\tsports\tbasketball\tLakers lakers dev 7\tnewword the\tu\t[]\t[]\n",
      "dev/news.tsv");
  NewsCorpus corpus = build();

  NewsCorpus build() const {
    const NewsTable* splits[] = {&train, &dev};
    return build_news_corpus(splits);
  }
};

TEST(MindDictionaries, NewsCategoriesAndEntitiesInReferenceOrder) {
  const TinyCorpus tiny;
  const NewsCorpus& corpus = tiny.corpus;
  EXPECT_EQ(corpus.news.names, (Names{"<PAD>", "N1", "N2", "N3"}));  // the dev copy of N2 is ignored
  EXPECT_EQ(corpus.categories.names, (Names{"sports", "news"}));     // 0-based, no padding entry
  EXPECT_EQ(corpus.subcategories.names, (Names{"football", "politics", "basketball"}));
  EXPECT_EQ(corpus.news_category, (std::vector<std::int32_t>{0, 0, 1, 0}));
  EXPECT_EQ(corpus.news_subcategory, (std::vector<std::int32_t>{0, 0, 1, 2}));
  EXPECT_EQ(corpus.entities.names, (Names{"<PAD>", "<UNK>", "Q1", "Q2"}));
  EXPECT_EQ(corpus.news_split, (std::vector<std::int8_t>{0, 0, 0, 1}));
}

TEST(MindDictionaries, EntitiesLandOnTheTokenTheirOffsetFallsIn) {
  const TinyCorpus tiny;
  const NewsCorpus& corpus = tiny.corpus;
  // N1 title "The Lakers win 2019!": offset 4 is inside "Lakers" (token 1) -> entity 2.
  const auto title = corpus.titles;
  EXPECT_EQ(std::vector<std::int32_t>(title.entity_ids.begin() + title.offsets[1], title.entity_ids.begin() + title.offsets[2]),
            (std::vector<std::int32_t>{0, 2, 0, 0, 0}));
  // N2 abstract "A win for the vote": offset 2 -> "win" (token 1) -> entity 3; offset 99 is ignored.
  const auto abstract = corpus.abstracts;
  EXPECT_EQ(std::vector<std::int32_t>(abstract.entity_ids.begin() + abstract.offsets[2],
                                      abstract.entity_ids.begin() + abstract.offsets[3]),
            (std::vector<std::int32_t>{0, 3, 0, 0, 0}));
}

TEST(MindDictionaries, VocabularyCountsThresholdAndStableTies) {
  const TinyCorpus tiny;
  // Counter (first-counted order): the 5, lakers 4, win 2, <NUM> 2 (2019; 7 in dev), ! 1, won 1, . 1,
  // vote 2, a 1, for 1. Dev words unseen in train (dev, newword) are not counted; dev's "lakers" x2
  // and "the" are. Ties at 2 keep Counter order: win, <NUM>, vote.
  const Vocabulary vocabulary = build_vocabulary(tiny.corpus, {2});
  EXPECT_EQ(vocabulary.words.names, (Names{"<PAD>", "<UNK>", "the", "lakers", "win", "<NUM>", "vote"}));
  EXPECT_EQ(vocabulary.counts, (std::vector<std::int64_t>{0, 0, 5, 4, 2, 2, 2}));
  const auto word_of = [&](const std::string& token) {
    return vocabulary.token_word[static_cast<std::size_t>(tiny.corpus.tokens.find(token))];
  };
  EXPECT_EQ(word_of("lakers"), 3);
  EXPECT_EQ(word_of("2019"), 5);
  EXPECT_EQ(word_of("7"), 5);
  EXPECT_EQ(word_of("won"), kUnkIndex);
  EXPECT_EQ(word_of("newword"), kUnkIndex);

  const Vocabulary strict = build_vocabulary(tiny.corpus, {3});
  EXPECT_EQ(strict.words.names, (Names{"<PAD>", "<UNK>", "the", "lakers"}));
  EXPECT_EQ(strict.token_word[static_cast<std::size_t>(tiny.corpus.tokens.find("2019"))], kUnkIndex);
}

TEST(MindDictionaries, UsersFromTrainBehaviorsWithUnkFirst) {
  const BehaviorsTable train = parse_behaviors("1\tU2\tt\t\tN1-1\n2\tU1\tt\tN1\tN2-0\n3\tU2\tt\t\tN1-0\n", "b.tsv");
  EXPECT_EQ(build_user_dictionary(train).names, (Names{"<UNK>", "U2", "U1"}));
}

TEST(MindDictionaries, InvalidUtf8InATitleNamesTheLine) {
  // parse_news rejects it already; build_news_corpus also guards rows built by hand.
  NewsTable table;
  table.path = "x/news.tsv";
  NewsRow row;
  row.line = 7;
  row.news_id = "N1";
  static const std::string bad_title = "ok \xFF";
  row.title = bad_title;
  table.rows.push_back(row);
  const NewsTable* splits[] = {&table};
  try {
    build_news_corpus(splits);
    FAIL() << "no error";
  } catch (const Error& error) {
    EXPECT_EQ(error.message(), "x/news.tsv:7: invalid UTF-8 at byte 3 (0xFF)");
  }
}

}  // namespace
}  // namespace rsdist::mind
