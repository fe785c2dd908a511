#include "train/early_stopping.hpp"

#include <gtest/gtest.h>

namespace rsdist::train {
namespace {

TEST(EarlyStopping, StopsAfterPatienceEpochsWithoutImprovement) {
  EarlyStopping es(2, Direction::kHigherIsBetter);
  auto d = es.update(0, 0.60);
  EXPECT_TRUE(d.improved);
  EXPECT_FALSE(d.stop);
  d = es.update(1, 0.65);
  EXPECT_TRUE(d.improved);
  EXPECT_EQ(d.best_epoch, 1);
  d = es.update(2, 0.65);  // equal is not better
  EXPECT_FALSE(d.improved);
  EXPECT_FALSE(d.stop);
  d = es.update(3, 0.64);
  EXPECT_TRUE(d.stop);
  EXPECT_DOUBLE_EQ(d.best_metric, 0.65);
  EXPECT_EQ(d.best_epoch, 1);
}

TEST(EarlyStopping, LowerIsBetterFollowsFallingMetrics) {
  // RMSE: a fall is an improvement, a rise is not.
  EarlyStopping es(2, Direction::kLowerIsBetter);
  EXPECT_TRUE(es.update(0, 1.10).improved);
  auto d = es.update(1, 0.95);
  EXPECT_TRUE(d.improved);
  EXPECT_EQ(d.best_epoch, 1);
  d = es.update(2, 0.97);
  EXPECT_FALSE(d.improved);
  EXPECT_FALSE(d.stop);
  d = es.update(3, 0.95);  // equal is not better
  EXPECT_FALSE(d.improved);
  EXPECT_TRUE(d.stop);
  EXPECT_DOUBLE_EQ(d.best_metric, 0.95);
  EXPECT_EQ(d.best_epoch, 1);
}

TEST(EarlyStopping, RestoreContinuesWhereItLeft) {
  EarlyStopping es(3, Direction::kHigherIsBetter);
  es.restore(0.7, 4, 2);
  const auto d = es.update(7, 0.69);
  EXPECT_TRUE(d.stop);
  EXPECT_EQ(d.best_epoch, 4);
}

}  // namespace
}  // namespace rsdist::train
