#include "eval/topk_selection.hpp"

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

}  // namespace rsdist::eval
