// The NCCL path on one GPU (world size 1): collectives on CUDA tensors, ordering against the
// compute stream, and the reducer on CUDA parameters. Skipped where no CUDA device is visible
// (CI); run on a GPU machine.
#include "ddp/nccl_communicator.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/full.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/randn.h>
#include <gtest/gtest.h>

#include "ddp/backends.hpp"
#include "ddp/in_process_communicator.hpp"
#include "ddp/reducer.hpp"

namespace rsdist::ddp {
namespace {

class NcclCommunicatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (cuda_device_count() == 0) GTEST_SKIP() << "no CUDA device visible";
    group_ = InProcessGroup::create(1);
    bootstrap_ = group_->communicator(0);
    comm_ = make_nccl_communicator(*bootstrap_, 0, std::chrono::seconds(60));
  }
  at::TensorOptions cuda() const { return at::TensorOptions().dtype(at::kFloat).device(at::kCUDA, 0); }

  std::shared_ptr<InProcessGroup> group_;
  std::unique_ptr<Communicator> bootstrap_;
  std::unique_ptr<Communicator> comm_;
};

TEST_F(NcclCommunicatorTest, CollectivesOnOneRank) {
  auto t = at::full({1000}, 3.0, cuda());
  comm_->all_reduce(t, ReduceOp::kAverage);
  EXPECT_FLOAT_EQ(t.sum().item<float>(), 3000.0f);
  auto b = at::arange(10, cuda());
  comm_->broadcast(b, 0);
  EXPECT_FLOAT_EQ(b[9].item<float>(), 9.0f);
  const auto g = comm_->all_gather(at::arange(4, cuda()));
  EXPECT_EQ(g.sizes(), (std::vector<int64_t>{1, 4}));
  const auto a = comm_->all_to_all(at::arange(6, cuda()).reshape({1, 6}));
  EXPECT_FLOAT_EQ(a[0][5].item<float>(), 5.0f);
  comm_->barrier();
}

TEST_F(NcclCommunicatorTest, AsyncWorkIsOrderedAfterProducerAndBeforeConsumer) {
  // A large tensor produced by a kernel on the compute stream, reduced on the NCCL stream, then
  // consumed on the compute stream: correct only if both event orderings hold.
  auto x = at::randn({4096, 1024}, cuda());
  auto y = x * 2;
  auto work = comm_->all_reduce_async(y, ReduceOp::kSum);
  work->wait();
  EXPECT_TRUE((y - x * 2).abs().max().item<float>() == 0.0f);
}

TEST_F(NcclCommunicatorTest, ReducerOnCudaParameters) {
  std::vector<at::Tensor> params = {at::randn({64, 32}, cuda()).requires_grad_(true),
                                    at::randn({32}, cuda()).requires_grad_(true)};
  ReducerOptions options;
  options.first_bucket_cap_bytes = 256;
  options.bucket_cap_bytes = 4096;
  Reducer reducer(params, *comm_, options);
  const auto x = at::randn({8, 64}, cuda());
  reducer.prepare_for_backward();
  (at::matmul(x, params[0]) + params[1]).pow(2).mean().backward();
  reducer.finalize_backward();
  // World size 1: the averaged gradient is the local one.
  auto p0 = params[0].detach().clone().requires_grad_(true);
  auto p1 = params[1].detach().clone().requires_grad_(true);
  (at::matmul(x, p0) + p1).pow(2).mean().backward();
  EXPECT_LT((params[0].grad() - p0.grad()).abs().max().item<float>(), 1e-6f);
  EXPECT_LT((params[1].grad() - p1.grad()).abs().max().item<float>(), 1e-6f);
}

}  // namespace
}  // namespace rsdist::ddp
