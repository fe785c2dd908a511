// Collectives built from the Communicator's primitives for host values and uneven tensors: the
// metric sums of sharded evaluation, predictions gathered to every rank.
#pragma once

#include <span>
#include <vector>

#include "ddp/communicator.hpp"

namespace rsdist::ddp {

// Element-wise sums over all ranks of host values (metric sums of sharded evaluation), through a
// tensor on `device`; every rank gets the same result.
std::vector<double> all_reduce_sum(Communicator& comm, std::span<const double> local,
                                   at::Device device);

// For validation sharded across ranks: every rank contributes a 1-D tensor of its own length
// (scores, labels, impression ids of its shard); every rank gets the concatenation in rank order.
// Lengths travel first, then rows padded to the longest, so one collective fits every backend.
at::Tensor all_gather_concat(Communicator& comm, const at::Tensor& local);

}  // namespace rsdist::ddp
