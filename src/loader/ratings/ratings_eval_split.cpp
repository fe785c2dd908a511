#include "loader/ratings/ratings_eval_split.hpp"

#include "core/error.hpp"
#include "loader/example_selection.hpp"

namespace rsdist::loader {
namespace {

const ratings::UserItemMatrix& part(const ratings::RatingsCorpus& corpus, const std::string& name) {
  const auto it = corpus.parts.find(name);
  RSDIST_CHECK(it != corpus.parts.end(), "the ratings corpus ({} split) has no '{}' part",
               corpus.split, name);
  return it->second;
}

}  // namespace

RatingsEvalSplit::RatingsEvalSplit(const ratings::RatingsCorpus& corpus, bool test)
    : corpus_(corpus) {
  const std::string which = test ? "test" : "valid";
  if (corpus.split == "heldout_users") {
    known_parts_ = {&part(corpus, which + "_foldin")};
    heldout_part_ = &part(corpus, which + "_heldout");
  } else {
    known_parts_ = {&part(corpus, "train")};
    if (test) known_parts_.push_back(&part(corpus, "valid"));
    heldout_part_ = &part(corpus, which);
    if (corpus.negatives_per_user > 0) {
      negatives_ = test ? &corpus.test_negatives : &corpus.valid_negatives;
    }
  }
  for (std::int64_t u = 0; u < corpus.num_users(); ++u) {
    if (heldout_part_->items_of(u).empty()) continue;
    example_of_.emplace(corpus.user_ids[static_cast<std::size_t>(u)], size());
    users_.push_back(u);
  }
}

bool RatingsEvalSplit::has_candidates() const { return negatives_ != nullptr; }

ratings::UserItemMatrix RatingsEvalSplit::known_items(
    std::span<const std::int64_t> examples) const {
  ratings::UserItemMatrix out;
  for (const std::int64_t e : examples) {
    for (const ratings::UserItemMatrix* p : known_parts_) {
      const auto items = p->items_of(user(e));
      out.items.insert(out.items.end(), items.begin(), items.end());
    }
    out.offsets.push_back(static_cast<std::int64_t>(out.items.size()));
  }
  return out;
}

ratings::UserItemMatrix RatingsEvalSplit::heldout_items(
    std::span<const std::int64_t> examples) const {
  ratings::UserItemMatrix out;
  for (const std::int64_t e : examples) {
    const auto items = heldout_part_->items_of(user(e));
    out.items.insert(out.items.end(), items.begin(), items.end());
    out.offsets.push_back(static_cast<std::int64_t>(out.items.size()));
  }
  return out;
}

std::vector<std::int32_t> RatingsEvalSplit::candidates(
    std::span<const std::int64_t> examples) const {
  RSDIST_CHECK(has_candidates(),
               "the ratings corpus has no sampled candidates ('rsdist "
               "preprocess ratings --split loo --negatives N' stores them)");
  const std::int64_t n = corpus_.negatives_per_user;
  std::vector<std::int32_t> out;
  for (const std::int64_t e : examples) {
    const auto held = heldout_part_->items_of(user(e));
    RSDIST_CHECK(held.size() == 1,
                 "user '{}' has {} held-out items; the sampled protocol needs one", user_name(e),
                 held.size());
    out.push_back(held[0]);
    const auto row = negatives_->begin() + user(e) * n;
    out.insert(out.end(), row, row + n);
  }
  return out;
}

const std::string& RatingsEvalSplit::user_name(std::int64_t example) const {
  return corpus_.user_ids[static_cast<std::size_t>(user(example))];
}

const std::string& RatingsEvalSplit::item_name(std::int64_t item) const {
  return corpus_.item_ids[static_cast<std::size_t>(item)];
}

std::vector<std::int64_t> RatingsEvalSplit::select(const std::vector<std::string>& users,
                                                   std::int64_t max_users,
                                                   const std::string& source) const {
  return select_examples(users, max_users, size(), example_of_, source);
}

}  // namespace rsdist::loader
