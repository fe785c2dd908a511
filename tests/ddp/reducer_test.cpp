#include "ddp/reducer.hpp"

#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/ones.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/tanh.h>
#include <ATen/ops/zeros.h>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "ddp/thread_ranks.hpp"

namespace rsdist::ddp {
namespace {
using rsdist::testing::run_ranks;

// A two-layer MLP in plain ATen, float64 so that equality across world sizes is limited only by
// the order of additions.
struct TinyModel {
  std::vector<at::Tensor> params;  // w1 [4,8], b1 [8], w2 [8,1], b2 [1], branch [4,1], never_used [3]

  // Every replica starts from the same values. They are drawn once, on the test's thread: ATen's
  // default generator is process-wide, so ranks drawing concurrently would race.
  static const std::vector<at::Tensor>& initial_values() {
    static const std::vector<at::Tensor> values = [] {
      at::manual_seed(7);
      std::vector<at::Tensor> v;
      for (auto shape : std::vector<std::vector<int64_t>>{{4, 8}, {8}, {8, 1}, {1}, {4, 1}, {3}}) {
        v.push_back(at::randn(shape, at::kDouble) * 0.5);
      }
      return v;
    }();
    return values;
  }

  TinyModel() {
    for (const auto& v : initial_values()) params.push_back(v.clone().requires_grad_(true));
  }

  at::Tensor loss(const at::Tensor& x, const at::Tensor& y, bool use_branch) const {
    auto h = at::tanh(at::matmul(x, params[0]) + params[1]);
    auto out = at::matmul(h, params[2]) + params[3];
    if (use_branch) out = out + at::matmul(x, params[4]);
    return (out - y).pow(2).mean();
  }

  void sgd_step(double lr) const {
    at::NoGradGuard no_grad;
    for (const auto& p : params) {
      if (p.grad().defined()) {
        p.sub_(p.grad() * lr);
        p.mutable_grad().zero_();
      }
    }
  }
};

struct Data {
  at::Tensor x, y;
  Data() {
    static const std::pair<at::Tensor, at::Tensor> values = [] {
      at::manual_seed(11);
      return std::make_pair(at::randn({12, 4}, at::kDouble), at::randn({12, 1}, at::kDouble));
    }();
    x = values.first;
    y = values.second;
  }
};

// Trains `steps` SGD steps on the global batch, split contiguously over `world` ranks.
std::vector<at::Tensor> train(int world, int steps, ReducerOptions options, bool branch_on_rank0 = false) {
  std::vector<at::Tensor> final_params;
  std::mutex mutex;
  run_ranks(world, [&](int rank, Communicator& comm) {
    TinyModel model;
    Data data;
    Reducer reducer(model.params, comm, options);
    const int64_t per_rank = data.x.size(0) / world;
    const auto x = data.x.narrow(0, rank * per_rank, per_rank);
    const auto y = data.y.narrow(0, rank * per_rank, per_rank);
    for (int s = 0; s < steps; ++s) {
      reducer.prepare_for_backward();
      model.loss(x, y, branch_on_rank0 && rank == 0).backward();
      reducer.finalize_backward();
      model.sgd_step(0.1);
    }
    EXPECT_FALSE(model.params[5].grad().defined()) << "a parameter unused everywhere got a gradient";
    if (rank == 0) {
      std::lock_guard<std::mutex> lock(mutex);
      for (const auto& p : model.params) final_params.push_back(p.detach().clone());
    }
  });
  return final_params;
}

class ReducerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    TinyModel::initial_values();  // drawn here, before any rank thread starts
    Data();
  }
};

TEST_F(ReducerTest, SameParametersForAnyWorldSize) {
  ReducerOptions small_buckets;
  small_buckets.first_bucket_cap_bytes = 16;
  small_buckets.bucket_cap_bytes = 64;
  const auto reference = train(1, 5, small_buckets);
  for (int world : {2, 3, 4}) {
    const auto params = train(world, 5, small_buckets);
    ASSERT_EQ(params.size(), reference.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
      EXPECT_LT((params[i] - reference[i]).abs().max().item<double>(), 1e-6)
          << "world " << world << " parameter " << i;
    }
  }
}

TEST_F(ReducerTest, DefaultAndTinyBucketCapsAgree) {
  ReducerOptions tiny;
  tiny.first_bucket_cap_bytes = 1;  // smaller than any parameter: one bucket each
  tiny.bucket_cap_bytes = 1;
  const auto a = train(2, 3, ReducerOptions{});
  const auto b = train(2, 3, tiny);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_TRUE(a[i].equal(b[i])) << i;
}

TEST_F(ReducerTest, ParameterUsedOnOneRankGetsTheAverageAndNothingHangs) {
  ReducerOptions options;
  options.first_bucket_cap_bytes = 8;
  options.bucket_cap_bytes = 8;
  std::vector<at::Tensor> branch_grads(2);
  run_ranks(2, [&](int rank, Communicator& comm) {
    TinyModel model;
    Data data;
    Reducer reducer(model.params, comm, options);
    const auto x = data.x.narrow(0, rank * 6, 6);
    const auto y = data.y.narrow(0, rank * 6, 6);
    reducer.prepare_for_backward();
    model.loss(x, y, /*use_branch=*/rank == 0).backward();
    reducer.finalize_backward();
    branch_grads[static_cast<std::size_t>(rank)] = model.params[4].grad().clone();
    EXPECT_FALSE(model.params[5].grad().defined());
  });
  ASSERT_TRUE(branch_grads[0].defined());
  EXPECT_TRUE(branch_grads[0].equal(branch_grads[1]));
  // Rank 0's gradient averaged with rank 1's zero.
  TinyModel model;
  Data data;
  model.loss(data.x.narrow(0, 0, 6), data.y.narrow(0, 0, 6), true).backward();
  EXPECT_LT((branch_grads[0] - model.params[4].grad() / 2).abs().max().item<double>(), 1e-12);
}

TEST_F(ReducerTest, BucketsAreReducedDuringBackward) {
  ReducerOptions options;
  options.first_bucket_cap_bytes = 8;
  options.bucket_cap_bytes = 8;
  run_ranks(2, [&](int rank, Communicator& comm) {
    TinyModel model;
    Data data;
    Reducer reducer(model.params, comm, options);
    EXPECT_EQ(reducer.buckets().size(), model.params.size());
    reducer.prepare_for_backward();
    model.loss(data.x, data.y, false).backward();
    reducer.finalize_backward();
    const auto stats = reducer.last_step_stats();
    // Buckets are launched in order: everything before the first unused parameter's bucket
    // (branch and never_used are registered last, so reduced first) must wait for finalize.
    EXPECT_EQ(stats.buckets_launched_in_backward + stats.buckets_launched_in_finalize,
              static_cast<int>(model.params.size()));
    EXPECT_GE(stats.buckets_launched_in_finalize, 1);
  });
}

TEST_F(ReducerTest, MisuseIsReported) {
  run_ranks(1, [&](int, Communicator& comm) {
    TinyModel model;
    Reducer reducer(model.params, comm);
    EXPECT_THROW(reducer.finalize_backward(), Error);
    reducer.prepare_for_backward();
    EXPECT_THROW(reducer.prepare_for_backward(), Error);
  });
}

}  // namespace
}  // namespace rsdist::ddp
