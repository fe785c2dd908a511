// The leave-two-out split of GCL4SR (as the official code's data files: train.pkl, valid.pkl,
// test.pkl, all_train_seq.txt), for a user with items s[0..n):
//   test   : prefix s[0..n-1) -> target s[n-1]
//   valid  : prefix s[0..n-2) -> target s[n-2]
//   train  : for end = n-3 down to 1: prefix s[0..end) -> target s[end]
//            (every prefix of the training part s[0..n-2), longest first, as train.pkl lists them)
//   all_train_seq: s[0..n-2), the input of the item transition graph.
// Prefixes are whole; models keep only their last max_seq_length items (example_window below).
//
// Every example is stored as (row, prefix length) into the full corpus, so the three splits share
// one copy of the items: the prefix of example e is
// corpus.sequence(rows[e]).first(prefix_lengths[e]) and its target the item right after it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "data/seq/sequence_reader.hpp"

namespace rsdist::seq {

// Fewest items a user needs: one training item plus the valid and test targets. The reference's
// all_train_seq.txt cannot hold an empty sequence, so shorter users are an error, not skipped.
inline constexpr std::int64_t kMinSequenceLength = 3;

struct PrefixExamples {
  std::vector<std::int64_t> rows;            // index into the corpus (not the user id)
  std::vector<std::int32_t> prefix_lengths;  // >= 1 for train; valid/test as the user's length
  std::vector<std::int32_t> targets;         // corpus.sequence(row)[prefix_length]

  std::size_t size() const { return rows.size(); }
};

struct SequenceSplits {
  PrefixExamples train;
  PrefixExamples valid;                // one per user, in corpus order
  PrefixExamples test;                 // one per user, in corpus order
  SequenceCorpus all_train_sequences;  // each user's sequence minus its last two items
};

// Splits every user of `corpus`; throws rsdist::Error naming the first user with fewer than
// kMinSequenceLength items.
SequenceSplits split_sequences(const SequenceCorpus& corpus);

// The items of example e of `examples`, which must have been built from `corpus`.
inline std::span<const std::int32_t> example_prefix(const SequenceCorpus& corpus,
                                                    const PrefixExamples& examples, std::size_t e) {
  return corpus.sequence(static_cast<std::size_t>(examples.rows[e]))
      .first(static_cast<std::size_t>(examples.prefix_lengths[e]));
}

// The last `max_seq_length` items of that prefix: what a model reads, and what the reference's
// valid.pkl/test.pkl store (they hold prefixes cut to the last 50 items, lengths included).
inline std::span<const std::int32_t> example_window(const SequenceCorpus& corpus,
                                                    const PrefixExamples& examples, std::size_t e,
                                                    std::size_t max_seq_length) {
  const std::span<const std::int32_t> prefix = example_prefix(corpus, examples, e);
  return prefix.size() > max_seq_length ? prefix.last(max_seq_length) : prefix;
}

}  // namespace rsdist::seq
