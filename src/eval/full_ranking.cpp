#include "eval/full_ranking.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/sort.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/topk.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "eval/csr_offsets.hpp"

namespace rsdist::eval {
namespace {

constexpr double kMasked = -std::numeric_limits<double>::infinity();

void check_inputs(const at::Tensor& user_repr, const at::Tensor& item_embeddings,
                  const UserItemMask& mask, std::int64_t k, std::span<const std::int32_t> exempt) {
  RSDIST_CHECK(user_repr.defined() && user_repr.dim() == 2,
               "full ranking: user representations must be [users, dim], got {} dimensions",
               user_repr.defined() ? user_repr.dim() : 0);
  RSDIST_CHECK(item_embeddings.defined() && item_embeddings.dim() == 2,
               "full ranking: item embeddings must be [items, dim], got {} dimensions",
               item_embeddings.defined() ? item_embeddings.dim() : 0);
  RSDIST_CHECK(user_repr.size(1) == item_embeddings.size(1),
               "full ranking: users have dimension {} but items {}", user_repr.size(1),
               item_embeddings.size(1));
  RSDIST_CHECK(item_embeddings.size(0) >= 1,
               "full ranking: the item embeddings are empty (row 0, the padding item, at least)");
  RSDIST_CHECK(user_repr.device() == item_embeddings.device(),
               "full ranking: users on {} but items on {}", user_repr.device().str(),
               item_embeddings.device().str());
  RSDIST_CHECK(
      user_repr.is_floating_point() && user_repr.scalar_type() == item_embeddings.scalar_type(),
      "full ranking: users ({}) and items ({}) need the same floating-point dtype",
      c10::toString(user_repr.scalar_type()), c10::toString(item_embeddings.scalar_type()));
  RSDIST_CHECK(k >= 1, "full ranking: k must be at least 1, got {}", k);

  const std::int64_t users = user_repr.size(0);
  const std::int64_t items = item_embeddings.size(0);
  RSDIST_CHECK(mask.offsets.size() == static_cast<std::size_t>(users + 1),
               "full ranking: the mask has offsets for {} users but the batch has {}",
               static_cast<std::int64_t>(mask.offsets.size()) - 1, users);
  check_csr_offsets(mask.offsets, static_cast<std::int64_t>(mask.items.size()),
                    "full ranking mask offsets");
  for (std::int64_t u = 0; u < users; ++u) {
    for (auto e = mask.offsets[u]; e < mask.offsets[u + 1]; ++e) {
      const std::int32_t item = mask.items[static_cast<std::size_t>(e)];
      RSDIST_CHECK(item >= 0 && item < items,
                   "full ranking: user {} of the batch masks item {}, outside the {} items [0, {})",
                   u, item, items, items);
    }
  }
  RSDIST_CHECK(exempt.empty() || exempt.size() == static_cast<std::size_t>(users),
               "full ranking: {} exempt items for {} users (one per user, or none)", exempt.size(),
               users);
}

// Flat positions (user * items + item) of the masked scores, the padding item included.
std::vector<std::int64_t> masked_positions(const UserItemMask& mask, std::int64_t users,
                                           std::int64_t items,
                                           std::span<const std::int32_t> exempt) {
  std::vector<std::int64_t> positions;
  positions.reserve(mask.items.size() + static_cast<std::size_t>(users));
  for (std::int64_t u = 0; u < users; ++u) {
    positions.push_back(u * items);  // item 0, the padding item
    for (auto e = mask.offsets[u]; e < mask.offsets[u + 1]; ++e) {
      const std::int32_t item = mask.items[static_cast<std::size_t>(e)];
      if (!exempt.empty() && item == exempt[static_cast<std::size_t>(u)]) continue;
      positions.push_back(u * items + item);
    }
  }
  return positions;
}

// Rows of `values`/`ids` ([rows, depth], row-major on the host) replaced by the first `depth`
// entries of the stable descending sort of those rows of `scores`: one sort for all of them.
void resort_rows(const at::Tensor& scores, const std::vector<std::int64_t>& rows,
                 std::int64_t depth, std::vector<double>& values, std::vector<std::int64_t>& ids) {
  const at::Tensor index = at::tensor(rows, at::kLong).to(scores.device());
  auto [sorted_values, sorted_items] = at::sort(scores.index_select(0, index), /*stable=*/true,
                                                /*dim=*/1, /*descending=*/true);
  const at::Tensor best_values =
      sorted_values.slice(1, 0, depth).to(at::kDouble).cpu().contiguous();
  const at::Tensor best_items = sorted_items.slice(1, 0, depth).to(at::kLong).cpu().contiguous();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const auto from = static_cast<std::int64_t>(r) * depth;
    std::copy_n(best_values.data_ptr<double>() + from, depth, values.begin() + rows[r] * depth);
    std::copy_n(best_items.data_ptr<std::int64_t>() + from, depth, ids.begin() + rows[r] * depth);
  }
}

}  // namespace

TopKLists deterministic_topk(const at::Tensor& scores, std::int64_t k) {
  RSDIST_CHECK(scores.defined() && scores.dim() == 2 && scores.is_floating_point(),
               "top-k: scores must be a floating-point [users, items] matrix, got {}",
               scores.defined() ? fmt::format("{} dimensions of {}", scores.dim(),
                                              c10::toString(scores.scalar_type()))
                                : std::string("an undefined tensor"));
  RSDIST_CHECK(k >= 1, "top-k: k must be at least 1, got {}", k);
  const at::NoGradGuard no_grad;
  const std::int64_t users = scores.size(0);
  const std::int64_t items = scores.size(1);
  TopKLists out;
  out.num_users = users;
  out.k = k;
  out.items.assign(static_cast<std::size_t>(users * k), -1);
  if (users == 0 || items == 0) return out;

  // Note [Deterministic ties]: topk selects and orders tied scores in no specified way. The order
  // of the selected items is fixed on the host (score descending, item id ascending); which tied
  // items make the cut is fixed by counting, per user, the scores equal to the k-th best: the rows
  // where some of them were left out are sorted stably (ties keep ascending item ids).
  const std::int64_t depth = std::min(k, items);
  auto [top_values, top_items] = at::topk(scores, depth, /*dim=*/1, /*largest=*/true,
                                          /*sorted=*/true);
  const at::Tensor kth_value = top_values.select(1, depth - 1).unsqueeze(1);
  const at::Tensor tied_with_kth = scores.eq(kth_value).sum(1).to(at::kLong).cpu().contiguous();
  const at::Tensor values_host = top_values.to(at::kDouble).cpu().contiguous();  // exact
  const at::Tensor items_host = top_items.to(at::kLong).cpu().contiguous();
  std::vector<double> values(values_host.data_ptr<double>(),
                             values_host.data_ptr<double>() + users * depth);
  std::vector<std::int64_t> ids(items_host.data_ptr<std::int64_t>(),
                                items_host.data_ptr<std::int64_t>() + users * depth);
  const std::int64_t* tied = tied_with_kth.data_ptr<std::int64_t>();

  std::vector<std::int64_t> cut_ties;  // rows whose cut splits a tie
  for (std::int64_t u = 0; u < users; ++u) {
    const double* row = values.data() + u * depth;
    const double kth = row[depth - 1];
    std::int64_t tied_in_row = 0;
    for (std::int64_t p = 0; p < depth; ++p) {
      RSDIST_CHECK(!std::isnan(row[p]),
                   "full ranking: user {} of the batch has NaN scores (check the model's outputs "
                   "and the item embeddings for overflow or a bad checkpoint)",
                   u);
      tied_in_row += row[p] == kth ? 1 : 0;
    }
    if (kth != kMasked && tied[u] > tied_in_row) cut_ties.push_back(u);
  }
  if (!cut_ties.empty()) resort_rows(scores, cut_ties, depth, values, ids);

  std::vector<std::pair<double, std::int64_t>> row(static_cast<std::size_t>(depth));
  for (std::int64_t u = 0; u < users; ++u) {
    for (std::int64_t p = 0; p < depth; ++p) {
      row[static_cast<std::size_t>(p)] = {values[u * depth + p], ids[u * depth + p]};
    }
    std::sort(row.begin(), row.end(), [](const auto& a, const auto& b) {
      return a.first > b.first || (a.first == b.first && a.second < b.second);
    });
    std::int64_t* out_row = out.items.data() + u * k;
    for (std::int64_t p = 0; p < depth && row[static_cast<std::size_t>(p)].first != kMasked; ++p) {
      out_row[p] = row[static_cast<std::size_t>(p)].second;
    }
  }
  return out;
}

TopKLists full_ranking_topk(const at::Tensor& user_repr, const at::Tensor& item_embeddings,
                            const UserItemMask& mask, std::int64_t k,
                            std::span<const std::int32_t> exempt) {
  check_inputs(user_repr, item_embeddings, mask, k, exempt);
  const at::NoGradGuard no_grad;
  const std::int64_t users = user_repr.size(0);
  const std::int64_t items = item_embeddings.size(0);
  at::Tensor scores = at::matmul(user_repr, item_embeddings.t()).contiguous();  // [B, N]
  const std::vector<std::int64_t> positions = masked_positions(mask, users, items, exempt);
  scores.view({-1}).index_fill_(0, at::tensor(positions, at::kLong).to(scores.device()), kMasked);
  return deterministic_topk(scores, k);
}

std::int64_t evaluate_full_ranking(const at::Tensor& user_repr, const at::Tensor& item_embeddings,
                                   const UserItemMask& mask, std::span<const std::int32_t> targets,
                                   TopKMetrics& metrics) {
  RSDIST_CHECK(user_repr.defined() && user_repr.dim() == 2 &&
                   targets.size() == static_cast<std::size_t>(user_repr.size(0)),
               "full ranking: {} targets for a batch of {} users; every user needs one target",
               targets.size(), user_repr.defined() && user_repr.dim() >= 1 ? user_repr.size(0) : 0);
  const std::int64_t items = item_embeddings.defined() ? item_embeddings.size(0) : 0;
  for (std::size_t u = 0; u < targets.size(); ++u) {
    RSDIST_CHECK(targets[u] >= 1 && targets[u] < items,
                 "full ranking: user {} of the batch has target item {}, outside the items [1, {}) "
                 "(0 is the padding id)",
                 u, targets[u], items);
  }
  const TopKLists lists =
      full_ranking_topk(user_repr, item_embeddings, mask, TopKMetrics::kMaxCutoff, targets);
  metrics.add(lists, targets);

  std::int64_t targets_in_mask = 0;
  for (std::size_t u = 0; u < targets.size(); ++u) {
    const auto first = mask.items.begin() + mask.offsets[u];
    const auto last = mask.items.begin() + mask.offsets[u + 1];
    targets_in_mask += std::find(first, last, targets[u]) != last ? 1 : 0;
  }
  return targets_in_mask;
}

}  // namespace rsdist::eval
