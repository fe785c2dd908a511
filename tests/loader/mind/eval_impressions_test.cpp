// EvalImpressions: dev and test impressions equal their files read through rsdist::h5, history
// truncation, rank ranges that cover every impression once and balance candidates, and the
// history tensors of a range.
#include "loader/mind/eval_impressions.hpp"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "core/error.hpp"
#include "data/hdf5/file.hpp"
#include "loader/mind/tiny_corpus.hpp"

namespace rsdist::loader {
namespace {

using testing::TinyCorpus;

TEST(EvalImpressions, DevAndTestEqualTheirFiles) {
  const TinyCorpus corpus;
  for (const auto& [split, name] :
       {std::pair{EvalSplit::kDev, "dev.h5"}, std::pair{EvalSplit::kTest, "test.h5"}}) {
    const EvalImpressions e = EvalImpressions::load(corpus.dir(), split);
    const h5::File f = h5::File::open(corpus.dir() / name);
    EXPECT_EQ(e.size(), 100) << name;
    EXPECT_EQ(e.max_history_num, 12);
    EXPECT_EQ(e.user, f.read<std::int32_t>("impressions/user"));
    EXPECT_EQ(e.source_line, f.read<std::int64_t>("impressions/source_line"));
    EXPECT_EQ(e.history, f.read<std::int32_t>("impressions/history"));
    EXPECT_EQ(e.history_length, f.read<std::int32_t>("impressions/history_length"));
    EXPECT_EQ(e.candidate_offsets, f.read<std::int64_t>("impressions/candidate_offsets"));
    EXPECT_EQ(e.candidate_news, f.read<std::int32_t>("candidates/news"));
    EXPECT_EQ(e.label, f.read<std::int32_t>("candidates/label"));
    EXPECT_GT(e.candidates(), e.size());
    const auto impression = f.read<std::int32_t>("candidates/impression");
    for (std::int64_t i = 0; i < e.size(); ++i) {
      const auto news = e.candidates_of(i);
      ASSERT_EQ(news.size(), e.labels_of(i).size());
      const auto begin = static_cast<std::size_t>(e.candidate_offsets[i]);
      for (std::size_t c = 0; c < news.size(); ++c) {
        ASSERT_EQ(impression[begin + c], i);
        ASSERT_EQ(news[c], e.candidate_news[begin + c]);
      }
    }
    const bool labelled = split == EvalSplit::kDev;
    EXPECT_EQ(std::count(e.label.begin(), e.label.end(), -1) == 0, labelled) << name;
    if (labelled) {
      EXPECT_GT(std::count(e.label.begin(), e.label.end(), 1), 0);
    }
  }
}

TEST(EvalImpressions, ShorterHistoriesKeepTheMostRecentNews) {
  const TinyCorpus corpus;
  const EvalImpressions full = EvalImpressions::load(corpus.dir(), EvalSplit::kDev);
  const EvalImpressions cut =
      EvalImpressions::load(corpus.dir(), EvalSplit::kDev, {.max_history_num = 3});
  EXPECT_EQ(cut.max_history_num, 3);
  std::int64_t truncated = 0;
  for (std::int64_t i = 0; i < full.size(); ++i) {
    const std::int32_t length = full.history_length[i];
    const std::int32_t kept = std::min(length, 3);
    std::vector<std::int32_t> expected(full.history_of(i).begin() + (length - kept),
                                       full.history_of(i).begin() + length);
    expected.resize(3, 0);
    const auto got = cut.history_of(i);
    ASSERT_EQ(std::vector<std::int32_t>(got.begin(), got.end()), expected) << i;
    ASSERT_EQ(cut.history_length[i], kept);
    truncated += length > 3;
  }
  EXPECT_GT(truncated, 0);
  EXPECT_EQ(cut.candidate_news, full.candidate_news);
  EXPECT_THROW(EvalImpressions::load(corpus.dir(), EvalSplit::kDev, {.max_history_num = 13}),
               Error);
}

TEST(EvalImpressions, RangesCoverEveryImpressionOnceAndBalanceCandidates) {
  const TinyCorpus corpus;
  const EvalImpressions e = EvalImpressions::load(corpus.dir(), EvalSplit::kDev);
  std::int64_t most_candidates = 0;
  for (std::int64_t i = 0; i < e.size(); ++i) {
    most_candidates = std::max<std::int64_t>(most_candidates, e.candidates_of(i).size());
  }
  for (int world : {1, 2, 3, 7, 150}) {
    std::int64_t next = 0;
    for (int rank = 0; rank < world; ++rank) {
      const ImpressionRange r = e.range_for(rank, world);
      ASSERT_EQ(r.begin, next) << world << " " << rank;  // contiguous, in rank order
      ASSERT_LE(r.begin, r.end);
      next = r.end;
      const std::int64_t candidates = e.candidate_offsets[r.end] - e.candidate_offsets[r.begin];
      // Within one impression's candidates of an equal share.
      EXPECT_LE(std::abs(candidates * world - e.candidates()), (most_candidates + 1) * world)
          << world << " " << rank;
    }
    EXPECT_EQ(next, e.size()) << world;
  }
  EXPECT_THROW(e.range_for(2, 2), Error);
}

TEST(EvalImpressions, HistoryBatchHoldsNewsIdsAndMasks) {
  const TinyCorpus corpus;
  const EvalImpressions e = EvalImpressions::load(corpus.dir(), EvalSplit::kTest);
  const ImpressionRange range{10, 25};
  const EvalHistoryBatch b = eval_history_batch(e, range);
  ASSERT_EQ(b.history_index.sizes(), (at::IntArrayRef{15, 12}));
  EXPECT_EQ(b.history_index.scalar_type(), at::kLong);
  EXPECT_EQ(b.history_mask.scalar_type(), at::kFloat);
  for (std::int64_t r = 0; r < 15; ++r) {
    const std::int64_t i = range.begin + r;
    EXPECT_EQ(b.user[r].item<std::int64_t>(), e.user[i]);
    for (std::int64_t s = 0; s < 12; ++s) {
      EXPECT_EQ(b.history_index[r][s].item<std::int64_t>(), e.history_of(i)[s]);
      EXPECT_EQ(b.history_mask[r][s].item<float>(), s < e.history_length[i] ? 1.0f : 0.0f);
    }
  }
  EXPECT_THROW(eval_history_batch(e, {90, 101}), Error);
}

}  // namespace
}  // namespace rsdist::loader
