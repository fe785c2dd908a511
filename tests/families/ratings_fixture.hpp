// Synthetic MovieLens ratings preprocessed into a ratings corpus for the family tests: the real
// pipeline (synth ratings -> preprocess ratings) at the synthetic default size (300 users).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <span>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "app/cli_runner.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "train/checkpoint.hpp"

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

// The resume check of the ratings families: `args(out, epochs)` trained for 2 epochs in one run
// (dir/whole) and for 1 epoch, then --resume to 2 (dir/parts). Both checkpoints of epoch 2 hold
// the same tensors, bit for bit; returns {whole, parts} for the family's own further checks.
inline std::pair<std::filesystem::path, std::filesystem::path> expect_resume_equals_uninterrupted(
    const std::filesystem::path& dir,
    const std::function<std::vector<std::string>(const std::filesystem::path&, int)>& args,
    const std::string& label) {
  const auto whole = dir / "whole", parts = dir / "parts";
  EXPECT_EQ(run_rsdist(args(whole, 2)).code, 0) << label;
  EXPECT_EQ(run_rsdist(args(parts, 1)).code, 0) << label;
  std::vector<std::string> resume = args(parts, 2);
  resume.push_back("--resume");
  const CliResult r = run_rsdist(resume);
  EXPECT_EQ(r.code, 0) << label << r.err;
  if (::testing::Test::HasFailure()) return {whole, parts};
  const auto a = train::read_checkpoint_model(whole / "checkpoints" / train::checkpoint_name(2)).model;
  const auto b = train::read_checkpoint_model(parts / "checkpoints" / train::checkpoint_name(2)).model;
  EXPECT_EQ(a.size(), b.size()) << label;
  for (const auto& [name, tensor] : a) {
    EXPECT_TRUE(b.count(name) && tensor.equal(b.at(name))) << name << " " << label;
  }
  return {whole, parts};
}

// `rsdist recommend --run RUN [--split SPLIT] --users <user's id> --k K`: one line naming the
// user, then K items, none of them among `known` (the user's known items in that split).
inline void expect_recommendations_skip_known(const std::filesystem::path& run,
                                              const ratings::RatingsCorpus& corpus,
                                              std::int64_t user,
                                              std::span<const std::int32_t> known, int k,
                                              const std::string& split = "") {
  const std::string id = corpus.user_ids[static_cast<std::size_t>(user)];
  std::vector<std::string> args = {"recommend", "--run", run.string(), "--users", id, "--k",
                                   std::to_string(k)};
  if (!split.empty()) args.insert(args.end(), {"--split", split});
  const CliResult r = run_rsdist(args);
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream line(r.out);
  std::string name, field;
  line >> name;
  EXPECT_EQ(name, id);
  int n = 0;
  for (; line >> field; ++n) {
    const std::string item = field.substr(0, field.find(':'));
    for (const std::int32_t known_item : known) {
      EXPECT_NE(item, corpus.item_ids[static_cast<std::size_t>(known_item)]);
    }
  }
  EXPECT_EQ(n, k);
}

}  // namespace rsdist::testing
