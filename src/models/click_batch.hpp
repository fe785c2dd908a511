// What a click model (NAML and the other MIND news recommenders) reads: news features gathered
// from the corpus's news table and a batch in index form. The loader (src/loader/) builds it; the
// model (src/models/) consumes it. Every tensor is on the model's device.
//
// De-duplication (Note [One encoding per distinct news] in src/loader/mind/click_batcher.hpp): the
// histories and candidates of a batch point into one list of news, `news_ids`. When the loader
// de-duplicates, `news_ids` holds each distinct article once; when it does not, it holds every
// slot's article (and `history_index`/`candidate_index` are then just an arange). The model is the
// same either way: it encodes `news` once and gathers rows.
#pragma once

#include <ATen/core/Tensor.h>

namespace rsdist::models {

// Features of U news articles (rows of news.h5, see docs/corpus_mind.md).
struct NewsInputs {
  at::Tensor title;          // [U, Lt] int64 word ids
  at::Tensor title_mask;     // [U, Lt] float32, 1 on kept tokens
  at::Tensor abstract;       // [U, La] int64
  at::Tensor abstract_mask;  // [U, La] float32
  at::Tensor category;       // [U] int64
  at::Tensor subcategory;    // [U] int64
};

struct ClickBatch {
  at::Tensor news_ids;         // [U] int64 corpus news indices
  NewsInputs news;             // features of news_ids
  at::Tensor history_index;    // [B, H] int64 rows of news_ids (padding slots point at a <PAD> row)
  at::Tensor history_mask;     // [B, H] float32, 1 on real history slots
  at::Tensor candidate_index;  // [B, C] int64 rows of news_ids; in training column 0 is the click
  at::Tensor user;             // [B] int64 user index (0 for unknown users)
};

}  // namespace rsdist::models
