// Metrics of explicit rating prediction (NCF on ratings): RMSE and MAE on the rating scale, and
// the ROC AUC of the predictions with "liked" ratings (>= a threshold) as positives. No torch.
#pragma once

#include <cstdint>
#include <span>

namespace rsdist::eval {

struct RatingErrors {
  double rmse = 0.0;
  double mae = 0.0;
};

// Over pairs (predictions[i], ratings[i]); sums in double, in index order. Empty: zeros.
RatingErrors rating_errors(std::span<const float> predictions, std::span<const float> ratings);

// sklearn's roc_auc_score(labels, scores): the probability that a positive scores above a
// negative, ties counting one half (average ranks). NaN when either class is absent.
double roc_auc(std::span<const float> scores, std::span<const std::uint8_t> labels);

}  // namespace rsdist::eval
