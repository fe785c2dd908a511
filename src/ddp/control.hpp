// Decisions made on rank 0 and obeyed by every rank, so that all ranks leave the epoch loop
// together and agree on which checkpoint is the best.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "ddp/communicator.hpp"

namespace rsdist::ddp {

struct EpochDecision {
  bool improved = false;  // this epoch's checkpoint becomes `best`
  bool stop = false;      // leave the epoch loop after this epoch
  double best_metric = 0.0;
  std::int64_t best_epoch = -1;
};

// Early stopping on a metric where higher is better (AUC, nDCG, ...). Pure; used on rank 0.
class EarlyStopping {
 public:
  explicit EarlyStopping(std::int64_t patience) : patience_(patience) {}

  EpochDecision update(std::int64_t epoch, double metric);

  // For resume: the state after earlier epochs.
  void restore(double best_metric, std::int64_t best_epoch,
               std::int64_t epochs_without_improvement);
  std::int64_t epochs_without_improvement() const { return bad_epochs_; }

 private:
  std::int64_t patience_;
  std::optional<double> best_;
  std::int64_t best_epoch_ = -1;
  std::int64_t bad_epochs_ = 0;
};

// Rank 0's `decision` on every rank (other ranks' argument is ignored).
EpochDecision broadcast_decision(Communicator& comm, const EpochDecision& decision,
                                 at::Device device);

// True on every rank if any rank's `local_request` is true (e.g. a SIGTERM seen by one rank).
bool any_rank(Communicator& comm, bool local_request, at::Device device);

// Element-wise sums over all ranks of host values (metric sums of sharded evaluation), through a
// tensor on `device`; every rank gets the same result.
std::vector<double> all_reduce_sum(Communicator& comm, std::span<const double> local,
                                   at::Device device);

// For validation sharded across ranks: every rank contributes a 1-D tensor of its own length
// (scores, labels, impression ids of its shard); every rank gets the concatenation in rank order.
// Lengths travel first, then rows padded to the longest, so one collective fits every backend.
at::Tensor all_gather_concat(Communicator& comm, const at::Tensor& local);

}  // namespace rsdist::ddp
