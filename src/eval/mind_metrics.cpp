#include "eval/mind_metrics.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "core/error.hpp"
#include "eval/csr_offsets.hpp"

namespace rsdist::eval {
namespace {

// Impressions with at most this many clicks find the clicks' positions by counting (O(clicks x n),
// about n operations for MIND's one or two clicks); others sort (O(n log n)).
constexpr std::int64_t kCountingLimit = 8;

// Buffers reused across the impressions of a set: no allocation per impression.
struct Scratch {
  std::vector<std::uint64_t> sort_keys;
  std::vector<std::int32_t> order;
  std::vector<std::int32_t> keys;
  std::vector<std::int32_t> positions;
};

void check_candidate_count(std::size_t n) {
  RSDIST_CHECK(n <= static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max()),
               "MIND scores: an impression of {} candidates is more than ranks (int32) can number",
               n);
}

// A key whose ascending signed order is the score's descending order (so that the best candidate
// has the smallest key); equal scores give equal keys, -0.0 included (Python compares it equal to
// 0.0). Throws on NaN.
std::int32_t descending_key(float score, std::size_t candidate) {
  RSDIST_CHECK(!std::isnan(score),
               "MIND scores: candidate {} has a NaN score; a model output that is not a number "
               "cannot be ranked (check the model for overflow or a bad checkpoint)",
               candidate);
  const auto bits = std::bit_cast<std::uint32_t>(score + 0.0f);  // -0.0 + 0.0 = +0.0
  // Ascending unsigned order of floats: flip every bit of negatives, the sign bit of the rest.
  const std::uint32_t ascending = (bits & 0x80000000u) != 0 ? ~bits : bits | 0x80000000u;
  return std::bit_cast<std::int32_t>(~ascending ^ 0x80000000u);
}

// Fills `order` with the candidates of one impression, best first: score descending, equal scores
// in candidate order (what Python's stable `sort(reverse=True)` gives). Each candidate is one
// 64-bit integer, key << 32 | candidate, so a plain integer sort gives that order.
void ranking_order(std::span<const float> scores, Scratch& scratch) {
  check_candidate_count(scores.size());
  scratch.sort_keys.resize(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) {
    const auto key = std::bit_cast<std::uint32_t>(descending_key(scores[i], i)) ^ 0x80000000u;
    scratch.sort_keys[i] = (static_cast<std::uint64_t>(key) << 32) | static_cast<std::uint64_t>(i);
  }
  std::sort(scratch.sort_keys.begin(), scratch.sort_keys.end());
  scratch.order.resize(scores.size());
  for (std::size_t p = 0; p < scores.size(); ++p) {
    scratch.order[p] = static_cast<std::int32_t>(scratch.sort_keys[p] & 0xFFFFFFFFu);
  }
}

// 0-based positions of the clicked candidates in the ranking order, ascending.
void click_positions(std::span<const float> scores, std::span<const std::int32_t> labels,
                     std::int64_t clicks, Scratch& scratch) {
  scratch.positions.clear();
  if (clicks > kCountingLimit) {
    ranking_order(scores, scratch);
    for (std::size_t p = 0; p < scratch.order.size(); ++p) {
      if (labels[scratch.order[p]] != 0) scratch.positions.push_back(static_cast<std::int32_t>(p));
    }
    return;
  }
  check_candidate_count(scores.size());
  scratch.keys.resize(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) scratch.keys[i] = descending_key(scores[i], i);
  const std::int32_t* keys = scratch.keys.data();
  const auto n = static_cast<std::int32_t>(scores.size());
  for (std::int32_t c = 0; c < n; ++c) {
    if (labels[c] == 0) continue;
    // Candidates ranked above c: a better score, or the same score listed earlier.
    std::int32_t above = 0;
    for (std::int32_t i = 0; i < c; ++i) above += keys[i] <= keys[c] ? 1 : 0;
    for (std::int32_t i = c + 1; i < n; ++i) above += keys[i] < keys[c] ? 1 : 0;
    scratch.positions.push_back(above);
  }
  std::sort(scratch.positions.begin(), scratch.positions.end());
}

// The metrics of one impression (Note [MIND scoring]).
ImpressionScore score_with(std::span<const float> scores, std::span<const std::int32_t> labels,
                           Scratch& scratch) {
  RSDIST_CHECK(scores.size() == labels.size(),
               "MIND metrics: {} scores but {} labels; every candidate needs one of each",
               scores.size(), labels.size());
  std::int64_t clicks = 0;
  for (std::size_t i = 0; i < labels.size(); ++i) {
    RSDIST_CHECK(labels[i] == 0 || labels[i] == 1,
                 "MIND labels: candidate {} has label {}; labels must be 0 (not clicked) or 1 "
                 "(clicked)",
                 i, labels[i]);
    clicks += labels[i];
  }
  const auto n = static_cast<std::int64_t>(labels.size());
  const std::int64_t non_clicks = n - clicks;
  ImpressionScore out;
  if (clicks == 0 || non_clicks == 0) {  // no AUC: skipped for every metric
    for (std::size_t i = 0; i < scores.size(); ++i) descending_key(scores[i], i);  // NaN check
    return out;
  }
  click_positions(scores, labels, clicks, scratch);

  std::int64_t ordered_pairs = 0;  // (click, non-click) pairs with the click ranked better
  double reciprocal_ranks = 0.0;
  double dcg5 = 0.0;
  double dcg10 = 0.0;
  for (std::size_t i = 0; i < scratch.positions.size(); ++i) {
    const std::int64_t position = scratch.positions[i];
    const auto non_clicks_above = position - static_cast<std::int64_t>(i);
    ordered_pairs += non_clicks - non_clicks_above;
    reciprocal_ranks += 1.0 / static_cast<double>(position + 1);
    if (position < 10) {
      const double gain = 1.0 / std::log2(static_cast<double>(position + 2));  // (2^1 - 1) / ...
      dcg10 += gain;
      if (position < 5) dcg5 += gain;
    }
  }
  double ideal5 = 0.0;
  double ideal10 = 0.0;
  for (std::int64_t position = 0; position < std::min<std::int64_t>(clicks, 10); ++position) {
    const double gain = 1.0 / std::log2(static_cast<double>(position + 2));
    ideal10 += gain;
    if (position < 5) ideal5 += gain;
  }
  out.scored = true;
  out.auc = static_cast<double>(ordered_pairs) /
            (static_cast<double>(clicks) * static_cast<double>(non_clicks));
  out.mrr = reciprocal_ranks / static_cast<double>(clicks);
  out.ndcg5 = dcg5 / ideal5;
  out.ndcg10 = dcg10 / ideal10;
  return out;
}

}  // namespace

std::vector<std::int32_t> mind_ranks(std::span<const float> scores) {
  Scratch scratch;
  ranking_order(scores, scratch);
  std::vector<std::int32_t> ranks(scores.size());
  for (std::size_t position = 0; position < scratch.order.size(); ++position) {
    ranks[scratch.order[position]] = static_cast<std::int32_t>(position + 1);
  }
  return ranks;
}

ImpressionScore score_impression(std::span<const float> scores,
                                 std::span<const std::int32_t> labels) {
  Scratch scratch;
  return score_with(scores, labels, scratch);
}

void MindMetrics::add(const ImpressionScore& impression) {
  if (!impression.scored) {
    ++skipped_;
    return;
  }
  auc_sum_ += impression.auc;
  mrr_sum_ += impression.mrr;
  ndcg5_sum_ += impression.ndcg5;
  ndcg10_sum_ += impression.ndcg10;
  ++impressions_;
}

void MindMetrics::merge(const MindMetrics& other) {
  auc_sum_ += other.auc_sum_;
  mrr_sum_ += other.mrr_sum_;
  ndcg5_sum_ += other.ndcg5_sum_;
  ndcg10_sum_ += other.ndcg10_sum_;
  impressions_ += other.impressions_;
  skipped_ += other.skipped_;
}

MindResult MindMetrics::result() const {
  MindResult r;
  r.impressions = impressions_;
  r.skipped = skipped_;
  if (impressions_ == 0) return r;
  const auto count = static_cast<double>(impressions_);
  r.auc = auc_sum_ / count;
  r.mrr = mrr_sum_ / count;
  r.ndcg5 = ndcg5_sum_ / count;
  r.ndcg10 = ndcg10_sum_ / count;
  return r;
}

std::array<double, MindMetrics::kPackedSize> MindMetrics::pack() const {
  return {auc_sum_,
          mrr_sum_,
          ndcg5_sum_,
          ndcg10_sum_,
          static_cast<double>(impressions_),
          static_cast<double>(skipped_)};
}

MindMetrics MindMetrics::unpack(std::span<const double> packed) {
  RSDIST_CHECK(packed.size() == kPackedSize,
               "MindMetrics::unpack: expected {} values (4 sums, 2 counts), got {}", kPackedSize,
               packed.size());
  for (std::size_t i = 0; i < kPackedSize; ++i) {
    RSDIST_CHECK(std::isfinite(packed[i]) && packed[i] >= 0.0,
                 "MindMetrics::unpack: value {} is {}; sums and counts are finite and >= 0", i,
                 packed[i]);
  }
  for (std::size_t i = 4; i < kPackedSize; ++i) {
    RSDIST_CHECK(packed[i] == std::floor(packed[i]) && packed[i] < 9007199254740992.0,
                 "MindMetrics::unpack: count {} is {}, not a whole number", i, packed[i]);
  }
  MindMetrics m;
  m.auc_sum_ = packed[0];
  m.mrr_sum_ = packed[1];
  m.ndcg5_sum_ = packed[2];
  m.ndcg10_sum_ = packed[3];
  m.impressions_ = static_cast<std::int64_t>(packed[4]);
  m.skipped_ = static_cast<std::int64_t>(packed[5]);
  return m;
}

MindMetrics score_impressions(std::span<const float> scores, std::span<const std::int32_t> labels,
                              std::span<const std::int64_t> offsets) {
  RSDIST_CHECK(scores.size() == labels.size(),
               "MIND metrics: {} scores but {} labels; every candidate needs one of each",
               scores.size(), labels.size());
  check_csr_offsets(offsets, static_cast<std::int64_t>(scores.size()), "MIND impression offsets");
  MindMetrics metrics;
  Scratch scratch;
  for (std::size_t j = 0; j + 1 < offsets.size(); ++j) {
    const auto begin = static_cast<std::size_t>(offsets[j]);
    const auto size = static_cast<std::size_t>(offsets[j + 1] - offsets[j]);
    try {
      metrics.add(score_with(scores.subspan(begin, size), labels.subspan(begin, size), scratch));
    } catch (Error& e) {
      e.add_context(fmt::format("scoring impression {} (0-based; candidates [{}, {}))", j, begin,
                                begin + size));
      throw;
    }
  }
  return metrics;
}

}  // namespace rsdist::eval
