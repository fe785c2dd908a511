#include "data/ratings/ratings_filters.hpp"

#include <algorithm>
#include <numeric>

#include "core/error.hpp"

namespace rsdist::ratings {
namespace {

// Moves column `from` into the user-grouped order (cursor: the next slot of each user) and frees
// it.
template <class T>
std::vector<T> scatter(std::vector<T>& from, const std::vector<std::int32_t>& users,
                       const std::vector<std::int64_t>& offsets) {
  std::vector<std::int64_t> cursor(offsets.begin(), offsets.end() - 1);
  std::vector<T> to(from.size());
  for (std::size_t r = 0; r < from.size(); ++r) {
    to[static_cast<std::size_t>(cursor[static_cast<std::size_t>(users[r])]++)] = from[r];
  }
  std::vector<T>().swap(from);
  return to;
}

}  // namespace

UserItemMatrix group_by_user(RawRatings& raw) {
  UserItemMatrix m;
  m.offsets.assign(raw.user_ids.size() + 1, 0);
  for (const std::int32_t u : raw.users) ++m.offsets[static_cast<std::size_t>(u) + 1];
  std::partial_sum(m.offsets.begin(), m.offsets.end(), m.offsets.begin());
  m.items = scatter(raw.items, raw.users, m.offsets);
  m.ratings = scatter(raw.ratings, raw.users, m.offsets);
  m.timestamps = scatter(raw.timestamps, raw.users, m.offsets);
  std::vector<std::int32_t>().swap(raw.users);
  return m;
}

void keep_entries(UserItemMatrix& m, const std::vector<std::uint8_t>& keep) {
  std::size_t out = 0;
  std::int64_t begin = 0;
  for (std::size_t u = 0; u + 1 < m.offsets.size(); ++u) {
    const std::int64_t end = m.offsets[u + 1];
    for (std::int64_t e = begin; e < end; ++e) {
      const auto i = static_cast<std::size_t>(e);
      if (keep[i] == 0) continue;
      m.items[out] = m.items[i];
      m.ratings[out] = m.ratings[i];
      m.timestamps[out] = m.timestamps[i];
      ++out;
    }
    begin = end;
    m.offsets[u + 1] = static_cast<std::int64_t>(out);
  }
  m.items.resize(out);
  m.ratings.resize(out);
  m.timestamps.resize(out);
}

std::int64_t drop_duplicates(UserItemMatrix& m) {
  std::vector<std::uint8_t> keep(m.items.size(), 1);
  std::vector<std::int64_t> order;
  std::int64_t dropped = 0;
  for (std::int64_t u = 0; u < m.num_users(); ++u) {
    const std::int64_t begin = m.offsets[static_cast<std::size_t>(u)];
    order.resize(static_cast<std::size_t>(m.size_of(u)));
    std::iota(order.begin(), order.end(), begin);
    // By item, then time, then position: the last of each item's run is the one kept.
    std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
      const auto i = static_cast<std::size_t>(a), j = static_cast<std::size_t>(b);
      if (m.items[i] != m.items[j]) return m.items[i] < m.items[j];
      if (m.timestamps[i] != m.timestamps[j]) return m.timestamps[i] < m.timestamps[j];
      return a < b;
    });
    for (std::size_t k = 0; k + 1 < order.size(); ++k) {
      if (m.items[static_cast<std::size_t>(order[k])] ==
          m.items[static_cast<std::size_t>(order[k + 1])]) {
        keep[static_cast<std::size_t>(order[k])] = 0;
        ++dropped;
      }
    }
  }
  if (dropped > 0) keep_entries(m, keep);
  return dropped;
}

std::int64_t apply_implicit_threshold(UserItemMatrix& m, float threshold) {
  std::vector<std::uint8_t> keep(m.items.size());
  std::int64_t dropped = 0;
  for (std::size_t e = 0; e < m.ratings.size(); ++e) {
    keep[e] = m.ratings[e] >= threshold ? 1 : 0;
    dropped += 1 - keep[e];
    m.ratings[e] = 1.0F;
  }
  keep_entries(m, keep);
  return dropped;
}

KCoreResult k_core(UserItemMatrix& m, std::int64_t num_items, std::int64_t min_user,
                   std::int64_t min_item) {
  KCoreResult result;
  if (min_user <= 1 && min_item <= 1) return result;
  std::vector<std::int64_t> item_count(static_cast<std::size_t>(num_items));
  std::vector<std::uint8_t> keep;
  while (true) {
    ++result.passes;
    std::fill(item_count.begin(), item_count.end(), 0);
    for (const std::int32_t item : m.items) ++item_count[static_cast<std::size_t>(item)];
    keep.assign(m.items.size(), 1);
    std::int64_t removed = 0;
    for (std::int64_t u = 0; u < m.num_users(); ++u) {
      const bool user_ok = m.size_of(u) >= min_user;
      for (std::int64_t e = m.offsets[static_cast<std::size_t>(u)];
           e < m.offsets[static_cast<std::size_t>(u) + 1]; ++e) {
        const auto i = static_cast<std::size_t>(e);
        if (!user_ok || item_count[static_cast<std::size_t>(m.items[i])] < min_item) {
          keep[i] = 0;
          ++removed;
        }
      }
    }
    if (removed == 0) break;
    result.removed_interactions += removed;
    keep_entries(m, keep);
  }
  return result;
}

void compact_ids(UserItemMatrix& m, std::vector<std::string>& user_ids,
                 std::vector<std::string>& item_ids) {
  RSDIST_CHECK(m.num_users() == static_cast<std::int64_t>(user_ids.size()),
               "compact_ids: {} rows for {} user ids", m.num_users(), user_ids.size());
  std::size_t kept_users = 0;
  for (std::size_t u = 0; u < user_ids.size(); ++u) {
    if (m.offsets[u + 1] == m.offsets[u]) continue;
    if (kept_users != u) user_ids[kept_users] = std::move(user_ids[u]);
    m.offsets[kept_users + 1] = m.offsets[u + 1];
    ++kept_users;
  }
  user_ids.resize(kept_users);
  m.offsets.resize(kept_users + 1);

  std::vector<std::int32_t> new_item(item_ids.size(), -1);
  for (const std::int32_t item : m.items) new_item[static_cast<std::size_t>(item)] = 0;
  std::int32_t next = 0;
  for (std::size_t i = 0; i < item_ids.size(); ++i) {
    if (new_item[i] < 0) continue;
    new_item[i] = next;
    if (static_cast<std::size_t>(next) != i) {
      item_ids[static_cast<std::size_t>(next)] = std::move(item_ids[i]);
    }
    ++next;
  }
  item_ids.resize(static_cast<std::size_t>(next));
  for (std::int32_t& item : m.items) item = new_item[static_cast<std::size_t>(item)];
}

}  // namespace rsdist::ratings
