// The training instances of an interaction-matrix corpus (the corpus's "train" part), as the
// pointwise models see them: NCF regresses every rating; GMF / MLP / NeuMF classify every
// training interaction as a positive and `negatives` items per positive, drawn afresh each epoch,
// as negatives (the NCF paper's protocol).
//
// Instance k of an epoch (0 <= k < size()), with n = negatives and P training interactions:
//   * n = 0: interaction k itself, target its rating;
//   * n > 0: interaction p = k / (n + 1); slot s = k % (n + 1) is the positive (target 1) for
//     s = 0, else a negative (target 0): an item drawn uniformly among those the user has no
//     training interaction with, from Rng::stream(seed, {"negs", epoch, k}).
// An instance is thus a pure function of (corpus, seed, epoch, k): the same on every rank, for
// any batch size, thread count or resume point, so a resumed epoch sees the same negatives.
//
// Note [Training negatives are drawn against the training part]
// ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~
// Only the training items of a user are excluded, as in the official NCF code: the validation and
// test items are what the model is judged on and it must not learn anything from them, not even
// that they are never negatives. (A held-out item may therefore be drawn as a training negative,
// with probability about n / I per positive; the evaluation candidates are a different matter and
// never hold a positive: data/ratings/negatives.hpp.)
#pragma once

#include <cstdint>
#include <vector>

#include "data/ratings/user_item_matrix.hpp"

namespace rsdist::loader {

struct TrainingInstance {
  std::int32_t user = 0;
  std::int32_t item = 0;
  float target = 0;
};

class TrainingInteractions {
 public:
  // `train` must outlive this. With negatives > 0, a user who has a training interaction with
  // every one of the `num_items` items makes this throw (no negative can be drawn for them).
  TrainingInteractions(const ratings::UserItemMatrix& train, std::int64_t num_items,
                       std::int64_t negatives, std::uint64_t seed);

  std::int64_t size() const { return positives() * (negatives_ + 1); }
  std::int64_t positives() const { return train_.num_interactions(); }
  std::int64_t negatives() const { return negatives_; }

  TrainingInstance instance(std::int64_t epoch, std::int64_t k) const;
  // Whether instance k is a sampled negative (not a training interaction).
  bool is_negative(std::int64_t k) const { return negatives_ > 0 && k % (negatives_ + 1) != 0; }

 private:
  bool interacted(std::int32_t user, std::int32_t item) const;

  const ratings::UserItemMatrix& train_;
  const std::int64_t num_items_;
  const std::int64_t negatives_;
  const std::uint64_t seed_;
  std::vector<std::int32_t> user_of_;       // interaction -> user
  std::vector<std::int32_t> sorted_items_;  // each user's training items, ascending (CSR)
};

}  // namespace rsdist::loader
