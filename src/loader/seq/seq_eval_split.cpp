#include "loader/seq/seq_eval_split.hpp"

#include "loader/example_selection.hpp"

namespace rsdist::loader {

SeqEvalSplit::SeqEvalSplit(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples)
    : corpus_(corpus), examples_(examples) {
  for (std::int64_t e = 0; e < size(); ++e) example_of_.emplace(user_name(e), e);
}

seq::SequenceCorpus SeqEvalSplit::known_items(std::span<const std::int64_t> examples) const {
  seq::SequenceCorpus prefixes;
  for (const std::int64_t e : examples) {
    prefixes.append(e,
                    seq::example_prefix(corpus_.sequences, examples_, static_cast<std::size_t>(e)));
  }
  return seq::training_rating_matrix(prefixes);
}

seq::SequenceCorpus SeqEvalSplit::heldout_items(std::span<const std::int64_t> examples) const {
  seq::SequenceCorpus heldout;
  for (const std::int64_t e : examples) {
    const std::int32_t target = examples_.targets[static_cast<std::size_t>(e)];
    heldout.append(e, std::span<const std::int32_t>(&target, 1));
  }
  return heldout;
}

std::vector<std::int32_t> SeqEvalSplit::candidates(std::span<const std::int64_t> examples) const {
  std::vector<std::int32_t> out;
  out.reserve(examples.size() * static_cast<std::size_t>(corpus_.negatives_per_user + 1));
  for (const std::int64_t e : examples) {
    const auto u = static_cast<std::size_t>(e);
    out.push_back(examples_.targets[u]);
    const auto negatives = corpus_.negatives_of(static_cast<std::size_t>(examples_.rows[u]));
    out.insert(out.end(), negatives.begin(), negatives.end());
  }
  return out;
}

std::string SeqEvalSplit::user_name(std::int64_t example) const {
  const auto row = static_cast<std::size_t>(examples_.rows[static_cast<std::size_t>(example)]);
  return std::to_string(corpus_.sequences.users[row]);
}

std::vector<std::int64_t> SeqEvalSplit::select(const std::vector<std::string>& users,
                                               std::int64_t max_users,
                                               const std::string& source) const {
  return select_examples(users, max_users, size(), example_of_, source);
}

}  // namespace rsdist::loader
