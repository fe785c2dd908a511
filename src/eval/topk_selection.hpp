// Top-k selection with deterministic ties, on the scores' device: what every item ranking in
// rsdist (eval/ranking.hpp: full-ranking metrics, recommendations) selects its lists with. Only
// the [B, k] lists come back to the host; the dense users x items scores exist for one chunk of
// users at a time, on the device.
//
// Differences from the references (GCL4SR's, S3-Rec's evaluation code), on purpose:
//  * masked scores are -inf; GCL4SR sets them to 0, so a masked item still outranks every item
//    with a negative score (and may be "recommended");
//  * ties are deterministic: equal scores are ordered by ascending item id, also at the k-th
//    place (which of the tied items makes the cut); torch.topk leaves both unspecified;
//  * scores that are NaN throw (topk orders NaN above every number, so a NaN in a user's scores
//    always reaches its list).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <span>
#include <vector>

namespace rsdist::eval {

// Per-user item lists, best first, row-major [num_users, k]; an entry of -1 ends a user's list
// early (fewer than k items were left after masking).
struct TopKLists {
  std::int64_t num_users = 0;
  std::int64_t k = 0;
  std::vector<std::int64_t> items;

  std::span<const std::int64_t> row(std::int64_t user) const {
    return std::span<const std::int64_t>(items).subspan(static_cast<std::size_t>(user * k),
                                                        static_cast<std::size_t>(k));
  }
};

// Items masked per user, CSR on the host: user u's items are items[offsets[u], offsets[u + 1])
// (the corpus' `train_matrix` layout: int64 offsets, int32 item ids in [0, N)).
struct UserItemMask {
  std::span<const std::int64_t> offsets;
  std::span<const std::int32_t> items;
};

// The k best items of each row of `scores` [B, N] (column i is item i), best first, ties by
// ascending item id (Note [Deterministic ties] in topk_selection.cpp). Scores of -inf count as
// masked: lists end with -1 when fewer than k items are left. NaN throws. Any floating dtype and
// device (the work stays there; only the [B, k] lists come to the host). The selection shared by
// rank_full and top_items (eval/ranking.hpp), for scores the caller already masked.
TopKLists deterministic_topk(const at::Tensor& scores, std::int64_t k);

}  // namespace rsdist::eval
