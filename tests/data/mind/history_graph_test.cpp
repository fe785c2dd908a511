#include "data/mind/history_graph.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include "core/error.hpp"

namespace rsdist::mind {
namespace {

// Golden graphs for max_history_num = 5, category_num = 3 (G = 8: news slots 0-4, proxies 5-7).
// Produced by a line-by-line numpy transcription of the seed's algorithm (NNR MIND_corpus.py,
// "user history graph": np.identity/np.zeros, the E_p^1/E_n/E_p^2 loops over the last
// max_history_num clicks, then np.fill_diagonal + np.matmul normalisation in float32), printed as
// the shortest decimal that round-trips each float32; compared bit for bit below. The same
// transcription also matched this builder bit for bit on 3,600 random histories at G = 68 and
// smaller sizes during development. Note the 0.49999997f: float32 sqrt(1/2)^2, as numpy gives.
using Matrix = std::array<float, 64>;

// clang-format off
// history [2] -> indices [2, 3, 3, 3, 3]
constexpr Matrix kOneClickSymmetric = {
    0.49999997f, 0, 0, 0, 0, 0, 0, 0.49999997f,
    0, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 1, 0, 0, 0, 0,
    0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 1, 0,
    0.49999997f, 0, 0, 0, 0, 0, 0, 0.49999997f,
};
// history [2] -> indices [2, 3, 3, 3, 3]
constexpr Matrix kOneClickAsymmetric = {
    0.5f, 0, 0, 0, 0, 0, 0, 0.5f,
    0, 1, 0, 0, 0, 0, 0, 0,
    0, 0, 1, 0, 0, 0, 0, 0,
    0, 0, 0, 1, 0, 0, 0, 0,
    0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 1, 0,
    0.5f, 0, 0, 0, 0, 0, 0, 0.5f,
};
// history [0, 1, 0, 0] -> indices [0, 1, 0, 0, 3]
constexpr Matrix kRepeatedSymmetric = {
    0.25f, 0, 0.25f, 0.25f, 0, 0.2236068f, 0, 0,
    0, 0.49999997f, 0, 0, 0, 0, 0.40824828f, 0,
    0.25f, 0, 0.25f, 0.25f, 0, 0.2236068f, 0, 0,
    0.25f, 0, 0.25f, 0.25f, 0, 0.2236068f, 0, 0,
    0, 0, 0, 0, 1, 0, 0, 0,
    0.2236068f, 0, 0.2236068f, 0.2236068f, 0, 0.19999999f, 0.2581989f, 0,
    0, 0.40824828f, 0, 0, 0, 0.2581989f, 0.3333333f, 0,
    0, 0, 0, 0, 0, 0, 0, 1,
};
// history [0, 1, 0, 0] -> indices [0, 1, 0, 0, 3]
constexpr Matrix kRepeatedAsymmetric = {
    0.25f, 0, 0.25f, 0.25f, 0, 0.25f, 0, 0,
    0, 0.5f, 0, 0, 0, 0, 0.5f, 0,
    0.25f, 0, 0.25f, 0.25f, 0, 0.25f, 0, 0,
    0.25f, 0, 0.25f, 0.25f, 0, 0.25f, 0, 0,
    0, 0, 0, 0, 1, 0, 0, 0,
    0.2f, 0, 0.2f, 0.2f, 0, 0.2f, 0.2f, 0,
    0, 0.33333334f, 0, 0, 0, 0.33333334f, 0.33333334f, 0,
    0, 0, 0, 0, 0, 0, 0, 1,
};
// history [0, 1, 0, 0] -> indices [0, 1, 0, 0, 3]
constexpr Matrix kRepeatedRawNoSelf = {
    0, 0, 1, 1, 0, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 1, 0,
    1, 0, 0, 1, 0, 1, 0, 0,
    1, 0, 1, 0, 0, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
    1, 0, 1, 1, 0, 0, 1, 0,
    0, 1, 0, 0, 0, 1, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0,
};
// history [1, 1, 2, 0, 1, 2, 2] -> indices [2, 0, 1, 2, 2]
constexpr Matrix kTruncatedSymmetric = {
    0.25f, 0, 0, 0.25f, 0.25f, 0, 0, 0.20412415f,
    0, 0.49999997f, 0, 0, 0, 0.35355338f, 0, 0,
    0, 0, 0.49999997f, 0, 0, 0, 0.35355338f, 0,
    0.25f, 0, 0, 0.25f, 0.25f, 0, 0, 0.20412415f,
    0.25f, 0, 0, 0.25f, 0.25f, 0, 0, 0.20412415f,
    0, 0.35355338f, 0, 0, 0, 0.25f, 0.25f, 0.20412415f,
    0, 0, 0.35355338f, 0, 0, 0.25f, 0.25f, 0.20412415f,
    0.20412415f, 0, 0, 0.20412415f, 0.20412415f, 0.20412415f, 0.20412415f, 0.16666667f,
};
// history [1, 1, 2, 0, 1, 2, 2] -> indices [2, 0, 1, 2, 2]
constexpr Matrix kTruncatedAsymmetric = {
    0.25f, 0, 0, 0.25f, 0.25f, 0, 0, 0.25f,
    0, 0.5f, 0, 0, 0, 0.5f, 0, 0,
    0, 0, 0.5f, 0, 0, 0, 0.5f, 0,
    0.25f, 0, 0, 0.25f, 0.25f, 0, 0, 0.25f,
    0.25f, 0, 0, 0.25f, 0.25f, 0, 0, 0.25f,
    0, 0.25f, 0, 0, 0, 0.25f, 0.25f, 0.25f,
    0, 0, 0.25f, 0, 0, 0.25f, 0.25f, 0.25f,
    0.16666667f, 0, 0, 0.16666667f, 0.16666667f, 0.16666667f, 0.16666667f, 0.16666667f,
};
// history [1, 1, 2, 0, 1, 2, 2] -> indices [2, 0, 1, 2, 2]
constexpr Matrix kTruncatedRawSelf = {
    1, 0, 0, 1, 1, 0, 0, 1,
    0, 1, 0, 0, 0, 1, 0, 0,
    0, 0, 1, 0, 0, 0, 1, 0,
    1, 0, 0, 1, 1, 0, 0, 1,
    1, 0, 0, 1, 1, 0, 0, 1,
    0, 1, 0, 0, 0, 1, 1, 1,
    0, 0, 1, 0, 0, 1, 1, 1,
    1, 0, 0, 1, 1, 1, 1, 1,
};
// clang-format on

HistoryGraphOptions small_options(bool self_connection, bool normalize,
                                  GraphNormalization normalization) {
  HistoryGraphOptions options;
  options.max_history_num = 5;
  options.category_num = 3;
  options.self_connection = self_connection;
  options.adjacent_normalization = normalize;
  options.normalization = normalization;
  return options;
}

void expect_bitwise_equal(const std::vector<float>& actual, const Matrix& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(std::memcmp(&actual[i], &expected[i], sizeof(float)), 0)
        << "entry (" << i / 8 << ", " << i % 8 << "): " << actual[i] << " vs " << expected[i];
  }
}

struct GoldenCase {
  const char* name;
  std::vector<std::int32_t> history;  // categories of the full click history, oldest first
  bool self_connection;
  bool normalize;
  GraphNormalization normalization;
  const Matrix* expected;
};

TEST(MindHistoryGraph, MatchesReferenceTranscription) {
  using enum GraphNormalization;
  const std::vector<GoldenCase> cases = {
      {"one click, symmetric", {2}, true, true, kSymmetric, &kOneClickSymmetric},
      {"one click, asymmetric", {2}, true, true, kAsymmetric, &kOneClickAsymmetric},
      {"repeated, symmetric", {0, 1, 0, 0}, true, true, kSymmetric, &kRepeatedSymmetric},
      {"repeated, asymmetric", {0, 1, 0, 0}, true, true, kAsymmetric, &kRepeatedAsymmetric},
      {"repeated, raw, no self", {0, 1, 0, 0}, false, false, kSymmetric, &kRepeatedRawNoSelf},
      {"truncated, symmetric", {1, 1, 2, 0, 1, 2, 2}, true, true, kSymmetric, &kTruncatedSymmetric},
      {"truncated, asymmetric",
       {1, 1, 2, 0, 1, 2, 2},
       true,
       true,
       kAsymmetric,
       &kTruncatedAsymmetric},
      {"truncated, raw, self", {1, 1, 2, 0, 1, 2, 2}, true, false, kSymmetric, &kTruncatedRawSelf},
  };
  for (const GoldenCase& c : cases) {
    SCOPED_TRACE(c.name);
    const auto options = small_options(c.self_connection, c.normalize, c.normalization);
    const auto indices = history_category_indices(c.history, options);
    expect_bitwise_equal(build_dense_graph(indices, options), *c.expected);
  }
}

TEST(MindHistoryGraph, CompactIndicesKeepLastClicksAndPadTheTail) {
  const auto options = small_options(true, true, GraphNormalization::kSymmetric);
  using Indices = std::vector<std::int32_t>;
  EXPECT_EQ(history_category_indices(Indices{}, options), (Indices{3, 3, 3, 3, 3}));
  EXPECT_EQ(history_category_indices(Indices{2}, options), (Indices{2, 3, 3, 3, 3}));
  EXPECT_EQ(history_category_indices(Indices{0, 1, 2, 0, 1}, options), (Indices{0, 1, 2, 0, 1}));
  EXPECT_EQ(history_category_indices(Indices{1, 1, 2, 0, 1, 2, 2}, options),
            (Indices{2, 0, 1, 2, 2}));
  EXPECT_THROW(history_category_indices(Indices{0, 3}, options), Error);  // 3 is the padding
  EXPECT_THROW(history_category_indices(Indices{-1}, options), Error);

  std::array<std::uint8_t, 4> mask{};
  history_category_mask(Indices{2, 0, 2, 3, 3}, options, mask);
  EXPECT_EQ(mask, (std::array<std::uint8_t, 4>{1, 0, 1, 0}));  // the padding entry stays 0
}

TEST(MindHistoryGraph, EmptyHistoryIsNotNormalised) {
  // NNR normalises only non-empty histories: identity with self-connections, zero without.
  const std::vector<std::int32_t> empty{3, 3, 3, 3, 3};
  for (const auto normalization :
       {GraphNormalization::kSymmetric, GraphNormalization::kAsymmetric}) {
    const auto graph = build_dense_graph(empty, small_options(true, true, normalization));
    for (std::size_t i = 0; i < graph.size(); ++i) {
      EXPECT_EQ(graph[i], i / 8 == i % 8 ? 1.0f : 0.0f) << i;
    }
  }
  const auto zero =
      build_dense_graph(empty, small_options(false, false, GraphNormalization::kSymmetric));
  EXPECT_EQ(zero, std::vector<float>(64, 0.0f));
  EXPECT_TRUE(build_sparse_graph(empty, small_options(false, false, GraphNormalization::kSymmetric))
                  .values.empty());
}

TEST(MindHistoryGraph, RejectsInvalidOptionsAndIndices) {
  // NNR's config refuses normalisation without self-connections (degree-0 nodes).
  EXPECT_THROW(HistoryGraphBuilder(small_options(false, true, GraphNormalization::kSymmetric)),
               Error);
  HistoryGraphOptions no_categories;
  EXPECT_THROW(HistoryGraphBuilder{no_categories}, Error);

  const auto options = small_options(true, true, GraphNormalization::kSymmetric);
  using Indices = std::vector<std::int32_t>;
  EXPECT_THROW(build_dense_graph(Indices{0, 3, 1, 3, 3}, options), Error);  // real after padding
  EXPECT_THROW(build_dense_graph(Indices{0, 4, 3, 3, 3}, options), Error);  // out of range
  EXPECT_THROW(build_dense_graph(Indices{0, 3, 3, 3}, options), Error);     // wrong length
  HistoryGraphBuilder builder(options);
  std::vector<float> too_small(63);
  EXPECT_THROW(builder.dense(Indices{0, 3, 3, 3, 3}, too_small), Error);
}

// Random MIND-sized histories (max_history_num 50, 18 categories, G = 68), every length from
// empty to full, few or many distinct categories.
std::vector<std::int32_t> random_indices(std::mt19937& rng, const HistoryGraphOptions& options,
                                         std::int32_t samples) {
  std::vector<std::int32_t> out;
  for (std::int32_t s = 0; s < samples; ++s) {
    const auto length = static_cast<std::int32_t>(rng() % (options.max_history_num * 2 + 1));
    const auto distinct = static_cast<std::int32_t>(1 + rng() % options.category_num);
    std::vector<std::int32_t> history(static_cast<std::size_t>(length));
    for (auto& category : history) category = static_cast<std::int32_t>(rng() % distinct);
    const auto indices = history_category_indices(history, options);
    out.insert(out.end(), indices.begin(), indices.end());
  }
  return out;
}

std::vector<HistoryGraphOptions> all_valid_options() {
  std::vector<HistoryGraphOptions> all;
  for (const bool self : {true, false}) {
    for (const bool normalize : {true, false}) {
      for (const auto normalization :
           {GraphNormalization::kSymmetric, GraphNormalization::kAsymmetric}) {
        if (!self && normalize) continue;
        HistoryGraphOptions options;
        options.category_num = 18;
        options.self_connection = self;
        options.adjacent_normalization = normalize;
        options.normalization = normalization;
        all.push_back(options);
      }
    }
  }
  return all;
}

TEST(MindHistoryGraph, SparseHoldsExactlyTheDenseNonzerosInRowMajorOrder) {
  std::mt19937 rng(7);
  for (const auto& options : all_valid_options()) {
    const auto size = static_cast<std::size_t>(options.graph_size());
    ASSERT_EQ(size, 68u);
    const auto batch = random_indices(rng, options, 60);
    HistoryGraphBuilder builder(options);
    std::vector<float> dense(size * size);
    SparseGraph sparse;
    for (std::size_t b = 0; b < 60; ++b) {
      const auto indices = std::span(batch).subspan(b * 50, 50);
      builder.dense(indices, dense);
      builder.sparse(indices, sparse);
      ASSERT_EQ(sparse.size, 68);
      std::size_t k = 0;
      for (std::size_t r = 0; r < size; ++r) {
        for (std::size_t c = 0; c < size; ++c) {
          if (dense[r * size + c] == 0.0f) continue;
          ASSERT_LT(k, sparse.values.size());
          EXPECT_EQ(sparse.rows[k], static_cast<std::int32_t>(r));
          EXPECT_EQ(sparse.cols[k], static_cast<std::int32_t>(c));
          EXPECT_EQ(sparse.values[k], dense[r * size + c]);
          ++k;
        }
      }
      EXPECT_EQ(k, sparse.values.size());
    }
  }
}

TEST(MindHistoryGraph, BatchedMatchesSingleAndGraphsAreWellFormed) {
  std::mt19937 rng(11);
  for (const auto& options : all_valid_options()) {
    const auto size = static_cast<std::size_t>(options.graph_size());
    const std::size_t batch = 40;
    const auto indices = random_indices(rng, options, static_cast<std::int32_t>(batch));
    HistoryGraphBuilder builder(options);
    std::vector<float> out(batch * size * size, -1.0f);  // stale data must be overwritten
    builder.dense_batch(indices, out);
    for (std::size_t b = 0; b < batch; ++b) {
      const auto single = build_dense_graph(std::span(indices).subspan(b * 50, 50), options);
      ASSERT_EQ(std::memcmp(single.data(), out.data() + b * size * size, size * size * 4), 0) << b;
      for (std::size_t r = 0; r < size; ++r) {
        float row_sum = 0.0f;
        for (std::size_t c = 0; c < size; ++c) {
          // Every variant is symmetric except D^-1 A, which is row-stochastic instead.
          if (!options.adjacent_normalization ||
              options.normalization == GraphNormalization::kSymmetric) {
            EXPECT_EQ(single[r * size + c], single[c * size + r]);
          }
          row_sum += single[r * size + c];
        }
        if (options.adjacent_normalization &&
            options.normalization == GraphNormalization::kAsymmetric) {
          EXPECT_NEAR(row_sum, 1.0f, 1e-5f);
        }
      }
    }
  }
}

}  // namespace
}  // namespace rsdist::mind
