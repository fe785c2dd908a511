// Training progress on rank 0: a live bar (samples/s, loss, ETA) redrawn in place when stderr is a
// terminal, plain log lines about every `log_every` seconds otherwise (batch jobs, CI logs).
#pragma once

#include <spdlog/logger.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace rsdist::train {

class Progress {
 public:
  Progress(std::shared_ptr<spdlog::logger> log, bool enabled, bool terminal,
           double log_every_seconds = 30.0);
  void start_epoch(std::int64_t epoch, std::int64_t batches, std::int64_t first_batch);
  // After batch `batch` (0-based) of `samples` samples (all ranks) with mean loss `loss`.
  void step(std::int64_t batch, std::int64_t samples, double loss);
  void end_epoch();

 private:
  using Clock = std::chrono::steady_clock;
  std::string line(std::int64_t batch) const;
  std::shared_ptr<spdlog::logger> log_;
  bool enabled_, terminal_;
  double log_every_;
  std::int64_t epoch_ = 0, batches_ = 0, first_batch_ = 0, samples_ = 0;
  double loss_sum_ = 0;
  std::int64_t loss_count_ = 0;
  Clock::time_point start_, last_log_;
};

}  // namespace rsdist::train
