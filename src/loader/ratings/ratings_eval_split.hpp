// A split of an interaction-matrix corpus (`rsdist preprocess ratings`) as ranking evaluation sees
// it, for every family that ranks items for users of such a corpus (the most-popular baseline;
// NCF, NeuMF, Mult-VAE, EASE next). Example e is one user of the split:
//  * loo and ratio: dev users are those with validation items, known = their training items;
//    test users those with test items, known = training + validation items (NCF's protocol: the
//    model saw everything before the test item);
//  * heldout_users: the split's own users, known = their fold-in items, held out = the rest.
// With loo negatives, the sampled protocol ranks the held-out item against the stored candidates.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "data/ratings/ratings_corpus.hpp"

namespace rsdist::loader {

class RatingsEvalSplit {
 public:
  // `test`: the test split, else dev. `corpus` must outlive this.
  RatingsEvalSplit(const ratings::RatingsCorpus& corpus, bool test);

  std::int64_t size() const { return static_cast<std::int64_t>(users_.size()); }
  bool has_candidates() const;  // the sampled protocol's stored negatives

  // CSR over `examples` (ratings and timestamps left empty).
  ratings::UserItemMatrix known_items(std::span<const std::int64_t> examples) const;
  ratings::UserItemMatrix heldout_items(std::span<const std::int64_t> examples) const;
  // [B, 1 + N] row-major: each example's held-out item, then its N negatives.
  std::vector<std::int32_t> candidates(std::span<const std::int64_t> examples) const;

  std::int64_t user(std::int64_t example) const {
    return users_[static_cast<std::size_t>(example)];
  }
  const std::string& user_name(std::int64_t example) const;
  const std::string& item_name(std::int64_t item) const;
  // The examples of the named `users`, or of the split's first `max_users` when none is named.
  std::vector<std::int64_t> select(const std::vector<std::string>& users, std::int64_t max_users,
                                   const std::string& source) const;

 private:
  const ratings::RatingsCorpus& corpus_;
  std::vector<const ratings::UserItemMatrix*> known_parts_;
  const ratings::UserItemMatrix* heldout_part_ = nullptr;
  const std::vector<std::int32_t>* negatives_ = nullptr;
  std::vector<std::int64_t> users_;  // example -> user
  std::unordered_map<std::string, std::int64_t> example_of_;
};

}  // namespace rsdist::loader
