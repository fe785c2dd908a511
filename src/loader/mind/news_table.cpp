#include "loader/mind/news_table.hpp"

#include <ATen/ops/empty.h>
#include <ATen/ops/index_select.h>

#include <cstring>

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "data/hdf5/file.hpp"
#include "loader/mind/corpus_lengths.hpp"
#include "loader/mind/corpus_reading.hpp"

namespace rsdist::loader {
namespace {

// [rows, width] of a [rows, corpus_width] row-major array, the first `width` columns, as T.
template <class T, class Source>
at::Tensor columns_as(const std::vector<Source>& values, std::int64_t rows,
                      std::int64_t corpus_width, std::int64_t width, at::ScalarType dtype) {
  at::Tensor out = at::empty({rows, width}, at::TensorOptions().dtype(dtype));
  T* dst = out.data_ptr<T>();
  for (std::int64_t r = 0; r < rows; ++r) {
    const Source* src = values.data() + r * corpus_width;
    for (std::int64_t c = 0; c < width; ++c) dst[r * width + c] = static_cast<T>(src[c]);
  }
  return out;
}

at::Tensor int64_vector(const std::vector<std::int32_t>& values) {
  const auto n = static_cast<std::int64_t>(values.size());
  return columns_as<std::int64_t>(values, 1, n, n, at::kLong).view({n});
}

}  // namespace

NewsTable NewsTable::load(const std::filesystem::path& corpus_dir,
                          const NewsTableOptions& options) {
  const MindCounts counts = read_mind_counts(corpus_dir);
  const h5::File file = open_corpus_file(corpus_dir / "news.h5", "mind_news");
  const std::string& path = file.path();

  NewsTable table;
  const std::vector<std::uint64_t> title_shape = file.info("news/title_ids").shape;
  const std::vector<std::uint64_t> abstract_shape = file.info("news/abstract_ids").shape;
  RSDIST_CHECK(
      title_shape.size() == 2 && abstract_shape.size() == 2 && title_shape[0] == abstract_shape[0],
      "{}: news/title_ids and news/abstract_ids must be [news, length] arrays", path);
  const auto rows = static_cast<std::int64_t>(title_shape[0]);
  RSDIST_CHECK(rows == counts.news && rows >= 1,
               "{}: {} news rows, but the manifest counts {} news", path, rows, counts.news);
  const auto corpus_title = static_cast<std::int32_t>(title_shape[1]);
  const auto corpus_abstract = static_cast<std::int32_t>(abstract_shape[1]);
  table.title_length_ =
      resolve_length("max_title_length", options.max_title_length, corpus_title, path);
  table.abstract_length_ =
      resolve_length("max_abstract_length", options.max_abstract_length, corpus_abstract, path);
  table.num_news_ = rows;
  table.num_categories_ = counts.categories;
  table.num_subcategories_ = counts.subcategories;

  models::NewsInputs& news = table.news_;
  news.title = columns_as<std::int64_t>(file.read<std::int32_t>("news/title_ids"), rows,
                                        corpus_title, table.title_length_, at::kLong);
  news.title_mask = columns_as<float>(file.read<std::uint8_t>("news/title_mask"), rows,
                                      corpus_title, table.title_length_, at::kFloat);
  news.abstract = columns_as<std::int64_t>(file.read<std::int32_t>("news/abstract_ids"), rows,
                                           corpus_abstract, table.abstract_length_, at::kLong);
  news.abstract_mask = columns_as<float>(file.read<std::uint8_t>("news/abstract_mask"), rows,
                                         corpus_abstract, table.abstract_length_, at::kFloat);

  const auto category = file.read<std::int32_t>("news/category");
  const auto subcategory = file.read<std::int32_t>("news/subcategory");
  const auto split = file.read<std::uint8_t>("news/split");
  RSDIST_CHECK(static_cast<std::int64_t>(category.size()) == rows &&
                   static_cast<std::int64_t>(subcategory.size()) == rows &&
                   static_cast<std::int64_t>(split.size()) == rows,
               "{}: news/category, news/subcategory and news/split must have {} rows", path, rows);
  for (std::int64_t r = 0; r < rows; ++r) {
    RSDIST_CHECK(category[r] >= 0 && category[r] < counts.categories && subcategory[r] >= 0 &&
                     subcategory[r] < counts.subcategories,
                 "{}: news {} has category {} / subcategory {} outside the manifest's {} / {}",
                 path, r, category[r], subcategory[r], counts.categories, counts.subcategories);
    if (r > 0 && split[r] == 0) table.train_news_.push_back(static_cast<std::int32_t>(r));
  }
  news.category = int64_vector(category);
  news.subcategory = int64_vector(subcategory);

  const std::vector<std::uint64_t> embedding_shape = file.info("words/embedding").shape;
  RSDIST_CHECK(embedding_shape.size() == 2, "{}: words/embedding must be a [words, dim] array",
               path);
  const auto embedding = file.read<float>("words/embedding");
  table.word_embedding_ = at::empty({static_cast<std::int64_t>(embedding_shape[0]),
                                     static_cast<std::int64_t>(embedding_shape[1])},
                                    at::TensorOptions().dtype(at::kFloat));
  std::memcpy(table.word_embedding_.data_ptr<float>(), embedding.data(),
              embedding.size() * sizeof(float));
  return table;
}

NewsTable NewsTable::to(const at::Device& device) const {
  NewsTable moved = *this;
  models::NewsInputs& news = moved.news_;
  for (at::Tensor* t : {&news.title, &news.title_mask, &news.abstract, &news.abstract_mask,
                        &news.category, &news.subcategory, &moved.word_embedding_}) {
    *t = t->to(device);
  }
  return moved;
}

models::NewsInputs NewsTable::gather(const at::Tensor& news_ids) const {
  RSDIST_CHECK(news_ids.defined() && news_ids.dim() == 1 && news_ids.scalar_type() == at::kLong,
               "NewsTable::gather takes a 1-D int64 tensor of news ids");
  RSDIST_CHECK(news_ids.device() == device(),
               "NewsTable::gather: news ids on {} but the table is on {}; move one of them",
               news_ids.device().str(), device().str());
  return {at::index_select(news_.title, 0, news_ids),
          at::index_select(news_.title_mask, 0, news_ids),
          at::index_select(news_.abstract, 0, news_ids),
          at::index_select(news_.abstract_mask, 0, news_ids),
          at::index_select(news_.category, 0, news_ids),
          at::index_select(news_.subcategory, 0, news_ids)};
}

}  // namespace rsdist::loader
