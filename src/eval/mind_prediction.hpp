// The MIND leaderboard's prediction.txt, written from model scores.
//
// One line per impression, `<impression id> [r1,r2,...]`: the 1-based rank of each candidate in
// candidate order (mind_ranks: score descending, ties by candidate order), no spaces, lines
// separated by '\n' with none after the last, as NNR's util.py writes it for MIND's evaluate.py.
// Without explicit ids the impression id is the 1-based position of the impression (what NNR
// writes; MIND's behaviors.tsv numbers its impressions 1, 2, ... in file order, so the two agree
// for a whole dev or test file). An impression without candidates is written `<id> []`.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace rsdist::eval {

// The file's contents; impression j is scores[offsets[j], offsets[j + 1]) and has id
// impression_ids[j] (ids.size() == offsets.size() - 1).
std::string format_mind_prediction(std::span<const std::int64_t> impression_ids,
                                   std::span<const std::int64_t> offsets,
                                   std::span<const float> scores);

// Writes the file atomically (temporary file, fsync, rename), impression ids 1, 2, ...
void write_mind_prediction(const std::filesystem::path& path, std::span<const std::int64_t> offsets,
                           std::span<const float> scores);

// Same with explicit impression ids (e.g. a shard of impressions, or ids read from behaviors.tsv).
void write_mind_prediction(const std::filesystem::path& path,
                           std::span<const std::int64_t> impression_ids,
                           std::span<const std::int64_t> offsets, std::span<const float> scores);

}  // namespace rsdist::eval
