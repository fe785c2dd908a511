// The ratings corpus: what `rsdist preprocess ratings` writes and what the interaction-matrix
// families (NCF, NeuMF, Mult-VAE, EASE, pop) read.
//
// A corpus directory holds ratings.h5 (schema: docs/corpus_ratings.md) and manifest.json
// (data/corpus_manifest.hpp), the manifest written last. Users are 0..U-1 and items 0..I-1 (dense,
// in order of first appearance in the input among those kept); every part of the split is a
// per-user CSR over all U users; the id maps give back the input's id strings.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "data/ratings/ratings_reader.hpp"
#include "data/ratings/ratings_splits.hpp"
#include "data/ratings/user_item_matrix.hpp"

namespace rsdist::ratings {

inline constexpr const char* kRatingsCorpusFileName = "ratings.h5";
inline constexpr std::int64_t kDefaultLooNegatives = 99;  // as NCF's test.negative

struct RatingsCorpusOptions {
  RatingsInputOptions input;
  std::optional<double> implicit_threshold;  // keep ratings >= it, stored as 1; absent: explicit
  std::int64_t min_user_interactions = 0;    // k-core; <= 1: off
  std::int64_t min_item_interactions = 0;
  SplitOptions split;
  std::int64_t negatives = 0;  // sampled candidates per user and evaluation (loo only)
};

struct RatingsCorpus {
  std::vector<std::string> user_ids, item_ids;  // dense id -> input id
  std::string split;                            // "loo" | "ratio" | "heldout_users"
  bool implicit = false;
  std::map<std::string, UserItemMatrix>
      parts;                            // "train","valid","test" or "train","valid_foldin",...
  std::int64_t negatives_per_user = 0;  // N (0: none)
  std::vector<std::int32_t> valid_negatives, test_negatives;  // [U * N] row-major, -1 rows

  std::int64_t num_users() const { return static_cast<std::int64_t>(user_ids.size()); }
  std::int64_t num_items() const { return static_cast<std::int64_t>(item_ids.size()); }

  friend bool operator==(const RatingsCorpus&, const RatingsCorpus&) = default;
};

// How a build went: the input's resolved layout and the counts the manifest records.
struct RatingsBuildReport {
  RatingsLayout layout;
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();
};

// Reads, filters and splits options.input.
RatingsCorpus build_ratings_corpus(const RatingsCorpusOptions& options,
                                   RatingsBuildReport* report = nullptr);

// Builds the corpus and writes DIR/ratings.h5 then DIR/manifest.json (DIR exists, e.g. a staging
// directory). Returns the counts recorded in the manifest.
nlohmann::ordered_json write_ratings_corpus(const RatingsCorpusOptions& options,
                                            const std::filesystem::path& dir);

// Writes the HDF5 file alone (no manifest).
void write_ratings_corpus_file(const RatingsCorpus& corpus, const std::filesystem::path& file);

// Reads DIR/ratings.h5 whole, checking its shapes and ranges; throws naming the file on any
// problem.
RatingsCorpus read_ratings_corpus(const std::filesystem::path& dir);

// What `rsdist inspect` reports, from dataset shapes only.
struct RatingsCorpusStatistics {
  std::string split;
  bool implicit = false;
  std::int64_t users = 0;
  std::int64_t items = 0;
  std::vector<std::pair<std::string, std::int64_t>> part_interactions;  // in split_part_names order
  std::int64_t negatives_per_user = 0;
  std::int64_t interactions() const;
  double density() const;  // interactions / (users * items)
};
RatingsCorpusStatistics read_ratings_corpus_statistics(const std::filesystem::path& dir);

}  // namespace rsdist::ratings
