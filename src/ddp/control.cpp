#include "ddp/control.hpp"

#include <ATen/ops/full.h>
#include <ATen/ops/tensor.h>

#include "core/error.hpp"

namespace rsdist::ddp {

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
  if (comm.world_size() == 1) return local_request;  // no collective (nor device sync) needed
  at::Tensor flag = at::full({1}, local_request ? 1.0 : 0.0,
                             at::TensorOptions().dtype(at::kFloat).device(device));
  comm.all_reduce(flag, ReduceOp::kMax);
  return flag.cpu().item<float>() > 0.0f;
}

}  // namespace rsdist::ddp
