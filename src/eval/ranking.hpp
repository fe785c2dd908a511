// Scores -> ranking metrics (eval/ranking_metrics.hpp) for every item-ranking model, on the
// scores' device; only [B, max_cutoff] lists and per-user counts come back to the host.
//
// Two protocols:
//  * full ranking (rank_full): a user's scores of every item; its known (training) items are
//    masked, and its held-out items are ranked against everything else. The caller scores users
//    chunk by chunk, so the users x items matrix exists for one chunk only, never on the host.
//    Top-k order is deterministic: score descending, then item id ascending (Note [Deterministic
//    ties] in topk_selection.cpp), and the exact rank for MRR follows the same order.
//  * sampled (rank_sampled): the held-out positive against fixed negatives (NCF's
//    test.negative, S3-Rec's _sample.txt).
// Sums land in a RankingMetrics, so chunks and ranks merge (pack / all-reduce / unpack) into what
// one pass gives, whatever the number of ranks.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>

#include "eval/ranking_metrics.hpp"
#include "eval/topk_selection.hpp"

namespace rsdist::eval {

struct FullRankingOptions {
  // Item 0 is never ranked (sequence corpora pad with it); false for corpora whose items start
  // at 0 (rating matrices).
  bool item0_is_padding = true;
};

// Full ranking of B users. `scores` [B, N]: floating point, column i is item i, any device (left
// unchanged; the masked copy is made on the same device). `known` [B users]: items masked to -inf,
// except a user's held-out items, which stay ranked even when `known` lists them (Note
// [Unmaskable target] below). `heldout` [B users]: the items to find, distinct per
// user, in [1, N) with padding, else [0, N); users with none are skipped (not counted). A model
// score of -inf counts as masked (such a held-out item is never a hit and adds 0 to MRR); NaN
// throws. Top-max_cutoff lists and each user's exact first-hit rank (the unmasked items ordered
// before its best held-out item) are added to `metrics`. Returns how many (user, held-out item)
// pairs `known` also listed, which stayed unmasked.
// Note [Unmaskable target]: a held-out item is never masked, even when the user's known items
// list it (a sequence that repeats its last item has it among its training items); the GCL4SR
// reference masks it and so scores that user 0 whatever the model does. Such pairs are counted
// (metrics "unmaskable_targets").
std::int64_t rank_full(const at::Tensor& scores, const UserItemMask& known,
                       const UserItemMask& heldout, RankingMetrics& metrics,
                       const FullRankingOptions& options = {});

// Recommendation: the k best items of each of B users from `scores` [B, N], the users' `known`
// items (and item 0 with padding) never listed; ties by ascending item id, lists ending with -1
// when fewer than k items are left.
TopKLists top_items(const at::Tensor& scores, const UserItemMask& known, std::int64_t k,
                    const FullRankingOptions& options = {});

// Sampled protocol. `scores` [B, 1 + M], M >= 1: column 0 the user's held-out positive, columns
// 1.. its M fixed negatives; floating point, any device. The positive's rank is the number of
// negatives scoring >= it: ties count against the positive, so a scorer that cannot tell items
// apart (constant scores) gets the worst rank M, where a random tie order would reward it
// (NCF and S3-Rec leave ties to their sort). NaN throws. Adds B users (heldout = 1) to `metrics`.
void rank_sampled(const at::Tensor& scores, RankingMetrics& metrics);

}  // namespace rsdist::eval
