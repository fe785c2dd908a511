// The news side of a MIND corpus (news.h5, docs/corpus_mind.md) as tensors a click model reads:
// title/abstract word ids (int64) and masks (float32), category and subcategory of every news, the
// word embedding matrix, and the list of train-split news that negative sampling falls back on.
//
// Read once, up front, on the constructing thread (HDF5 is not thread-safe here); afterwards the
// table is immutable, so loader threads may read it concurrently. `to(device)` gives a copy on the
// model's device, where `gather` builds a batch's NewsInputs without a host round trip.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <vector>

#include "models/click_batch.hpp"

namespace rsdist::loader {

struct NewsTableOptions {
  // Shorter lengths than the corpus's (0: the corpus's own); longer is an error naming the option.
  std::int32_t max_title_length = 0;
  std::int32_t max_abstract_length = 0;
};

class NewsTable {
 public:
  // Reads DIR/news.h5 (counts from DIR/manifest.json), on the CPU.
  static NewsTable load(const std::filesystem::path& corpus_dir,
                        const NewsTableOptions& options = {});

  // A copy with every tensor on `device` (host-side lists copied).
  NewsTable to(const at::Device& device) const;
  at::Device device() const { return news_.title.device(); }

  // Rows `news_ids` ([U] int64, on device()) of every news tensor, by index_select on the device.
  models::NewsInputs gather(const at::Tensor& news_ids) const;

  // Every row: [Nn, Lt] title, ... (row 0 is <PAD>).
  const models::NewsInputs& news() const { return news_; }
  const at::Tensor& word_embedding() const { return word_embedding_; }  // [W, D] float32

  std::int64_t num_news() const { return num_news_; }  // rows, <PAD> included
  std::int64_t num_categories() const { return num_categories_; }
  std::int64_t num_subcategories() const { return num_subcategories_; }
  std::int32_t title_length() const { return title_length_; }
  std::int32_t abstract_length() const { return abstract_length_; }
  // News defined by the train split's news.tsv (news/split == 0), <PAD> excluded, ascending.
  const std::vector<std::int32_t>& train_news() const { return train_news_; }

 private:
  NewsTable() = default;

  models::NewsInputs news_;
  at::Tensor word_embedding_;
  std::int64_t num_news_ = 0;
  std::int64_t num_categories_ = 0;
  std::int64_t num_subcategories_ = 0;
  std::int32_t title_length_ = 0;
  std::int32_t abstract_length_ = 0;
  std::vector<std::int32_t> train_news_;
};

}  // namespace rsdist::loader
