#include "ddp/control.hpp"

#include <ATen/ops/cat.h>
#include <ATen/ops/full.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include "core/error.hpp"

namespace rsdist::ddp {

EpochDecision EarlyStopping::update(std::int64_t epoch, double metric) {
  EpochDecision d;
  if (!best_ || metric > *best_) {
    best_ = metric;
    best_epoch_ = epoch;
    bad_epochs_ = 0;
    d.improved = true;
  } else {
    ++bad_epochs_;
  }
  d.stop = bad_epochs_ >= patience_;
  d.best_metric = *best_;
  d.best_epoch = best_epoch_;
  return d;
}

void EarlyStopping::restore(double best_metric, std::int64_t best_epoch,
                            std::int64_t epochs_without_improvement) {
  best_ = best_metric;
  best_epoch_ = best_epoch;
  bad_epochs_ = epochs_without_improvement;
}

EpochDecision broadcast_decision(Communicator& comm, const EpochDecision& decision,
                                 at::Device device) {
  // float64 carries the metric exactly and the flags and epoch (< 2^53) losslessly.
  at::Tensor packed = at::tensor({decision.improved ? 1.0 : 0.0, decision.stop ? 1.0 : 0.0,
                                  decision.best_metric, static_cast<double>(decision.best_epoch)},
                                 at::kDouble)
                          .to(device);
  comm.broadcast(packed, 0);
  const at::Tensor host = packed.cpu();
  const double* v = host.data_ptr<double>();
  return EpochDecision{v[0] != 0.0, v[1] != 0.0, v[2], static_cast<std::int64_t>(v[3])};
}

bool any_rank(Communicator& comm, bool local_request, at::Device device) {
  at::Tensor flag = at::full({1}, local_request ? 1.0 : 0.0,
                             at::TensorOptions().dtype(at::kFloat).device(device));
  comm.all_reduce(flag, ReduceOp::kMax);
  return flag.cpu().item<float>() > 0.0f;
}

std::vector<double> all_reduce_sum(Communicator& comm, std::span<const double> local,
                                   at::Device device) {
  at::Tensor sums = at::tensor(at::ArrayRef<double>(local.data(), local.size()),
                               at::TensorOptions().dtype(at::kDouble))
                        .to(device);
  comm.all_reduce(sums, ReduceOp::kSum);
  const at::Tensor host = sums.cpu().contiguous();
  return {host.data_ptr<double>(), host.data_ptr<double>() + host.numel()};
}

at::Tensor all_gather_concat(Communicator& comm, const at::Tensor& local) {
  RSDIST_CHECK(local.dim() == 1, "all_gather_concat takes 1-D tensors, got {} dimensions",
               local.dim());
  const auto small = at::TensorOptions().dtype(at::kLong).device(local.device());
  const at::Tensor lengths = comm.all_gather(at::full({1}, local.size(0), small)).cpu();
  std::int64_t longest = 0;
  for (int r = 0; r < comm.world_size(); ++r)
    longest = std::max(longest, lengths[r][0].item<std::int64_t>());
  at::Tensor padded = at::zeros({longest}, local.options());
  padded.narrow(0, 0, local.size(0)).copy_(local);
  const at::Tensor rows = comm.all_gather(padded);
  std::vector<at::Tensor> parts;
  for (int r = 0; r < comm.world_size(); ++r) {
    parts.push_back(rows[r].narrow(0, 0, lengths[r][0].item<std::int64_t>()));
  }
  return at::cat(parts);
}

}  // namespace rsdist::ddp
