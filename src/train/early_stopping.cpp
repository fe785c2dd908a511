#include "train/early_stopping.hpp"

namespace rsdist::train {
namespace {

bool improves(Direction direction, double candidate, double best) {
  return direction == Direction::kHigherIsBetter ? candidate > best : candidate < best;
}

}  // namespace

ddp::EpochDecision EarlyStopping::update(std::int64_t epoch, double metric) {
  ddp::EpochDecision d;
  if (!best_ || improves(direction_, metric, *best_)) {
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

}  // namespace rsdist::train
