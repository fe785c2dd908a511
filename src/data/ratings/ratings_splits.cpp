#include "data/ratings/ratings_splits.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

#include "core/error.hpp"
#include "core/rng.hpp"

namespace rsdist::ratings {
namespace {

enum SplitStream : std::uint64_t { kRatioShuffle = 301, kHeldoutUserChoice, kHeldoutItemChoice };

// Appends the user's entries to the parts: entry order[k] goes to part target[k].
void distribute(const UserItemMatrix& all, const std::vector<std::int64_t>& order,
                const std::vector<int>& target, std::vector<UserItemMatrix*>& parts) {
  for (std::size_t k = 0; k < order.size(); ++k) {
    parts[static_cast<std::size_t>(target[k])]->push(all, order[k]);
  }
  for (UserItemMatrix* part : parts) part->end_row();
}

// loo: [train..., valid, test] by time. A user with 2 interactions keeps one for training and
// gives the latest to test; a user with 1 keeps it for training (no part empties training).
void assign_loo(std::size_t n, std::vector<int>& target, SplitCounts& counts) {
  target.assign(n, 0);
  if (n >= 3) {
    target[n - 2] = 1;
    target[n - 1] = 2;
  } else if (n == 2) {
    target[1] = 2;
    ++counts.users_without_valid;
  } else {
    ++counts.users_without_valid;
    ++counts.users_without_test;
  }
}

// ratio: shares rounded to the nearest count, then trimmed so that training keeps at least one.
void assign_ratio(std::size_t n, const std::array<double, 3>& ratio, Rng rng,
                  std::vector<int>& target, SplitCounts& counts) {
  auto n_valid = static_cast<std::int64_t>(std::llround(static_cast<double>(n) * ratio[1]));
  auto n_test = static_cast<std::int64_t>(std::llround(static_cast<double>(n) * ratio[2]));
  while (static_cast<std::int64_t>(n) - n_valid - n_test < 1 && n_valid + n_test > 0) {
    if (n_valid >= n_test) {
      --n_valid;
    } else {
      --n_test;
    }
  }
  std::vector<std::size_t> slots(n);
  std::iota(slots.begin(), slots.end(), std::size_t{0});
  rng.shuffle(slots);
  target.assign(n, 0);
  for (std::int64_t k = 0; k < n_valid + n_test; ++k) {
    target[slots[static_cast<std::size_t>(k)]] = k < n_valid ? 1 : 2;
  }
  counts.users_without_valid += n_valid == 0 ? 1 : 0;
  counts.users_without_test += n_test == 0 ? 1 : 0;
}

}  // namespace

SplitMethod parse_split_method(std::string_view name) {
  if (name == "loo") return SplitMethod::kLoo;
  if (name == "ratio") return SplitMethod::kRatio;
  if (name == "heldout_users") return SplitMethod::kHeldoutUsers;
  RSDIST_THROW("--split '{}': expected loo, ratio or heldout_users", name);
}

std::string_view split_method_name(SplitMethod method) {
  switch (method) {
    case SplitMethod::kLoo:
      return "loo";
    case SplitMethod::kRatio:
      return "ratio";
    case SplitMethod::kHeldoutUsers:
      return "heldout_users";
  }
  return "?";
}

std::vector<std::string> split_part_names(SplitMethod method) {
  if (method == SplitMethod::kHeldoutUsers) {
    return {"train", "valid_foldin", "valid_heldout", "test_foldin", "test_heldout"};
  }
  return {"train", "valid", "test"};
}

std::array<double, 3> parse_split_ratio(std::string_view text) {
  std::array<double, 3> ratio{};
  std::size_t k = 0;
  std::size_t pos = 0;
  bool ok = true;
  while (ok && pos <= text.size()) {
    const std::size_t end = std::min(text.find(',', pos), text.size());
    ok = k < ratio.size();
    if (ok) {
      const auto [stop, ec] = std::from_chars(text.data() + pos, text.data() + end, ratio[k]);
      ok = ec == std::errc() && stop == text.data() + end && ratio[k] >= 0.0;
    }
    ++k;
    pos = end + 1;
  }
  ok = ok && k == ratio.size() && std::abs(ratio[0] + ratio[1] + ratio[2] - 1.0) < 1e-6 &&
       ratio[0] > 0.0;
  RSDIST_CHECK(
      ok,
      "--ratio '{}': expected train,valid,test shares, three non-negative numbers that sum "
      "to 1 with train > 0 (e.g. 0.8,0.1,0.1)",
      text);
  return ratio;
}

std::vector<std::int64_t> chronological_order(const UserItemMatrix& m, std::int64_t user) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(m.size_of(user)));
  std::iota(order.begin(), order.end(), m.offsets[static_cast<std::size_t>(user)]);
  std::stable_sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return m.timestamps[static_cast<std::size_t>(a)] < m.timestamps[static_cast<std::size_t>(b)];
  });
  return order;
}

Splits split_interactions(const UserItemMatrix& all, const SplitOptions& o) {
  Splits splits;
  const std::vector<std::string> names = split_part_names(o.method);
  std::vector<UserItemMatrix*> parts;
  for (const auto& name : names) {
    UserItemMatrix& part = splits.parts[name];
    part.offsets.reserve(static_cast<std::size_t>(all.num_users()) + 1);
    parts.push_back(&part);
  }
  const std::int64_t users = all.num_users();

  // heldout_users: role[u] 0 = training user, 1 = validation, 2 = test.
  std::vector<int> role;
  if (o.method == SplitMethod::kHeldoutUsers) {
    RSDIST_CHECK(o.heldout_users >= 1 && 2 * o.heldout_users < users,
                 "--heldout_users {}: needs 1 <= N and 2N < the {} users (N validation and N test "
                 "users, at least one training user)",
                 o.heldout_users, users);
    RSDIST_CHECK(o.heldout_fraction > 0.0 && o.heldout_fraction < 1.0,
                 "--heldout_fraction {}: expected a fraction in (0, 1)", o.heldout_fraction);
    std::vector<std::int64_t> shuffled(static_cast<std::size_t>(users));
    std::iota(shuffled.begin(), shuffled.end(), std::int64_t{0});
    Rng::stream(o.seed, {kHeldoutUserChoice}).shuffle(shuffled);
    role.assign(static_cast<std::size_t>(users), 0);
    for (std::int64_t k = 0; k < 2 * o.heldout_users; ++k) {
      role[static_cast<std::size_t>(shuffled[static_cast<std::size_t>(k)])] =
          k < o.heldout_users ? 1 : 2;
    }
  }

  std::vector<int> target;
  for (std::int64_t u = 0; u < users; ++u) {
    const std::vector<std::int64_t> order = chronological_order(all, u);
    const std::size_t n = order.size();
    const auto user_id = static_cast<std::uint64_t>(u);
    switch (o.method) {
      case SplitMethod::kLoo:
        assign_loo(n, target, splits.counts);
        break;
      case SplitMethod::kRatio:
        assign_ratio(n, o.ratio, Rng::stream(o.seed, {kRatioShuffle, user_id}), target,
                     splits.counts);
        break;
      case SplitMethod::kHeldoutUsers: {
        const int r = role[static_cast<std::size_t>(u)];
        // Parts: 0 train, 1 valid_foldin, 2 valid_heldout, 3 test_foldin, 4 test_heldout.
        const int foldin = r == 0 ? 0 : 2 * r - 1;
        target.assign(n, foldin);
        if (r == 0) break;
        if (static_cast<std::int64_t>(n) < kMinHeldoutSplitSize) {
          ++splits.counts.heldout_users_unsplit;
          break;
        }
        // As Mult-VAE's split_train_test_proportion: int(fraction * n) items, chosen at random.
        const auto heldout =
            static_cast<std::size_t>(std::floor(o.heldout_fraction * static_cast<double>(n)));
        std::vector<std::size_t> slots(n);
        std::iota(slots.begin(), slots.end(), std::size_t{0});
        Rng::stream(o.seed, {kHeldoutItemChoice, user_id}).shuffle(slots);
        for (std::size_t k = 0; k < heldout; ++k) target[slots[k]] = foldin + 1;
        break;
      }
    }
    distribute(all, order, target, parts);
  }
  return splits;
}

}  // namespace rsdist::ratings
