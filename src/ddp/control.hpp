// Decisions made on rank 0 and obeyed by every rank, so that all ranks leave the epoch loop
// together and agree on which checkpoint is the best.
#pragma once

#include <cstdint>

#include "ddp/communicator.hpp"

namespace rsdist::ddp {

struct EpochDecision {
  bool improved = false;  // this epoch's checkpoint becomes `best`
  bool stop = false;      // leave the epoch loop after this epoch
  double best_metric = 0.0;
  std::int64_t best_epoch = -1;
};

// Rank 0's `decision` on every rank (other ranks' argument is ignored).
EpochDecision broadcast_decision(Communicator& comm, const EpochDecision& decision,
                                 at::Device device);

// True on every rank if any rank's `local_request` is true (e.g. a SIGTERM seen by one rank).
bool any_rank(Communicator& comm, bool local_request, at::Device device);

}  // namespace rsdist::ddp
