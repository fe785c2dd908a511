#include "ddp/control.hpp"

#include <ATen/ops/full.h>
#include <ATen/ops/tensor.h>

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
  at::Tensor flag = at::full({1}, local_request ? 1.0 : 0.0, at::TensorOptions().dtype(at::kFloat).device(device));
  comm.all_reduce(flag, ReduceOp::kMax);
  return flag.cpu().item<float>() > 0.0f;
}

}  // namespace rsdist::ddp
