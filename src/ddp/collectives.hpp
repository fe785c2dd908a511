// Collectives built from the Communicator's primitives for host values and uneven tensors: the
// metric sums of sharded evaluation, predictions gathered to every rank.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "ddp/communicator.hpp"

namespace rsdist::ddp {

// Element-wise sums over all ranks of host values (metric sums of sharded evaluation), through a
// tensor on `device`; every rank gets the same result.
std::vector<double> all_reduce_sum(Communicator& comm, std::span<const double> local,
                                   at::Device device);

// Every rank's `count` (one all-gather), on the host, in rank order.
std::vector<std::int64_t> all_gather_counts(Communicator& comm, std::int64_t count,
                                            at::Device device);

// Every rank's rows of `local` [n_r, ...] concatenated in rank order, `counts` the ranks' n_r
// (all_gather_counts): the rows padded to the longest, so one all-gather fits every backend.
at::Tensor all_gather_rows(Communicator& comm, const at::Tensor& local,
                           const std::vector<std::int64_t>& counts);

// For validation sharded across ranks: every rank contributes a 1-D tensor of its own length
// (scores, labels, impression ids of its shard); every rank gets the concatenation in rank order.
// Lengths travel first, then the padded rows (all_gather_rows).
at::Tensor all_gather_concat(Communicator& comm, const at::Tensor& local);

}  // namespace rsdist::ddp
