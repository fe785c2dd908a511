#include "eval/rating_metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <vector>

#include "core/error.hpp"

namespace rsdist::eval {

RatingErrors rating_errors(std::span<const float> predictions, std::span<const float> ratings) {
  RSDIST_CHECK(predictions.size() == ratings.size(), "{} predictions for {} ratings",
               predictions.size(), ratings.size());
  if (predictions.empty()) return {};
  double squared = 0.0, absolute = 0.0;
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    const double e = static_cast<double>(predictions[i]) - static_cast<double>(ratings[i]);
    squared += e * e;
    absolute += std::abs(e);
  }
  const auto n = static_cast<double>(predictions.size());
  return {std::sqrt(squared / n), absolute / n};
}

double roc_auc(std::span<const float> scores, std::span<const std::uint8_t> labels) {
  RSDIST_CHECK(scores.size() == labels.size(), "{} scores for {} labels", scores.size(),
               labels.size());
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // Mann-Whitney: the sum of the positives' (1-based, tie-averaged) ranks.
  double positive_rank_sum = 0.0;
  std::int64_t positives = 0;
  for (std::size_t begin = 0; begin < order.size();) {
    std::size_t end = begin;
    std::int64_t tied_positives = 0;
    while (end < order.size() && scores[order[end]] == scores[order[begin]]) {
      tied_positives += labels[order[end]] != 0 ? 1 : 0;
      ++end;
    }
    const double average_rank = 0.5 * static_cast<double>(begin + 1 + end);
    positive_rank_sum += average_rank * static_cast<double>(tied_positives);
    positives += tied_positives;
    begin = end;
  }
  const auto n = static_cast<std::int64_t>(scores.size());
  const std::int64_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return std::numeric_limits<double>::quiet_NaN();
  const double p = static_cast<double>(positives);
  return (positive_rank_sum - p * (p + 1.0) / 2.0) / (p * static_cast<double>(negatives));
}

}  // namespace rsdist::eval
