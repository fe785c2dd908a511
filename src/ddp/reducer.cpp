#include "ddp/reducer.hpp"

#include <ATen/ops/zeros.h>

#include "core/error.hpp"
#include "core/fault_injection.hpp"

namespace rsdist::ddp {
namespace {

std::string type_key(const at::Tensor& t) {
  return fmt::format("{}/{}", std::string(c10::toString(t.scalar_type())), t.device().str());
}

}  // namespace

Reducer::Reducer(std::vector<at::Tensor> parameters, Communicator& comm, ReducerOptions options)
    : parameters_(std::move(parameters)),
      comm_(comm),
      find_unused_parameters_(options.find_unused_parameters),
      overlap_with_backward_(options.overlap_with_backward) {
  std::vector<ParameterInfo> infos;
  for (const auto& p : parameters_) {
    RSDIST_CHECK(p.defined() && p.requires_grad(), "the reducer got a parameter without gradient");
    infos.push_back({static_cast<std::size_t>(p.numel()) * p.element_size(), type_key(p)});
  }
  buckets_ = compute_bucket_assignment(infos, options.first_bucket_cap_bytes,
                                       options.bucket_cap_bytes);
  slots_.resize(parameters_.size());
  position_in_bucket_.resize(parameters_.size());
  state_.resize(buckets_.size());
  for (std::size_t b = 0; b < buckets_.size(); ++b) {
    std::int64_t offset = 0;
    const auto& indices = buckets_[b].parameter_indices;
    for (std::size_t k = 0; k < indices.size(); ++k) {
      const auto& p = parameters_[indices[k]];
      slots_[indices[k]] = {b, offset, p.numel()};
      position_in_bucket_[indices[k]] = k;
      offset += p.numel();
    }
    const auto& first = parameters_[indices.front()];
    state_[b].buffer = at::zeros({offset}, first.options().requires_grad(false));
    state_[b].filled.assign(indices.size(), false);
  }
  used_.assign(parameters_.size(), 0);
  for (std::size_t i = 0; i < parameters_.size(); ++i) {
    hook_handles_.push_back(parameters_[i].register_hook(
        [this, i](const at::Tensor& grad) { on_gradient(i, grad); }));
  }
}

Reducer::~Reducer() {
  for (std::size_t i = 0; i < parameters_.size(); ++i) parameters_[i].remove_hook(hook_handles_[i]);
  for (auto& s : state_) {
    if (!s.work) continue;
    try {
      s.work->wait();  // never leave a collective writing into freed memory
    } catch (...) {
    }
  }
}

void Reducer::prepare_for_backward() {
  std::lock_guard<std::mutex> lock(mutex_);
  RSDIST_CHECK(!armed_, "prepare_for_backward() called twice without finalize_backward()");
  for (auto& s : state_) {
    RSDIST_CHECK(!s.work, "a bucket from the previous step was never waited for");
    s.pending = s.filled.size();
    std::fill(s.filled.begin(), s.filled.end(), false);
  }
  std::fill(used_.begin(), used_.end(), 0);
  next_bucket_ = 0;
  stats_ = {};
  armed_ = true;
}

void Reducer::on_gradient(std::size_t parameter_index, const at::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_) return;  // a backward the reducer was not asked to reduce
  const Slot& slot = slots_[parameter_index];
  BucketState& s = state_[slot.bucket];
  RSDIST_CHECK(slot.bucket >= next_bucket_,
               "gradient of parameter {} arrived after its bucket was reduced (was it used in two "
               "backward passes of one step?)",
               parameter_index);
  auto view = s.buffer.narrow(0, slot.offset, slot.numel);
  const std::size_t k = position_in_bucket_[parameter_index];
  if (s.filled[k]) {
    view.add_(grad.reshape({-1}));
  } else {
    view.copy_(grad.reshape({-1}));
    s.filled[k] = true;
    used_[parameter_index] = 1;
    --s.pending;
  }
  if (overlap_with_backward_) launch_ready_buckets();
}

void Reducer::launch(std::size_t bucket_index) {
  state_[bucket_index].work = comm_.all_reduce_async(state_[bucket_index].buffer, ReduceOp::kAverage);
  fault_point(FaultPoint::kAllReduce, comm_.rank());  // Note [Fault injection]
}

void Reducer::launch_ready_buckets() {
  while (next_bucket_ < state_.size() && state_[next_bucket_].pending == 0) {
    launch(next_bucket_++);
    ++stats_.buckets_launched_in_backward;
  }
}

void Reducer::finalize_backward() {
  std::lock_guard<std::mutex> lock(mutex_);
  RSDIST_CHECK(armed_, "finalize_backward() without prepare_for_backward()");
  armed_ = false;
  for (; next_bucket_ < state_.size(); ++next_bucket_) {
    BucketState& s = state_[next_bucket_];
    const auto& indices = buckets_[next_bucket_].parameter_indices;
    for (std::size_t k = 0; k < indices.size(); ++k) {
      if (!s.filled[k]) s.buffer.narrow(0, slots_[indices[k]].offset, slots_[indices[k]].numel).zero_();
    }
    launch(next_bucket_);
    ++stats_.buckets_launched_in_finalize;
  }
  std::vector<std::uint8_t> used(parameters_.size(), 1);
  if (find_unused_parameters_) {
    // Issued after every bucket on every rank (Note [Collective order]).
    const auto n = static_cast<std::int64_t>(parameters_.size());
    at::Tensor mask = at::zeros({n}, parameters_.front().options().dtype(at::kFloat).requires_grad(false));
    at::Tensor host = at::zeros({n}, at::kFloat);
    for (std::int64_t i = 0; i < n; ++i) host.data_ptr<float>()[i] = used_[static_cast<std::size_t>(i)];
    mask.copy_(host);
    comm_.all_reduce(mask, ReduceOp::kMax);
    host = mask.cpu();
    for (std::int64_t i = 0; i < n; ++i) used[static_cast<std::size_t>(i)] = host.data_ptr<float>()[i] > 0;
  }
  for (std::size_t b = 0; b < state_.size(); ++b) {
    state_[b].work->wait();
    state_[b].work.reset();
    for (std::size_t i : buckets_[b].parameter_indices) {
      if (!used[i]) continue;  // unused on every rank: leave .grad as it was
      auto& p = parameters_[i];
      const auto averaged = state_[b].buffer.narrow(0, slots_[i].offset, slots_[i].numel).view_as(p);
      if (p.grad().defined()) {
        p.mutable_grad().copy_(averaged);
      } else {
        p.mutable_grad() = averaged.clone();
      }
    }
  }
}

}  // namespace rsdist::ddp
