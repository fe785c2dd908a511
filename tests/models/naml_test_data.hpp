// Small, seeded inputs for the NAML tests: a model configuration, a news table with padding, and
// click batches built from it with or without de-duplication (the two layouts of click_batch.hpp).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <vector>

#include "models/click_batch.hpp"
#include "models/naml_options.hpp"

namespace rsdist::models::testing {

// W=50 words of Dw=12, 16 kernels of window 3, attention 8, 5 categories and 7 subcategories of
// dimension 6, dropout 0.2; the word vectors are seeded random values (row 0 included: the model
// must zero it).
NamlOptions small_naml_options(ClickPredictorKind predictor, bool mask_history,
                               std::uint64_t init_seed = 1);

// N articles as rows of news.h5: row 0 is the <PAD> news (all <PAD> words, abstract mask all zero),
// other rows have 1..L real words followed by padding; the last row has an empty abstract
// (abstract and its mask all zero).
NewsInputs random_news_table(std::int64_t articles, std::int64_t title_length,
                             std::int64_t abstract_length, const NamlOptions& options,
                             std::uint64_t seed);

// Rows `ids` [K] of the table.
NewsInputs select_news(const NewsInputs& table, const at::Tensor& ids);

// A batch whose history slots are `history_ids` [B, H] (0 = padding) and candidates
// `candidate_ids` [B, C], news taken from `table`. deduplicate: every distinct article once
// (padding slots point at the <PAD> row); otherwise every slot lists its own article.
ClickBatch make_click_batch(const NewsInputs& table, const at::Tensor& history_ids,
                            const at::Tensor& candidate_ids, bool deduplicate);

// Every tensor of `batch` moved to `device`.
ClickBatch batch_to(const ClickBatch& batch, const at::Device& device);

// The fixed batch most tests use: B=3 users, H=5 history slots (user 0 full, user 1 two real
// slots, user 2 none), C=5 candidates, over a 12-article table with Lt=7, La=9.
struct SmallBatch {
  NewsInputs table;
  at::Tensor history_ids;    // [3, 5]
  at::Tensor candidate_ids;  // [3, 5]
};
SmallBatch small_batch(const NamlOptions& options);

}  // namespace rsdist::models::testing
