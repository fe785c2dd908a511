#include "eval/ranking.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/where.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "eval/csr_offsets.hpp"

namespace rsdist::eval {
namespace {

constexpr double kMasked = -std::numeric_limits<double>::infinity();

void check_scores(const at::Tensor& scores, const char* what) {
  RSDIST_CHECK(scores.defined() && scores.dim() == 2 && scores.is_floating_point(),
               "{}: scores must be a floating-point [users, items] matrix, got {}", what,
               scores.defined() ? fmt::format("{} dimensions of {}", scores.dim(),
                                              c10::toString(scores.scalar_type()))
                                : std::string("an undefined tensor"));
}

void check_items(const UserItemMask& mask, std::int64_t users, std::int64_t first_item,
                 std::int64_t items, const char* what) {
  RSDIST_CHECK(mask.offsets.size() == static_cast<std::size_t>(users + 1),
               "full ranking: the {} items have offsets for {} users but the scores {}", what,
               static_cast<std::int64_t>(mask.offsets.size()) - 1, users);
  check_csr_offsets(mask.offsets, static_cast<std::int64_t>(mask.items.size()),
                    std::string("full ranking ") + what + " offsets");
  for (std::int64_t u = 0; u < users; ++u) {
    for (auto e = mask.offsets[u]; e < mask.offsets[u + 1]; ++e) {
      const std::int32_t item = mask.items[static_cast<std::size_t>(e)];
      RSDIST_CHECK(item >= first_item && item < items,
                   "full ranking: user {} of the batch has {} item {}, outside [{}, {}) ({} items "
                   "scored{})",
                   u, what, item, first_item, items, items,
                   first_item == 1 ? "; item 0 is the padding item" : "");
    }
  }
}

// What the host knows before the scores are touched: each user's held-out items sorted (to find
// hits in its list), padded to [B, width] with -1 (for the device), and the scores to mask.
struct HeldoutPlan {
  std::vector<std::int64_t> sorted_offsets{0};
  std::vector<std::int32_t> sorted_items;
  std::vector<std::int64_t> padded;  // [B, width], -1 after a user's items
  std::int64_t width = 0;
  std::vector<std::int64_t> masked_positions;  // user * N + item
  std::int64_t unmaskable = 0;

  std::span<const std::int32_t> items_of(std::int64_t u) const {
    return std::span<const std::int32_t>(sorted_items)
        .subspan(static_cast<std::size_t>(sorted_offsets[u]),
                 static_cast<std::size_t>(sorted_offsets[u + 1] - sorted_offsets[u]));
  }
  bool is_heldout(std::int64_t u, std::int64_t item) const {
    const auto held = items_of(u);
    return std::binary_search(held.begin(), held.end(), item);
  }
};

HeldoutPlan plan_heldout(const UserItemMask& known, const UserItemMask& heldout, std::int64_t users,
                         std::int64_t items, bool item0_is_padding) {
  HeldoutPlan plan;
  for (std::int64_t u = 0; u < users; ++u) {
    const auto first = heldout.items.begin() + heldout.offsets[u];
    const auto last = heldout.items.begin() + heldout.offsets[u + 1];
    plan.sorted_items.insert(plan.sorted_items.end(), first, last);
    const auto held = plan.sorted_items.begin() + plan.sorted_offsets.back();
    std::sort(held, plan.sorted_items.end());
    const auto repeated = std::adjacent_find(held, plan.sorted_items.end());
    RSDIST_CHECK(repeated == plan.sorted_items.end(),
                 "full ranking: user {} of the batch lists held-out item {} twice", u, *repeated);
    plan.sorted_offsets.push_back(static_cast<std::int64_t>(plan.sorted_items.size()));
    plan.width = std::max(plan.width, heldout.offsets[u + 1] - heldout.offsets[u]);
  }
  plan.padded.assign(static_cast<std::size_t>(users * plan.width), -1);
  for (std::int64_t u = 0; u < users; ++u) {
    const auto held = plan.items_of(u);
    std::copy(held.begin(), held.end(), plan.padded.begin() + u * plan.width);
  }

  std::vector<char> listed;  // per held-out item of the user: does `known` list it?
  for (std::int64_t u = 0; u < users; ++u) {
    const auto held = plan.items_of(u);
    listed.assign(held.size(), 0);
    if (item0_is_padding) plan.masked_positions.push_back(u * items);
    for (auto e = known.offsets[u]; e < known.offsets[u + 1]; ++e) {
      const std::int32_t item = known.items[static_cast<std::size_t>(e)];
      const auto it = std::lower_bound(held.begin(), held.end(), item);
      if (it != held.end() && *it == item) {
        listed[static_cast<std::size_t>(it - held.begin())] = 1;  // Note [Unmaskable target]
      } else {
        plan.masked_positions.push_back(u * items + item);
      }
    }
    plan.unmaskable += std::count(listed.begin(), listed.end(), 1);
  }
  return plan;
}

// Per user, the exact 0-based rank of its best held-out item in the deterministic order (score
// descending, id ascending): the items scoring above it plus the tied ones with lower ids. Masked
// items score -inf and never count; -1 where the best held-out item scores -inf (or none exists).
std::vector<std::int64_t> first_hit_ranks(const at::Tensor& masked, const HeldoutPlan& plan) {
  const std::int64_t users = masked.size(0);
  if (plan.width == 0) return std::vector<std::int64_t>(static_cast<std::size_t>(users), -1);
  const auto device = masked.device();
  const at::Tensor ids = at::tensor(plan.padded, at::kLong).view({users, plan.width}).to(device);
  const at::Tensor valid = ids.ge(0);
  const at::Tensor safe_ids = ids.clamp_min(0);
  const at::Tensor held_scores =
      masked.gather(1, safe_ids).masked_fill(valid.logical_not(), kMasked);
  const at::Tensor best = std::get<0>(held_scores.max(1, /*keepdim=*/true));  // [B, 1]
  const at::Tensor best_id =
      std::get<0>(at::where(held_scores.eq(best).logical_and(valid), safe_ids, masked.size(1))
                      .min(1, /*keepdim=*/true));
  const at::Tensor item_ids = at::arange(masked.size(1), ids.options());
  const at::Tensor before =
      masked.gt(best).logical_or(masked.eq(best).logical_and(item_ids.lt(best_id)));
  const at::Tensor ranks =
      at::where(best.squeeze(1).eq(kMasked), -1, before.sum(1)).to(at::kLong).cpu().contiguous();
  return {ranks.data_ptr<std::int64_t>(), ranks.data_ptr<std::int64_t>() + users};
}

}  // namespace

std::int64_t rank_full(const at::Tensor& scores, const UserItemMask& known,
                       const UserItemMask& heldout, RankingMetrics& metrics,
                       const FullRankingOptions& options) {
  check_scores(scores, "rank_full");
  const std::int64_t users = scores.size(0);
  const std::int64_t items = scores.size(1);
  check_items(known, users, 0, items, "known");
  check_items(heldout, users, options.item0_is_padding ? 1 : 0, items, "held-out");
  const HeldoutPlan plan = plan_heldout(known, heldout, users, items, options.item0_is_padding);
  if (users == 0) return 0;

  const at::NoGradGuard no_grad;
  at::Tensor masked = scores.clone(at::MemoryFormat::Contiguous);
  if (!plan.masked_positions.empty()) {
    masked.view({-1}).index_fill_(
        0, at::tensor(plan.masked_positions, at::kLong).to(masked.device()), kMasked);
  }
  const TopKLists lists = deterministic_topk(masked, metrics.max_cutoff());  // throws on NaN
  const std::vector<std::int64_t> ranks = first_hit_ranks(masked, plan);

  std::vector<std::int64_t> hits;
  for (std::int64_t u = 0; u < users; ++u) {
    const auto held = static_cast<std::int64_t>(plan.items_of(u).size());
    if (held == 0) continue;
    hits.clear();
    const auto row = lists.row(u);
    for (std::int64_t p = 0; p < lists.k && row[static_cast<std::size_t>(p)] >= 0; ++p) {
      if (plan.is_heldout(u, row[static_cast<std::size_t>(p)])) hits.push_back(p);
    }
    metrics.add_user(hits, held, ranks[static_cast<std::size_t>(u)]);
  }
  return plan.unmaskable;
}

TopKLists top_items(const at::Tensor& scores, const UserItemMask& known, std::int64_t k,
                    const FullRankingOptions& options) {
  check_scores(scores, "top_items");
  const std::int64_t users = scores.size(0);
  const std::int64_t items = scores.size(1);
  check_items(known, users, 0, items, "known");
  std::vector<std::int64_t> positions;
  for (std::int64_t u = 0; u < users; ++u) {
    if (options.item0_is_padding) positions.push_back(u * items);
    for (auto e = known.offsets[u]; e < known.offsets[u + 1]; ++e) {
      positions.push_back(u * items + known.items[static_cast<std::size_t>(e)]);
    }
  }
  const at::NoGradGuard no_grad;
  at::Tensor masked = scores.clone(at::MemoryFormat::Contiguous);
  if (!positions.empty()) {
    masked.view({-1}).index_fill_(0, at::tensor(positions, at::kLong).to(masked.device()), kMasked);
  }
  return deterministic_topk(masked, k);
}

void rank_sampled(const at::Tensor& scores, RankingMetrics& metrics) {
  check_scores(scores, "rank_sampled");
  RSDIST_CHECK(scores.size(1) >= 2,
               "rank_sampled: scores have {} columns; the sampled protocol needs the positive in "
               "column 0 and at least one negative after it",
               scores.size(1));
  const std::int64_t users = scores.size(0);
  if (users == 0) return;
  const at::NoGradGuard no_grad;
  const at::Tensor positive = scores.slice(1, 0, 1);
  const at::Tensor negatives = scores.slice(1, 1);
  // Ties count against the positive: a constant scorer ranks it last (rank M).
  const at::Tensor ranks = negatives.ge(positive).sum(1).to(at::kLong).cpu().contiguous();
  const at::Tensor has_nan = scores.isnan().any(1).cpu().contiguous();
  const std::int64_t* rank = ranks.data_ptr<std::int64_t>();
  const bool* nan = has_nan.data_ptr<bool>();
  for (std::int64_t u = 0; u < users; ++u) {
    RSDIST_CHECK(!nan[u],
                 "rank_sampled: user {} of the batch has NaN scores (check the model's outputs "
                 "for overflow or a bad checkpoint)",
                 u);
  }
  for (std::int64_t u = 0; u < users; ++u) {
    const std::int64_t r = rank[u];
    const std::span<const std::int64_t> hit(&rank[u], r < metrics.max_cutoff() ? 1 : 0);
    metrics.add_user(hit, 1, r);
  }
}

}  // namespace rsdist::eval
