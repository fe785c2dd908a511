#include "ddp/collectives.hpp"

#include <ATen/ops/cat.h>
#include <ATen/ops/full.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>

#include <algorithm>

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

std::vector<std::int64_t> all_gather_counts(Communicator& comm, std::int64_t count,
                                            at::Device device) {
  const at::Tensor all =
      comm.all_gather(at::full({1}, count, at::TensorOptions().dtype(at::kLong).device(device)))
          .cpu()
          .contiguous();
  return {all.data_ptr<std::int64_t>(), all.data_ptr<std::int64_t>() + all.numel()};
}

at::Tensor all_gather_rows(Communicator& comm, const at::Tensor& local,
                           const std::vector<std::int64_t>& counts) {
  RSDIST_CHECK(local.dim() >= 1 && static_cast<int>(counts.size()) == comm.world_size(),
               "all_gather_rows: rows [n, ...] and one count per rank");
  std::vector<std::int64_t> shape = local.sizes().vec();
  shape[0] = std::max<std::int64_t>(1, *std::ranges::max_element(counts));
  at::Tensor padded = at::zeros(shape, local.options());
  padded.narrow(0, 0, local.size(0)).copy_(local);
  const at::Tensor rows = comm.all_gather(padded);
  std::vector<at::Tensor> parts;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    parts.push_back(rows[static_cast<std::int64_t>(r)].narrow(0, 0, counts[r]));
  }
  return at::cat(parts);
}

at::Tensor all_gather_concat(Communicator& comm, const at::Tensor& local) {
  RSDIST_CHECK(local.dim() == 1, "all_gather_concat takes 1-D tensors, got {} dimensions",
               local.dim());
  return all_gather_rows(comm, local, all_gather_counts(comm, local.size(0), local.device()));
}

}  // namespace rsdist::ddp
