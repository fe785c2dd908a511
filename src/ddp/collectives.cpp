#include "ddp/collectives.hpp"

#include <ATen/ops/cat.h>
#include <ATen/ops/full.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include "core/error.hpp"

namespace rsdist::ddp {

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
