#include "ddp/in_process_communicator.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/full.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/zeros.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ddp/thread_ranks.hpp"

namespace rsdist::ddp {
namespace {
using rsdist::testing::run_ranks;

TEST(InProcessCommunicator, AllReduceSumAverageMax) {
  run_ranks(4, [](int rank, Communicator& comm) {
    EXPECT_EQ(comm.world_size(), 4);
    EXPECT_EQ(comm.rank(), rank);
    auto t = at::full({3}, static_cast<double>(rank + 1), at::kFloat);
    comm.all_reduce(t, ReduceOp::kSum);
    EXPECT_FLOAT_EQ(t[2].item<float>(), 10.0f);
    auto a = at::full({2}, static_cast<double>(rank), at::kFloat);
    comm.all_reduce(a, ReduceOp::kAverage);
    EXPECT_FLOAT_EQ(a[0].item<float>(), 1.5f);
    auto m = at::full({1}, static_cast<double>(rank * 3 % 4), at::kFloat);
    comm.all_reduce(m, ReduceOp::kMax);
    EXPECT_FLOAT_EQ(m[0].item<float>(), 3.0f);
  });
}

TEST(InProcessCommunicator, AsyncOperationsCompleteInOrder) {
  run_ranks(3, [](int rank, Communicator& comm) {
    std::vector<at::Tensor> tensors;
    std::vector<std::unique_ptr<Work>> works;
    for (int k = 0; k < 5; ++k) {
      tensors.push_back(at::full({4}, static_cast<double>(k * 10 + rank), at::kFloat));
      works.push_back(comm.all_reduce_async(tensors.back(), ReduceOp::kSum));
    }
    for (auto& w : works) w->wait();
    for (int k = 0; k < 5; ++k) EXPECT_FLOAT_EQ(tensors[k][0].item<float>(), k * 30 + 3);
  });
}

TEST(InProcessCommunicator, BroadcastAllGatherBarrier) {
  run_ranks(3, [](int rank, Communicator& comm) {
    auto t = at::full({2, 2}, static_cast<double>(rank), at::kFloat);
    comm.broadcast(t, 2);
    EXPECT_FLOAT_EQ(t[1][1].item<float>(), 2.0f);
    const auto gathered = comm.all_gather(at::arange(2, at::kLong) + rank * 10);
    ASSERT_EQ(gathered.sizes(), (std::vector<int64_t>{3, 2}));
    EXPECT_EQ(gathered[2][1].item<int64_t>(), 21);
    comm.barrier();
  });
}

TEST(InProcessCommunicator, AllToAllSendsBlockSToRankS) {
  run_ranks(3, [](int rank, Communicator& comm) {
    // Rank r sends block s = [100 r + 10 s, 100 r + 10 s + 1] to rank s.
    const auto blocks = (at::arange(6, at::kLong).reshape({3, 2}) % 2) +
                        at::arange(3, at::kLong).unsqueeze(1) * 10 + rank * 100;
    const auto received = comm.all_to_all(blocks);
    ASSERT_EQ(received.sizes(), (std::vector<int64_t>{3, 2}));
    for (int s = 0; s < 3; ++s) {
      EXPECT_EQ(received[s][0].item<int64_t>(), 100 * s + 10 * rank);
      EXPECT_EQ(received[s][1].item<int64_t>(), 100 * s + 10 * rank + 1);
    }
    EXPECT_THROW(comm.all_to_all(at::zeros({2, 2}, at::kLong)), Error);
  });
}

TEST(InProcessCommunicator, AFailingRankEndsTheOthersInsteadOfHanging) {
  try {
    run_ranks(3, [](int rank, Communicator& comm) {
      if (rank == 1) throw Error("rank 1 broke", __FILE__, __LINE__);
      auto t = at::ones({1});
      comm.all_reduce(t, ReduceOp::kSum);  // ranks 0 and 2 wait here until the abort
    });
    FAIL() << "expected the failure to propagate";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("rank"), std::string::npos);
  }
}

TEST(InProcessCommunicator, MissingRankTimesOut) {
  auto group = InProcessGroup::create(2, std::chrono::milliseconds(200));
  auto comm = group->communicator(0);
  auto t = at::ones({1});
  try {
    comm->all_reduce(t, ReduceOp::kSum);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(e.message().find("timed out after 200 ms"), std::string::npos);
  }
}

}  // namespace
}  // namespace rsdist::ddp
