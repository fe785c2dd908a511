#include "ddp/replica_sync.hpp"

#include <ATen/ops/full.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ddp/thread_ranks.hpp"

namespace rsdist::ddp {
namespace {
using rsdist::testing::run_ranks;

TEST(ReplicaSync, EveryRankEndsWithRankZerosValues) {
  run_ranks(3, [](int rank, Communicator& comm) {
    auto w = at::full({2, 3}, static_cast<double>(rank), at::kFloat).requires_grad_(true);
    auto b = at::full({3}, 10.0 + rank, at::kFloat);
    synchronize_replicas(comm, {{"w", w}, {"b", b}}, 42);
    EXPECT_TRUE(w.equal(at::full({2, 3}, 0.0, at::kFloat)));
    EXPECT_TRUE(b.equal(at::full({3}, 10.0, at::kFloat)));
  });
}

TEST(ReplicaSync, ShapeMismatchIsNamedOnTheDifferingRankAndStopsEveryRank) {
  std::vector<std::string> messages(3);
  std::mutex mutex;
  run_ranks(3, [&](int rank, Communicator& comm) {
    auto w = at::full({2, rank == 2 ? 4 : 3}, 1.0, at::kFloat);
    try {
      synchronize_replicas(comm, {{"encoder.w", w}}, 42);
      ADD_FAILURE() << "rank " << rank << " did not throw";
    } catch (const Error& e) {
      std::lock_guard<std::mutex> lock(mutex);
      messages[static_cast<std::size_t>(rank)] = e.message();
    }
  });
  EXPECT_EQ(messages[2], "replicas differ: rank 2 does not match rank 0: entry 0 is 'tensor encoder.w "
                         "Float [2, 4]' here but 'tensor encoder.w Float [2, 3]' on rank 0");
  EXPECT_EQ(messages[0], "replicas differ: rank(s) 2 do not match rank 0 in parameters or "
                         "configuration (their logs name the difference)");
}

TEST(ReplicaSync, ConfigurationMismatchIsDetected) {
  std::vector<std::string> messages(2);
  run_ranks(2, [&](int rank, Communicator& comm) {
    auto w = at::full({1}, 1.0, at::kFloat);
    try {
      synchronize_replicas(comm, {{"w", w}}, rank == 1 ? 7 : 8);
    } catch (const Error& e) {
      messages[static_cast<std::size_t>(rank)] = e.message();
    }
  });
  EXPECT_NE(messages[1].find("configuration hash 0000000000000007' here but 'configuration hash "
                             "0000000000000008' on rank 0"),
            std::string::npos)
      << messages[1];
}

TEST(ReplicaSync, SignatureAndHashAreStable) {
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(replica_signature({{"x", at::full({2}, 0.0, at::kLong)}}, 1),
            "tensor x Long [2]\nconfiguration hash 0000000000000001\n");
}

}  // namespace
}  // namespace rsdist::ddp
