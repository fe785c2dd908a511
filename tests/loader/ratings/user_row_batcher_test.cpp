// UserRowBatcher: batch j holds the rows of the users of samples order[j*B, (j+1)*B) in that
// order, as sparse rows (items, offsets, the row of each entry), with or without loader threads;
// host_sparse_rows of every row.
#include <ATen/Context.h>
#include <gtest/gtest.h>

#include <vector>

#include "loader/ratings/user_row_batcher.hpp"

namespace rsdist::loader {
namespace {

ratings::UserItemMatrix matrix_of(const std::vector<std::vector<std::int32_t>>& rows) {
  ratings::UserItemMatrix m;
  for (const auto& row : rows) {
    for (const std::int32_t item : row) {
      m.items.push_back(item);
      m.ratings.push_back(1);
      m.timestamps.push_back(0);
    }
    m.end_row();
  }
  return m;
}

std::vector<std::vector<std::int64_t>> rows_of(const models::SparseRows& x) {
  std::vector<std::vector<std::int64_t>> out(static_cast<std::size_t>(x.num_rows));
  for (std::int64_t e = 0; e < x.nnz(); ++e) {
    const std::int64_t row = x.rows[e].item<std::int64_t>();
    EXPECT_GE(e, x.offsets[row].item<std::int64_t>());
    out[static_cast<std::size_t>(row)].push_back(x.items[e].item<std::int64_t>());
  }
  return out;
}

TEST(UserRowBatcher, BatchesHoldTheSampledUsersRowsInOrder) {
  const ratings::UserItemMatrix m = matrix_of({{1, 4}, {}, {0, 2, 3}, {5}, {2}});
  const std::vector<std::int64_t> sample_users = {0, 2, 3, 4};  // user 1 has no items
  for (const std::int32_t threads : {0, 2}) {
    UserRowBatcherOptions o;
    o.batch_size = 3;
    o.threads = threads;
    UserRowBatcher batcher(m, sample_users, {3, 1, 0, 2}, o);
    EXPECT_EQ(batcher.num_batches(), 2);
    const auto first = batcher.next();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(rows_of(*first), (std::vector<std::vector<std::int64_t>>{{2}, {0, 2, 3}, {1, 4}}));
    EXPECT_EQ(first->offsets[2].item<std::int64_t>(), 4);
    const auto second = batcher.next();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(rows_of(*second), (std::vector<std::vector<std::int64_t>>{{5}}));
    EXPECT_FALSE(batcher.next().has_value());
    EXPECT_EQ(batcher.statistics().users, 4);
    EXPECT_EQ(batcher.statistics().entries, 7);
    EXPECT_EQ(batcher.statistics().batches, 2);
  }
}

TEST(UserRowBatcher, HostSparseRowsOfEveryRowKeepEmptyRows) {
  const ratings::UserItemMatrix m = matrix_of({{1, 4}, {}, {0}});
  const models::SparseRows x = host_sparse_rows(m, {}, false);
  EXPECT_EQ(x.num_rows, 3);
  EXPECT_EQ(rows_of(x), (std::vector<std::vector<std::int64_t>>{{1, 4}, {}, {0}}));
  EXPECT_EQ(x.offsets[1].item<std::int64_t>(), 2);
  EXPECT_EQ(x.offsets[2].item<std::int64_t>(), 2);
}

TEST(UserRowBatcher, ASampleOutOfRangeIsRefused) {
  const ratings::UserItemMatrix m = matrix_of({{1}});
  const std::vector<std::int64_t> sample_users = {0};
  UserRowBatcherOptions o;
  o.threads = 0;
  UserRowBatcher batcher(m, sample_users, {3}, o);
  EXPECT_THROW(batcher.next(), std::exception);
}

// On CUDA the rows come from page-locked memory with non-blocking copies: the same batch, on the
// device.
TEST(UserRowBatcher, DeliversToCudaWhenAvailable) {
  if (!at::hasCUDA()) GTEST_SKIP() << "no CUDA device";
  const ratings::UserItemMatrix m = matrix_of({{1, 4}, {}, {0, 2, 3}, {5}});
  const std::vector<std::int64_t> sample_users = {0, 2, 3};
  UserRowBatcherOptions o;
  o.batch_size = 2;
  o.device = at::Device(at::kCUDA, 0);
  UserRowBatcher batcher(m, sample_users, {2, 0, 1}, o);
  const auto first = batcher.next();
  ASSERT_TRUE(first.has_value());
  EXPECT_TRUE(first->items.is_cuda());
  EXPECT_TRUE(first->rows.is_cuda());
  EXPECT_EQ(rows_of(first->to(at::kCPU)), (std::vector<std::vector<std::int64_t>>{{5}, {1, 4}}));
}

}  // namespace
}  // namespace rsdist::loader
