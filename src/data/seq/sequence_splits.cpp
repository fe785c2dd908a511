#include "data/seq/sequence_splits.hpp"

#include "core/error.hpp"

namespace rsdist::seq {
namespace {

void add_example(PrefixExamples& examples, std::size_t row, std::span<const std::int32_t> sequence,
                 std::int64_t prefix_length) {
  examples.rows.push_back(static_cast<std::int64_t>(row));
  examples.prefix_lengths.push_back(static_cast<std::int32_t>(prefix_length));
  examples.targets.push_back(sequence[static_cast<std::size_t>(prefix_length)]);
}

void reserve(PrefixExamples& examples, std::size_t n) {
  examples.rows.reserve(n);
  examples.prefix_lengths.reserve(n);
  examples.targets.reserve(n);
}

}  // namespace

SequenceSplits split_sequences(const SequenceCorpus& corpus) {
  const std::size_t num_users = corpus.num_sequences();
  std::size_t num_train = 0;
  for (std::size_t row = 0; row < num_users; ++row) {
    const auto length = static_cast<std::int64_t>(corpus.sequence(row).size());
    RSDIST_CHECK(length >= kMinSequenceLength,
                 "user {} (sequence {}) has {} item(s); the GCL4SR split needs at least {} "
                 "(training items plus the valid and test targets): drop such users before "
                 "preprocessing",
                 corpus.users[row], row, length, kMinSequenceLength);
    num_train += static_cast<std::size_t>(length - kMinSequenceLength);
  }

  SequenceSplits splits;
  reserve(splits.train, num_train);
  reserve(splits.valid, num_users);
  reserve(splits.test, num_users);
  splits.all_train_sequences.users.reserve(num_users);
  splits.all_train_sequences.offsets.reserve(num_users + 1);
  splits.all_train_sequences.items.reserve(corpus.items.size() - 2 * num_users);

  for (std::size_t row = 0; row < num_users; ++row) {
    const std::span<const std::int32_t> sequence = corpus.sequence(row);
    const auto length = static_cast<std::int64_t>(sequence.size());
    const std::int64_t train_length = length - 2;
    // Longest prefix first, as the reference's train.pkl lists a user's examples.
    for (std::int64_t end = train_length - 1; end >= 1; --end) {
      add_example(splits.train, row, sequence, end);
    }
    add_example(splits.valid, row, sequence, length - 2);
    add_example(splits.test, row, sequence, length - 1);
    splits.all_train_sequences.append(corpus.users[row],
                                      sequence.first(static_cast<std::size_t>(train_length)));
  }
  return splits;
}

}  // namespace rsdist::seq
