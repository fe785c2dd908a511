// The stored candidates of the sampled evaluation protocol of a sequence corpus: N negatives per
// user (S3-Rec: 99), each drawn uniformly without replacement from the items of the corpus the
// user never interacted with. That is the distribution of S3-Rec's data/generate_test.py
// (`--sample_type random`): its rounds of 99 distinct draws from the corpus's items, filtered of
// the user's items and of earlier picks, give every eligible item the same chance. The draw of
// row r comes from the stream (seed, r), so a corpus is a pure function of its input and seed.
//
// Valid and test share them, as the official code does (one *_sample.txt for both): a user's
// candidates are never one of their items, so neither target is ever among them.
#pragma once

#include <cstdint>
#include <vector>

#include "data/seq/sequence_reader.hpp"

namespace rsdist::seq {

// [U * per_user], row-major; throws naming the user when fewer than `per_user` items are
// eligible.
std::vector<std::int32_t> sample_user_negatives(const SequenceCorpus& sequences,
                                                std::int64_t per_user, std::uint64_t seed);

}  // namespace rsdist::seq
