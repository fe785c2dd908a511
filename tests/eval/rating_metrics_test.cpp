// RMSE / MAE and ROC AUC of rating predictions against values computed by hand (and sklearn's
// tie rule).
#include "eval/rating_metrics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace rsdist::eval {
namespace {

TEST(RatingMetrics, ErrorsByHand) {
  const std::vector<float> predicted = {3.5F, 2.0F, 5.0F, 1.0F};
  const std::vector<float> rated = {4.0F, 2.0F, 3.0F, 2.0F};
  const RatingErrors e = rating_errors(predicted, rated);
  // Errors -0.5, 0, 2, -1: squares 0.25 + 0 + 4 + 1 = 5.25.
  EXPECT_DOUBLE_EQ(e.rmse, std::sqrt(5.25 / 4));
  EXPECT_DOUBLE_EQ(e.mae, 3.5 / 4);
  EXPECT_EQ(rating_errors({}, {}).rmse, 0.0);
  EXPECT_ANY_THROW(rating_errors(predicted, {rated.data(), 3}));
}

TEST(RatingMetrics, AucByHandWithTies) {
  // Positives 0.9, 0.4, 0.4; negatives 0.4, 0.1. Pairs (p, n): 0.9 beats both (2); each 0.4
  // positive ties 0.4 (1/2) and beats 0.1 (1): 2 + 1.5 + 1.5 = 5 of 6.
  const std::vector<float> scores = {0.4F, 0.9F, 0.1F, 0.4F, 0.4F};
  const std::vector<std::uint8_t> labels = {1, 1, 0, 0, 1};
  EXPECT_DOUBLE_EQ(roc_auc(scores, labels), 5.0 / 6.0);
  // Perfect, reversed, constant.
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<float>{0.1F, 0.2F, 0.8F}, std::vector<std::uint8_t>{0, 0, 1}),
                   1.0);
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<float>{0.9F, 0.2F, 0.1F}, std::vector<std::uint8_t>{0, 1, 1}),
                   0.0);
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<float>{1, 1, 1, 1}, std::vector<std::uint8_t>{0, 1, 1, 0}),
                   0.5);
  // One class only: undefined.
  EXPECT_TRUE(std::isnan(roc_auc(std::vector<float>{1, 2}, std::vector<std::uint8_t>{1, 1})));
}

}  // namespace
}  // namespace rsdist::eval
