#include "loader/mind/batch_assembly.hpp"

#include <ATen/ops/empty.h>

#include <cstring>

#include "core/error.hpp"

namespace rsdist::loader {

NewsRows::NewsRows(std::int64_t num_news) : row_(static_cast<std::size_t>(num_news), 0) {}

std::int64_t NewsRows::row_of(std::int64_t news) {
  RSDIST_CHECK(news >= 0 && news < static_cast<std::int64_t>(row_.size()),
               "news {} is outside the news table's {} rows", news, row_.size());
  std::int32_t& row = row_[static_cast<std::size_t>(news)];
  if (row == 0) {
    news_.push_back(news);
    row = static_cast<std::int32_t>(news_.size());
  }
  return row - 1;
}

void NewsRows::clear() {
  for (std::int64_t news : news_) row_[static_cast<std::size_t>(news)] = 0;
  news_.clear();
}

BatchAssembler::BatchAssembler(const TrainSamples& samples, const NegativeSampler& sampler,
                               std::int64_t num_news, bool dedup, bool pinned)
    : samples_(samples), sampler_(sampler), num_news_(num_news), dedup_(dedup), pinned_(pinned) {}

HostBatch BatchAssembler::assemble(std::span<const std::int64_t> sample_ids, std::int64_t epoch,
                                   NewsRows& rows) const {
  const auto batch = static_cast<std::int64_t>(sample_ids.size());
  const std::int64_t width = samples_.max_history_num();
  const std::int64_t candidates = 1 + sampler_.negative_sample_num();
  const auto as_long = at::TensorOptions().dtype(at::kLong).pinned_memory(pinned_);
  const auto as_float = at::TensorOptions().dtype(at::kFloat).pinned_memory(pinned_);

  HostBatch out;
  out.history_index = at::empty({batch, width}, as_long);
  out.history_mask = at::empty({batch, width}, as_float);
  out.candidate_index = at::empty({batch, candidates}, as_long);
  out.user = at::empty({batch}, as_long);
  out.news_slots = batch * (width + candidates);

  // Every slot's news: histories row by row, then candidates row by row.
  std::vector<std::int64_t> slots(static_cast<std::size_t>(out.news_slots));
  std::int64_t* history_news = slots.data();
  std::int64_t* candidate_news = slots.data() + batch * width;
  float* mask = out.history_mask.data_ptr<float>();
  std::int64_t* user = out.user.data_ptr<std::int64_t>();
  // Checked here, on the host: an out-of-range index_select on a CUDA device is a device assert.
  const auto check_news = [&](std::int64_t id, const std::int64_t* news, std::int64_t count) {
    for (std::int64_t i = 0; i < count; ++i) {
      RSDIST_CHECK(news[i] >= 0 && news[i] < num_news_,
                   "train sample {} refers to news {}, outside the news table's {} rows", id,
                   news[i], num_news_);
    }
  };
  for (std::int64_t b = 0; b < batch; ++b) {
    const std::int64_t id = sample_ids[static_cast<std::size_t>(b)];
    const TrainSampleView sample = samples_.sample(id);
    user[b] = sample.user;
    for (std::int64_t s = 0; s < width; ++s) {
      history_news[b * width + s] = sample.history[static_cast<std::size_t>(s)];
      mask[b * width + s] = s < sample.history_length ? 1.0f : 0.0f;
    }
    sampler_.candidates(epoch, id, sample.positive, sample.negatives,
                        std::span<std::int64_t>(candidate_news + b * candidates,
                                                static_cast<std::size_t>(candidates)));
    check_news(id, history_news + b * width, width);
    check_news(id, candidate_news + b * candidates, candidates);
  }

  std::int64_t* history_index = out.history_index.data_ptr<std::int64_t>();
  std::int64_t* candidate_index = out.candidate_index.data_ptr<std::int64_t>();
  const std::int64_t history_slots = batch * width;
  const std::int64_t candidate_slots = batch * candidates;
  if (dedup_) {
    rows.clear();
    for (std::int64_t i = 0; i < history_slots; ++i)
      history_index[i] = rows.row_of(history_news[i]);
    for (std::int64_t i = 0; i < candidate_slots; ++i) {
      candidate_index[i] = rows.row_of(candidate_news[i]);
    }
    const std::vector<std::int64_t>& distinct = rows.news();
    out.news_ids = at::empty({static_cast<std::int64_t>(distinct.size())}, as_long);
    std::memcpy(out.news_ids.data_ptr<std::int64_t>(), distinct.data(),
                distinct.size() * sizeof(std::int64_t));
  } else {
    for (std::int64_t i = 0; i < history_slots; ++i) history_index[i] = i;
    for (std::int64_t i = 0; i < candidate_slots; ++i) candidate_index[i] = history_slots + i;
    out.news_ids = at::empty({out.news_slots}, as_long);
    std::memcpy(out.news_ids.data_ptr<std::int64_t>(), slots.data(),
                slots.size() * sizeof(std::int64_t));
  }
  return out;
}

}  // namespace rsdist::loader
