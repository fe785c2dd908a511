// Synthetic MovieLens ratings preprocessed into a ratings corpus for the family tests: the real
// pipeline (synth ratings -> preprocess ratings) at the synthetic default size (300 users).
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include "app/cli_runner.hpp"

namespace rsdist::testing {

// `rsdist synth ratings --seed SEED` into dir/raw, then `rsdist preprocess ratings` of its u.data
// into dir/corpus with `split_args` ("--split", "loo", "--negatives", "99", ...).
inline std::filesystem::path make_ratings_corpus(const std::filesystem::path& dir, int seed,
                                                 const std::vector<std::string>& split_args) {
  const auto raw = dir / "raw";
  const auto corpus = dir / "corpus";
  CliResult r = run_rsdist({"synth", "ratings", "--out", raw.string(), "--seed", std::to_string(seed)});
  EXPECT_EQ(r.code, 0) << r.err;
  std::vector<std::string> args = {"preprocess", "ratings", "--input", (raw / "u.data").string(),
                                   "--out", corpus.string()};
  args.insert(args.end(), split_args.begin(), split_args.end());
  r = run_rsdist(args);
  EXPECT_EQ(r.code, 0) << r.err;
  return corpus;
}

}  // namespace rsdist::testing
