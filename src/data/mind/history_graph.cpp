#include "data/mind/history_graph.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace rsdist::mind {

void HistoryGraphOptions::validate() const {
  RSDIST_CHECK(max_history_num > 0, "history graph: max_history_num must be positive, got {}",
               max_history_num);
  RSDIST_CHECK(category_num > 0, "history graph: category_num must be positive, got {}",
               category_num);
  // NNR's config.py asserts the same: without self-connections, padding slots and absent
  // categories are isolated nodes, and D^-1 would divide by a zero degree.
  RSDIST_CHECK(self_connection || !adjacent_normalization,
               "history graph: adjacency normalisation needs self-connections; enable "
               "self-connections or disable normalisation");
}

void history_category_indices(std::span<const std::int32_t> history_categories,
                              const HistoryGraphOptions& options, std::span<std::int32_t> out) {
  const auto max_history = static_cast<std::size_t>(options.max_history_num);
  RSDIST_CHECK(out.size() == max_history,
               "history graph: output has {} entries, max_history_num is {}", out.size(),
               max_history);
  // Keep the most recent clicks, oldest first, as the seed's `offset`.
  const std::size_t kept = std::min(history_categories.size(), max_history);
  const auto recent = history_categories.subspan(history_categories.size() - kept);
  for (std::size_t i = 0; i < kept; ++i) {
    RSDIST_CHECK(recent[i] >= 0 && recent[i] < options.category_num,
                 "history graph: category index {} outside [0, {})", recent[i],
                 options.category_num);
    out[i] = recent[i];
  }
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(kept), out.end(), options.padding_category());
}

std::vector<std::int32_t> history_category_indices(std::span<const std::int32_t> history_categories,
                                                   const HistoryGraphOptions& options) {
  std::vector<std::int32_t> out(static_cast<std::size_t>(options.max_history_num));
  history_category_indices(history_categories, options, out);
  return out;
}

void history_category_mask(std::span<const std::int32_t> category_indices,
                           const HistoryGraphOptions& options, std::span<std::uint8_t> out) {
  RSDIST_CHECK(out.size() == static_cast<std::size_t>(options.category_num) + 1,
               "history graph: category mask has {} entries, expected category_num + 1 = {}",
               out.size(), options.category_num + 1);
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  for (const std::int32_t category : category_indices) {
    if (category >= 0 && category < options.category_num) {
      out[static_cast<std::size_t>(category)] = 1;
    }
  }
}

HistoryGraphBuilder::HistoryGraphBuilder(const HistoryGraphOptions& options) : options_(options) {
  options_.validate();
  const auto categories = static_cast<std::size_t>(options_.category_num);
  category_count_.assign(categories, 0);
  category_begin_.assign(categories + 1, 0);
  slots_by_category_.assign(static_cast<std::size_t>(options_.max_history_num), 0);
  present_categories_.reserve(categories);
  row_factor_.assign(static_cast<std::size_t>(options_.graph_size()), 1.0f);
}

// Validates one sample's indices, groups its real slots by category and computes every node's
// normalisation factor from its degree (see the header for the degree of each node kind).
// Returns the number of real slots.
std::int32_t HistoryGraphBuilder::prepare(std::span<const std::int32_t> category_indices) {
  const std::int32_t history_capacity = options_.max_history_num;
  const std::int32_t categories = options_.category_num;
  RSDIST_CHECK(category_indices.size() == static_cast<std::size_t>(history_capacity),
               "history graph: {} category indices, max_history_num is {}", category_indices.size(),
               history_capacity);
  std::int32_t history_len = 0;
  while (history_len < history_capacity && category_indices[history_len] != categories) {
    const std::int32_t category = category_indices[history_len];
    RSDIST_CHECK(category >= 0 && category < categories,
                 "history graph: slot {} has category {}, outside [0, {}] ({} is padding)",
                 history_len, category, categories, categories);
    ++history_len;
  }
  for (std::int32_t slot = history_len; slot < history_capacity; ++slot) {
    RSDIST_CHECK(category_indices[slot] == categories,
                 "history graph: slot {} has category {} after padding started at slot {}; "
                 "padding ({}) must only fill the tail",
                 slot, category_indices[slot], history_len, categories);
  }

  // Counting sort of the real slots by category; slots stay ascending within a category.
  std::fill(category_count_.begin(), category_count_.end(), 0);
  for (std::int32_t slot = 0; slot < history_len; ++slot) {
    ++category_count_[category_indices[slot]];
  }
  present_categories_.clear();
  category_begin_[0] = 0;
  for (std::int32_t c = 0; c < categories; ++c) {
    category_begin_[c + 1] = category_begin_[c] + category_count_[c];
    if (category_count_[c] > 0) present_categories_.push_back(c);
  }
  for (std::int32_t slot = 0; slot < history_len; ++slot) {
    const std::int32_t c = category_indices[slot];
    // category_count_ doubles as a fill cursor and is restored by the pass below.
    slots_by_category_[category_begin_[c + 1] - category_count_[c]] = slot;
    --category_count_[c];
  }
  for (std::int32_t c = 0; c < categories; ++c) {
    category_count_[c] = category_begin_[c + 1] - category_begin_[c];
  }

  // NNR normalises only non-empty histories; an empty one keeps factor 1 everywhere.
  std::fill(row_factor_.begin(), row_factor_.end(), 1.0f);
  if (!options_.adjacent_normalization || history_len == 0) return history_len;
  const float self_edge = options_.self_connection ? 1.0f : 0.0f;
  const auto present = static_cast<float>(present_categories_.size());
  auto factor = [&](float degree) {
    // float32 throughout, as numpy's `1 / float32_array` and np.sqrt on float32.
    const float inverse = 1.0f / degree;
    return options_.normalization == GraphNormalization::kAsymmetric ? inverse : std::sqrt(inverse);
  };
  for (std::int32_t slot = 0; slot < history_capacity; ++slot) {
    // Real slot: same-category peers + its proxy (= category count) + self; padding: self only.
    const float degree =
        slot < history_len ? static_cast<float>(category_count_[category_indices[slot]]) : 0.0f;
    row_factor_[slot] = factor(degree + self_edge);
  }
  for (std::int32_t c = 0; c < categories; ++c) {
    // Present proxy: its news + the other present proxies + self; absent proxy: self only.
    const float degree =
        category_count_[c] > 0 ? static_cast<float>(category_count_[c]) + (present - 1.0f) : 0.0f;
    row_factor_[history_capacity + c] = factor(degree + self_edge);
  }
  return history_len;
}

// Calls emit(row, col, value) for every nonzero entry, row-major, columns ascending in a row.
template <typename Emit>
void HistoryGraphBuilder::for_each_entry(std::span<const std::int32_t> category_indices,
                                         std::int32_t history_len, Emit&& emit) const {
  const std::int32_t news_nodes = options_.max_history_num;
  const bool self = options_.self_connection;
  const bool symmetric = options_.adjacent_normalization && history_len > 0 &&
                         options_.normalization == GraphNormalization::kSymmetric;
  // D^-1 A scales rows only; D^-1/2 A D^-1/2 scales rows and columns. Either way one float32
  // product per entry, as in NNR's matmuls (see the header).
  auto value = [&](std::int32_t row, std::int32_t col) {
    return symmetric ? row_factor_[row] * row_factor_[col] : row_factor_[row];
  };
  auto emit_category_news = [&](std::int32_t row, std::int32_t category) {
    const std::int32_t* begin = slots_by_category_.data() + category_begin_[category];
    const std::int32_t* end = slots_by_category_.data() + category_begin_[category + 1];
    for (const std::int32_t* slot = begin; slot != end; ++slot) {
      if (*slot != row || self) emit(row, *slot, value(row, *slot));  // E_n (+ self)
    }
  };

  for (std::int32_t slot = 0; slot < news_nodes; ++slot) {
    if (slot < history_len) {
      const std::int32_t category = category_indices[slot];
      emit_category_news(slot, category);
      emit(slot, news_nodes + category, value(slot, news_nodes + category));  // E_p^1
    } else if (self) {
      emit(slot, slot, value(slot, slot));
    }
  }
  for (std::int32_t c = 0; c < options_.category_num; ++c) {
    const std::int32_t row = news_nodes + c;
    if (category_count_[c] == 0) {
      if (self) emit(row, row, value(row, row));
      continue;
    }
    emit_category_news(row, c);  // E_p^1 (the row is a proxy, so never equal to a slot)
    for (const std::int32_t other : present_categories_) {
      const std::int32_t col = news_nodes + other;
      if (other != c || self) emit(row, col, value(row, col));  // E_p^2 (+ self)
    }
  }
}

void HistoryGraphBuilder::dense(std::span<const std::int32_t> category_indices,
                                std::span<float> out) {
  const auto size = static_cast<std::size_t>(options_.graph_size());
  RSDIST_CHECK(out.size() == size * size, "history graph: dense output has {} floats, need {}",
               out.size(), size * size);
  const std::int32_t history_len = prepare(category_indices);
  std::fill(out.begin(), out.end(), 0.0f);
  float* data = out.data();
  for_each_entry(category_indices, history_len, [&](std::int32_t row, std::int32_t col, float v) {
    data[static_cast<std::size_t>(row) * size + static_cast<std::size_t>(col)] = v;
  });
}

void HistoryGraphBuilder::dense_batch(std::span<const std::int32_t> category_indices,
                                      std::span<float> out) {
  const auto history_capacity = static_cast<std::size_t>(options_.max_history_num);
  const auto size = static_cast<std::size_t>(options_.graph_size());
  RSDIST_CHECK(category_indices.size() % history_capacity == 0,
               "history graph: {} category indices is not a multiple of max_history_num {}",
               category_indices.size(), history_capacity);
  const std::size_t batch = category_indices.size() / history_capacity;
  RSDIST_CHECK(out.size() == batch * size * size,
               "history graph: batch output has {} floats, need {} x {} x {}", out.size(), batch,
               size, size);
  for (std::size_t b = 0; b < batch; ++b) {
    dense(category_indices.subspan(b * history_capacity, history_capacity),
          out.subspan(b * size * size, size * size));
  }
}

void HistoryGraphBuilder::sparse(std::span<const std::int32_t> category_indices, SparseGraph& out,
                                 bool clear) {
  const std::int32_t history_len = prepare(category_indices);
  if (clear) {
    out.rows.clear();
    out.cols.clear();
    out.values.clear();
  }
  out.size = options_.graph_size();
  for_each_entry(category_indices, history_len, [&](std::int32_t row, std::int32_t col, float v) {
    out.rows.push_back(row);
    out.cols.push_back(col);
    out.values.push_back(v);
  });
}

std::vector<float> build_dense_graph(std::span<const std::int32_t> category_indices,
                                     const HistoryGraphOptions& options) {
  HistoryGraphBuilder builder(options);
  const auto size = static_cast<std::size_t>(options.graph_size());
  std::vector<float> out(size * size);
  builder.dense(category_indices, out);
  return out;
}

SparseGraph build_sparse_graph(std::span<const std::int32_t> category_indices,
                               const HistoryGraphOptions& options) {
  HistoryGraphBuilder builder(options);
  SparseGraph out;
  builder.sparse(category_indices, out);
  return out;
}

}  // namespace rsdist::mind
