// Full-ranking top-k for sequential recommenders (GCL4SR's evaluation), on the tensors' device.
//
// A batch of user representations [B, D] is scored against every item embedding [N, D] (row i is
// item i; row 0 is the padding item), each user's masked items (its training items) and the
// padding item are set to -inf, and topk runs on the device; only the [B, k] lists come back to the
// host. The caller feeds users in batches, so the dense users x items matrix only ever exists for
// one batch.
//
// Differences from the reference, on purpose:
//  * masked scores become -inf; GCL4SR sets them to 0, so a masked item still outranks every
//    item with a negative score (and may be "recommended").
//  * the padding item 0 is never recommended.
//  * Note [Unmaskable target]: evaluate_full_ranking never masks a user's own target, even when
//    the mask lists it (a sequence that repeats its last item has it among its training items);
//    the reference would then score that user 0 whatever the model does. Such users are counted.
//  * Ties are deterministic: equal scores are ordered by ascending item id, also at the k-th
//    place (which of the tied items makes the cut); torch.topk leaves both unspecified.
// Scores that are NaN throw (topk orders NaN above every number, so a NaN in a user's scores
// always reaches its list). A model score of -inf counts as masked.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <span>

#include "eval/topk_metrics.hpp"

namespace rsdist::eval {

// Items masked per user, CSR on the host: user u's items are items[offsets[u], offsets[u + 1])
// (the corpus' `train_matrix` layout: int64 offsets, int32 item ids in [0, N)).
struct UserItemMask {
  std::span<const std::int64_t> offsets;
  std::span<const std::int32_t> items;
};

// The k best items of each row of `scores` [B, N] (column i is item i), best first, ties by
// ascending item id (Note [Deterministic ties] in full_ranking.cpp). Scores of -inf count as
// masked: lists end with -1 when fewer than k items are left. NaN throws. Any floating dtype and
// device (the work stays there; only the [B, k] lists come to the host). The selection shared by
// full_ranking_topk and rank_full (eval/ranking.hpp), for scores the caller already masked.
TopKLists deterministic_topk(const at::Tensor& scores, std::int64_t k);

// The k best items of each user, best first (see the notes above); lists end with -1 when fewer
// than k items are left. `exempt`, if not empty, holds one item per user that stays unmasked even
// when its mask lists it. user_repr and item_embeddings: same floating dtype, same device, any.
TopKLists full_ranking_topk(const at::Tensor& user_repr, const at::Tensor& item_embeddings,
                            const UserItemMask& mask, std::int64_t k,
                            std::span<const std::int32_t> exempt = {});

// Top-k (k = TopKMetrics::kMaxCutoff) of a batch of users added to `metrics`. `targets[u]` is user
// u's target, in [1, N). Returns how many users had their target in their mask (left unmasked,
// Note [Unmaskable target]).
std::int64_t evaluate_full_ranking(const at::Tensor& user_repr, const at::Tensor& item_embeddings,
                                   const UserItemMask& mask, std::span<const std::int32_t> targets,
                                   TopKMetrics& metrics);

}  // namespace rsdist::eval
