#include "models/naml_test_data.hpp"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <map>

namespace rsdist::models::testing {

NamlOptions small_naml_options(ClickPredictorKind predictor, bool mask_history,
                               std::uint64_t init_seed) {
  at::Generator generator = at::detail::createCPUGenerator(1234);
  NamlOptions options;
  options.word_embedding = at::randn({50, 12}, generator, at::kFloat).mul_(0.5);
  options.categories = 5;
  options.subcategories = 7;
  options.category_embedding_dim = 6;
  options.cnn_kernel_num = 16;
  options.cnn_window_size = 3;
  options.attention_dim = 8;
  options.dropout = 0.2;
  options.click_predictor = predictor;
  options.mask_history = mask_history;
  options.init_seed = init_seed;
  return options;
}

namespace {

// [N, L] word ids with 1..L real words per row (row 0: none) and the matching float mask.
std::pair<at::Tensor, at::Tensor> random_text(std::int64_t rows, std::int64_t length,
                                              std::int64_t words, at::Generator& generator) {
  at::Tensor ids = at::randint(1, words, {rows, length}, generator, at::kLong);
  const at::Tensor lengths = at::randint(1, length + 1, {rows, 1}, generator, at::kLong);
  lengths[0][0] = 0;
  const at::Tensor mask = at::arange(length, at::kLong).unsqueeze(0) < lengths;
  ids.masked_fill_(mask.logical_not(), 0);
  return {ids, mask.to(at::kFloat)};
}

}  // namespace

NewsInputs random_news_table(std::int64_t articles, std::int64_t title_length,
                             std::int64_t abstract_length, const NamlOptions& options,
                             std::uint64_t seed) {
  at::Generator generator = at::detail::createCPUGenerator(seed);
  const std::int64_t words = options.word_embedding.size(0);
  NewsInputs news;
  std::tie(news.title, news.title_mask) = random_text(articles, title_length, words, generator);
  news.title_mask[0][0] = 1.0;  // as news.h5: the <PAD> news keeps one (<PAD>) title token
  std::tie(news.abstract, news.abstract_mask) =
      random_text(articles, abstract_length, words, generator);
  news.abstract[articles - 1].zero_();
  news.abstract_mask[articles - 1].zero_();
  news.category = at::randint(0, options.categories, {articles}, generator, at::kLong);
  news.subcategory = at::randint(0, options.subcategories, {articles}, generator, at::kLong);
  news.category[0] = 0;
  news.subcategory[0] = 0;
  return news;
}

NewsInputs select_news(const NewsInputs& table, const at::Tensor& ids) {
  return {table.title.index_select(0, ids),    table.title_mask.index_select(0, ids),
          table.abstract.index_select(0, ids), table.abstract_mask.index_select(0, ids),
          table.category.index_select(0, ids), table.subcategory.index_select(0, ids)};
}

ClickBatch make_click_batch(const NewsInputs& table, const at::Tensor& history_ids,
                            const at::Tensor& candidate_ids, bool deduplicate) {
  ClickBatch batch;
  batch.history_mask = (history_ids != 0).to(at::kFloat);
  batch.user = at::arange(history_ids.size(0), at::kLong);
  const at::Tensor all_ids = at::cat({history_ids.reshape(-1), candidate_ids.reshape(-1)});
  at::Tensor index;
  if (deduplicate) {
    // First-seen order, so that the de-duplicated rows are not simply sorted.
    std::map<std::int64_t, std::int64_t> row_of;
    std::vector<std::int64_t> distinct;
    index = at::empty_like(all_ids);
    for (std::int64_t i = 0; i < all_ids.numel(); ++i) {
      const std::int64_t id = all_ids[i].item<std::int64_t>();
      const auto [it, inserted] = row_of.emplace(id, static_cast<std::int64_t>(distinct.size()));
      if (inserted) distinct.push_back(id);
      index[i] = it->second;
    }
    batch.news_ids = at::tensor(distinct, at::kLong);
  } else {
    batch.news_ids = all_ids;
    index = at::arange(all_ids.numel(), at::kLong);
  }
  batch.news = select_news(table, batch.news_ids);
  const std::int64_t history_slots = history_ids.numel();
  batch.history_index = index.slice(0, 0, history_slots).view_as(history_ids);
  batch.candidate_index = index.slice(0, history_slots).view_as(candidate_ids);
  return batch;
}

ClickBatch batch_to(const ClickBatch& batch, const at::Device& device) {
  const auto to = [&](const at::Tensor& t) { return t.to(device); };
  const NewsInputs& n = batch.news;
  return {to(batch.news_ids),
          {to(n.title), to(n.title_mask), to(n.abstract), to(n.abstract_mask), to(n.category),
           to(n.subcategory)},
          to(batch.history_index),
          to(batch.history_mask),
          to(batch.candidate_index),
          to(batch.user)};
}

SmallBatch small_batch(const NamlOptions& options) {
  SmallBatch small;
  small.table = random_news_table(12, 7, 9, options, 99);
  // Article 3 appears in two histories and as a candidate; user 2 has no history at all; the
  // empty-abstract article 11 is a candidate.
  small.history_ids =
      at::tensor({1, 2, 3, 4, 5, 3, 6, 0, 0, 0, 0, 0, 0, 0, 0}, at::kLong).view({3, 5});
  small.candidate_ids =
      at::tensor({7, 8, 3, 9, 10, 9, 1, 11, 2, 7, 3, 10, 4, 5, 8}, at::kLong).view({3, 5});
  return small;
}

}  // namespace rsdist::models::testing
