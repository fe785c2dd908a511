// The three splits of a ratings corpus, each a set of per-user CSRs over all users:
//   loo            leave-one-out by time, the NCF protocol (He et al. 2017): each user's latest
//                  interaction is test, the one before it valid, the rest train
//   ratio          each user's interactions split at random into train/valid/test by proportions
//   heldout_users  strong generalisation as Mult-VAE's code (Liang et al. 2018): N validation and N
//                  test users whose interactions are split into fold-in and held-out parts
// Every row of every part lists its entries by time (ties: input order). Randomness comes from
// Rng::stream(seed, {stream, user}), so a split depends only on the seed and the data.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "data/ratings/user_item_matrix.hpp"

namespace rsdist::ratings {

enum class SplitMethod { kLoo, kRatio, kHeldoutUsers };

// "loo" | "ratio" | "heldout_users" <-> the enum; an unknown name throws naming --split.
SplitMethod parse_split_method(std::string_view name);
std::string_view split_method_name(SplitMethod method);

struct SplitOptions {
  SplitMethod method = SplitMethod::kLoo;
  std::uint64_t seed = 1;
  std::array<double, 3> ratio{0.8, 0.1, 0.1};  // train, valid, test (ratio)
  std::int64_t heldout_users = 0;              // validation users = test users (heldout_users)
  double heldout_fraction = 0.2;               // of a held-out user's interactions
};

// Users whose interactions held-out users are split only from this many on (Mult-VAE's 5); fewer
// go to fold-in whole.
inline constexpr std::int64_t kMinHeldoutSplitSize = 5;

struct SplitCounts {
  std::int64_t users_without_valid = 0;    // loo: 2 interactions (test + train); ratio: rounding
  std::int64_t users_without_test = 0;     // loo: 1 interaction (train only)
  std::int64_t heldout_users_unsplit = 0;  // heldout_users: fewer than kMinHeldoutSplitSize
};

struct Splits {
  std::map<std::string, UserItemMatrix> parts;
  SplitCounts counts;
};

// The names of the parts a method produces, in the order they are reported.
std::vector<std::string> split_part_names(SplitMethod method);

// "0.8,0.1,0.1" -> {0.8, 0.1, 0.1}; throws naming --ratio unless three non-negative numbers that
// sum to 1 with a positive train share.
std::array<double, 3> parse_split_ratio(std::string_view text);

// Positions (absolute entry indices) of `user`'s entries by timestamp, ties in input order.
std::vector<std::int64_t> chronological_order(const UserItemMatrix& matrix, std::int64_t user);

Splits split_interactions(const UserItemMatrix& all, const SplitOptions& options);

}  // namespace rsdist::ratings
