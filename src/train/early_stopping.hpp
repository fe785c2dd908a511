// Early stopping and the choice of `best`: training policy, decided on rank 0 and broadcast
// (ddp::broadcast_decision) so that every rank leaves the epoch loop together.
#pragma once

#include <cstdint>
#include <optional>

#include "ddp/control.hpp"
#include "train/model_family.hpp"

namespace rsdist::train {

// Pure. An epoch improves when its metric beats the best so far in the criterion's direction
// (strictly: a tie keeps the earlier epoch); `patience` epochs without improvement stop.
class EarlyStopping {
 public:
  EarlyStopping(std::int64_t patience, Direction direction)
      : patience_(patience), direction_(direction) {}

  ddp::EpochDecision update(std::int64_t epoch, double metric);

  // For resume: the state after earlier epochs.
  void restore(double best_metric, std::int64_t best_epoch,
               std::int64_t epochs_without_improvement);
  std::int64_t epochs_without_improvement() const { return bad_epochs_; }

 private:
  std::int64_t patience_;
  Direction direction_;
  std::optional<double> best_;
  std::int64_t best_epoch_ = -1;
  std::int64_t bad_epochs_ = 0;
};

}  // namespace rsdist::train
