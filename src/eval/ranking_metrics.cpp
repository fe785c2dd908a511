#include "eval/ranking_metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>
#include <utility>

#include "core/error.hpp"

namespace rsdist::eval {
namespace {

constexpr double kLargestExactCount = 9007199254740992.0;  // 2^53

std::string_view trimmed(std::string_view token) {
  const auto first = token.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = token.find_last_not_of(" \t");
  return token.substr(first, last - first + 1);
}

std::int64_t parse_cutoff(std::string_view token, const std::string& option) {
  const std::string_view digits = trimmed(token);
  RSDIST_CHECK(!digits.empty(), "{}: an empty cut-off in the list (write e.g. {} 10,20,50)", option,
               option);
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  RSDIST_CHECK(error == std::errc() && end == digits.data() + digits.size() && value >= 1,
               "{}: '{}' is not a cut-off; each must be a whole number >= 1 (e.g. {} 10,20,50)",
               option, token, option);
  return value;
}

// Sorted, deduplicated and checked; `what` names the source in messages.
std::vector<std::int64_t> normalized_cutoffs(std::vector<std::int64_t> cutoffs,
                                             std::string_view what) {
  RSDIST_CHECK(!cutoffs.empty(), "{}: no cut-offs; give at least one k, e.g. 10,20", what);
  std::sort(cutoffs.begin(), cutoffs.end());
  cutoffs.erase(std::unique(cutoffs.begin(), cutoffs.end()), cutoffs.end());
  RSDIST_CHECK(cutoffs.front() >= 1, "{}: cut-off {} is not >= 1", what, cutoffs.front());
  return cutoffs;
}

double discount(std::int64_t position) {
  return 1.0 / std::log2(static_cast<double>(position + 2));
}

void check_user(std::span<const std::int64_t> hit_positions, std::int64_t heldout,
                std::int64_t first_hit_rank, std::int64_t max_cutoff) {
  RSDIST_CHECK(heldout >= 1,
               "RankingMetrics: a user with {} held-out items; users without any are skipped "
               "before add_user",
               heldout);
  RSDIST_CHECK(static_cast<std::int64_t>(hit_positions.size()) <= heldout,
               "RankingMetrics: {} hits for a user with {} held-out items", hit_positions.size(),
               heldout);
  for (std::size_t i = 0; i < hit_positions.size(); ++i) {
    const std::int64_t p = hit_positions[i];
    RSDIST_CHECK(p >= 0 && p < max_cutoff && (i == 0 || p > hit_positions[i - 1]),
                 "RankingMetrics: hit position {} (entry {}) is not in [0, {}) or not above the "
                 "one before; positions must be increasing and below the largest cut-off",
                 p, i, max_cutoff);
  }
  if (first_hit_rank < 0) {
    RSDIST_CHECK(first_hit_rank == -1, "RankingMetrics: first hit rank {} (use -1 for unknown)",
                 first_hit_rank);
  } else if (hit_positions.empty()) {
    RSDIST_CHECK(first_hit_rank >= max_cutoff,
                 "RankingMetrics: first hit rank {} is inside the top {} but the user has no hit "
                 "there",
                 first_hit_rank, max_cutoff);
  } else {
    RSDIST_CHECK(first_hit_rank == hit_positions[0],
                 "RankingMetrics: first hit rank {} disagrees with the first hit position {}",
                 first_hit_rank, hit_positions[0]);
  }
}

}  // namespace

std::vector<std::int64_t> parse_cutoffs(const std::string& text, const std::string& option) {
  RSDIST_CHECK(!trimmed(text).empty(), "{} is empty; give cut-offs like {} 10,20,50", option,
               option);
  std::vector<std::int64_t> cutoffs;
  std::string_view rest(text);
  while (true) {
    const auto comma = rest.find(',');
    cutoffs.push_back(parse_cutoff(rest.substr(0, comma), option));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return normalized_cutoffs(std::move(cutoffs), option);
}

RankingMetrics::RankingMetrics(std::vector<std::int64_t> cutoffs)
    : cutoffs_(normalized_cutoffs(std::move(cutoffs), "RankingMetrics")),
      hr_count_(cutoffs_.size(), 0),
      recall_sum_(cutoffs_.size(), 0.0),
      ndcg_sum_(cutoffs_.size(), 0.0) {}

void RankingMetrics::add_user(std::span<const std::int64_t> hit_positions, std::int64_t heldout,
                              std::int64_t first_hit_rank) {
  check_user(hit_positions, heldout, first_hit_rank, max_cutoff());
  // One walk over the cut-offs (ascending): DCG takes the hits below k, IDCG the first min(k, H)
  // discounts, both summed in position order (so one held-out item gives exactly TopKMetrics').
  std::size_t hits = 0;
  double dcg = 0.0;
  std::int64_t ideal_terms = 0;
  double idcg = 0.0;
  for (std::size_t c = 0; c < cutoffs_.size(); ++c) {
    const std::int64_t k = cutoffs_[c];
    for (; hits < hit_positions.size() && hit_positions[hits] < k; ++hits) {
      dcg += discount(hit_positions[hits]);
    }
    const std::int64_t ideal = std::min(k, heldout);
    for (; ideal_terms < ideal; ++ideal_terms) idcg += discount(ideal_terms);
    hr_count_[c] += hits > 0 ? 1 : 0;
    recall_sum_[c] += static_cast<double>(hits) / static_cast<double>(ideal);
    ndcg_sum_[c] += dcg / idcg;
  }
  const std::int64_t rank =
      first_hit_rank >= 0 ? first_hit_rank : (hit_positions.empty() ? -1 : hit_positions[0]);
  if (rank >= 0) mrr_sum_ += 1.0 / static_cast<double>(rank + 1);
  ++users_;
}

void RankingMetrics::merge(const RankingMetrics& other) {
  RSDIST_CHECK(cutoffs_ == other.cutoffs_,
               "RankingMetrics::merge: cut-offs differ ({} vs {} of them); every rank and chunk "
               "must use the same --metrics_k",
               cutoffs_.size(), other.cutoffs_.size());
  for (std::size_t c = 0; c < cutoffs_.size(); ++c) {
    hr_count_[c] += other.hr_count_[c];
    recall_sum_[c] += other.recall_sum_[c];
    ndcg_sum_[c] += other.ndcg_sum_[c];
  }
  mrr_sum_ += other.mrr_sum_;
  users_ += other.users_;
}

std::vector<double> RankingMetrics::pack() const {
  std::vector<double> packed{static_cast<double>(users_), mrr_sum_};
  packed.reserve(packed_size());
  for (std::size_t c = 0; c < cutoffs_.size(); ++c) {
    packed.push_back(static_cast<double>(hr_count_[c]));
    packed.push_back(recall_sum_[c]);
    packed.push_back(ndcg_sum_[c]);
  }
  return packed;
}

RankingMetrics RankingMetrics::unpack(std::vector<std::int64_t> cutoffs,
                                      std::span<const double> packed) {
  RankingMetrics m(std::move(cutoffs));
  RSDIST_CHECK(packed.size() == m.packed_size(),
               "RankingMetrics::unpack: {} values for {} cut-offs; expected {} (users, MRR sum, "
               "then HR count, Recall sum, NDCG sum per cut-off)",
               packed.size(), m.cutoffs_.size(), m.packed_size());
  const double users = packed[0];
  RSDIST_CHECK(std::isfinite(users) && users >= 0.0 && users == std::floor(users) &&
                   users < kLargestExactCount,
               "RankingMetrics::unpack: the user count is {}, not a whole number >= 0", users);
  // Every per-user value lies in [0, 1], and rounding is monotone, so no sum exceeds the count.
  for (std::size_t i = 1; i < packed.size(); ++i) {
    RSDIST_CHECK(std::isfinite(packed[i]) && packed[i] >= 0.0 && packed[i] <= users,
                 "RankingMetrics::unpack: value {} is {}; sums over {} users lie in [0, {}]", i,
                 packed[i], users, users);
  }
  m.users_ = static_cast<std::int64_t>(users);
  m.mrr_sum_ = packed[1];
  for (std::size_t c = 0; c < m.cutoffs_.size(); ++c) {
    const double hr = packed[2 + 3 * c];
    RSDIST_CHECK(hr == std::floor(hr), "RankingMetrics::unpack: HR count {} is not a whole number",
                 hr);
    m.hr_count_[c] = static_cast<std::int64_t>(hr);
    m.recall_sum_[c] = packed[3 + 3 * c];
    m.ndcg_sum_[c] = packed[4 + 3 * c];
  }
  return m;
}

std::map<std::string, double> RankingMetrics::result(const std::string& prefix) const {
  const double count = static_cast<double>(users_);
  const auto mean = [&](double sum) { return users_ == 0 ? 0.0 : sum / count; };
  std::map<std::string, double> out;
  for (std::size_t c = 0; c < cutoffs_.size(); ++c) {
    const std::string k = std::to_string(cutoffs_[c]);
    out[prefix + "hr" + k] = mean(static_cast<double>(hr_count_[c]));
    out[prefix + "recall" + k] = mean(recall_sum_[c]);
    out[prefix + "ndcg" + k] = mean(ndcg_sum_[c]);
  }
  out[prefix + "mrr"] = mean(mrr_sum_);
  out[prefix + "users"] = count;
  return out;
}

}  // namespace rsdist::eval
