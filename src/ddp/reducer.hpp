// How gradients are reduced: bucketed, asynchronous all-reduce overlapped with backward.
//
// Note [Reducer protocol] (as PyTorch DDP's reducer, simplified):
//  * Construction assigns parameters to buckets (ddp/bucket_assignment.hpp), allocates one flat
//    buffer per bucket and registers a gradient hook on every parameter.
//  * prepare_for_backward() arms the hooks. During backward each hook copies its gradient into the
//    bucket's buffer; when a bucket is complete it is all-reduced (averaged) asynchronously, in
//    bucket order only (Note [Collective order]), so communication overlaps the rest of backward.
//  * finalize_backward() launches the buckets that are still incomplete, with zeros for the
//    parameters that got no gradient in this step (unused branches); all-reduces a "used" mask so
//    that a parameter unused on every rank keeps its gradient untouched (as if it were not
//    there) while one used anywhere gets the average; waits for the outstanding buckets; and
//    writes the averaged gradients to the parameters' .grad. The optimizer step then sees the
//    same gradients on every rank.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "ddp/bucket_assignment.hpp"
#include "ddp/communicator.hpp"

namespace rsdist::ddp {

struct ReducerOptions {
  std::size_t first_bucket_cap_bytes = std::size_t{1} << 20;
  std::size_t bucket_cap_bytes = std::size_t{25} << 20;
  // All-reduce a per-parameter "used" mask each step so that parameters unused on every rank keep
  // their .grad untouched. Costs one small collective (and, on CUDA, one small device-to-host
  // copy) per step; with false, unused parameters get a zero-averaged gradient instead.
  bool find_unused_parameters = true;
  // false: buckets are launched only in finalize_backward(), after backward (the baseline the
  // reducer benchmark compares against).
  bool overlap_with_backward = true;
};

struct ReducerStepStats {
  int buckets_launched_in_backward = 0;  // overlapped with computation
  int buckets_launched_in_finalize = 0;
};

class Reducer {
 public:
  Reducer(std::vector<at::Tensor> parameters, Communicator& comm, ReducerOptions options = {});
  ~Reducer();
  Reducer(const Reducer&) = delete;
  Reducer& operator=(const Reducer&) = delete;

  void prepare_for_backward();
  void finalize_backward();

  const std::vector<Bucket>& buckets() const { return buckets_; }
  ReducerStepStats last_step_stats() const { return stats_; }

 private:
  struct Slot {
    std::size_t bucket = 0;
    std::int64_t offset = 0;  // elements into the bucket buffer
    std::int64_t numel = 0;
  };
  struct BucketState {
    at::Tensor buffer;                       // flat, dtype/device of its parameters
    std::vector<bool> filled;                // per parameter of the bucket, this step
    std::size_t pending = 0;                 // parameters still without a gradient
    std::unique_ptr<Work> work;
  };

  void on_gradient(std::size_t parameter_index, const at::Tensor& grad);
  void launch_ready_buckets();  // mutex_ held
  void launch(std::size_t bucket_index);

  std::vector<at::Tensor> parameters_;
  Communicator& comm_;
  std::vector<Bucket> buckets_;
  std::vector<Slot> slots_;                 // per parameter
  std::vector<std::size_t> position_in_bucket_;
  std::vector<BucketState> state_;
  std::vector<unsigned> hook_handles_;
  std::vector<std::uint8_t> used_;          // per parameter: a gradient arrived this step
  bool find_unused_parameters_;
  bool overlap_with_backward_;
  std::mutex mutex_;
  bool armed_ = false;
  std::size_t next_bucket_ = 0;
  ReducerStepStats stats_;
};

}  // namespace rsdist::ddp
