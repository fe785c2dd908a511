#include "ddp/bucket_assignment.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

using Indices = std::vector<std::size_t>;

std::vector<Indices> indices_of(const std::vector<Bucket>& buckets) {
  std::vector<Indices> out;
  for (const auto& b : buckets) out.push_back(b.parameter_indices);
  return out;
}

std::vector<ParameterInfo> floats(std::initializer_list<std::size_t> bytes) {
  std::vector<ParameterInfo> out;
  for (auto b : bytes) out.push_back({b, "float32/cpu"});
  return out;
}

TEST(BucketAssignment, ReverseOrderSmallFirstBucketThenCap) {
  // Parameters 0..5 of 4 bytes; first cap 8, later caps 12: [5,4] [3,2,1] [0].
  const auto buckets = compute_bucket_assignment(floats({4, 4, 4, 4, 4, 4}), 8, 12);
  EXPECT_EQ(indices_of(buckets), (std::vector<Indices>{{5, 4}, {3, 2, 1}, {0}}));
  EXPECT_EQ(buckets[0].bytes, 8u);
  EXPECT_EQ(buckets[1].bytes, 12u);
}

TEST(BucketAssignment, ParameterLargerThanTheCapGetsItsOwnBucket) {
  const auto buckets = compute_bucket_assignment(floats({4, 100, 4, 4}), 8, 8);
  EXPECT_EQ(indices_of(buckets), (std::vector<Indices>{{3, 2}, {1}, {0}}));
}

TEST(BucketAssignment, CapSmallerThanEveryParameterGivesOneBucketEach) {
  const auto buckets = compute_bucket_assignment(floats({16, 16, 16}), 1, 1);
  EXPECT_EQ(indices_of(buckets), (std::vector<Indices>{{2}, {1}, {0}}));
}

TEST(BucketAssignment, TypesNeverShareABucket) {
  std::vector<ParameterInfo> params = {
      {4, "float32/cpu"}, {2, "bfloat16/cpu"}, {4, "float32/cpu"}, {2, "bfloat16/cpu"}};
  const auto buckets = compute_bucket_assignment(params, 100, 100);
  EXPECT_EQ(indices_of(buckets), (std::vector<Indices>{{3, 1}, {2, 0}}));
}

TEST(BucketAssignment, EveryParameterExactlyOnce) {
  std::vector<ParameterInfo> params;
  for (std::size_t i = 0; i < 37; ++i) params.push_back({(i * 7919) % 97 + 1, i % 3 ? "a" : "b"});
  const auto buckets = compute_bucket_assignment(params, 50, 120);
  std::vector<int> seen(params.size(), 0);
  for (const auto& b : buckets) {
    std::size_t bytes = 0;
    for (auto i : b.parameter_indices) {
      ++seen[i];
      bytes += params[i].bytes;
      EXPECT_EQ(params[i].type_key, params[b.parameter_indices[0]].type_key);
    }
    EXPECT_EQ(bytes, b.bytes);
  }
  for (int s : seen) EXPECT_EQ(s, 1);
}

TEST(BucketAssignment, EmptyAndInvalidCaps) {
  EXPECT_TRUE(compute_bucket_assignment({}, 1, 1).empty());
  EXPECT_THROW(compute_bucket_assignment(floats({4}), 0, 8), Error);
}

}  // namespace
}  // namespace rsdist::ddp
