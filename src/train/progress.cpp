#include "train/progress.hpp"

#include <fmt/format.h>

#include <cstdio>

#include "core/stopwatch.hpp"

namespace rsdist::train {

Progress::Progress(std::shared_ptr<spdlog::logger> log, bool enabled, bool terminal,
                   double log_every_seconds)
    : log_(std::move(log)), enabled_(enabled), terminal_(terminal), log_every_(log_every_seconds) {}

void Progress::start_epoch(std::int64_t epoch, std::int64_t batches, std::int64_t first_batch) {
  epoch_ = epoch;
  batches_ = batches;
  first_batch_ = first_batch;
  samples_ = 0;
  loss_sum_ = 0;
  loss_count_ = 0;
  start_ = last_log_ = Clock::now();
}

std::string Progress::line(std::int64_t batch) const {
  const double elapsed = seconds_since(start_);
  const std::int64_t done = batch + 1 - first_batch_;
  const double rate = elapsed > 0 ? static_cast<double>(samples_) / elapsed : 0.0;
  const double eta =
      done > 0 ? elapsed / static_cast<double>(done) * static_cast<double>(batches_ - batch - 1)
               : 0.0;
  return fmt::format("epoch {} batch {}/{} loss {:.4f} {:.0f} samples/s ETA {:.0f}s", epoch_ + 1,
                     batch + 1, batches_,
                     loss_count_ ? loss_sum_ / static_cast<double>(loss_count_) : 0.0, rate, eta);
}

void Progress::step(std::int64_t batch, std::int64_t samples, double loss) {
  if (!enabled_) return;
  samples_ += samples;
  loss_sum_ = loss;  // the latest loss read (the trainer reads it every few steps)
  loss_count_ = 1;
  const auto now = Clock::now();
  if (terminal_) {
    std::fprintf(stderr, "\r%s\033[K", line(batch).c_str());
    std::fflush(stderr);
  } else if (std::chrono::duration<double>(now - last_log_).count() >= log_every_) {
    last_log_ = now;
    log_->info("{}", line(batch));
  }
}

void Progress::end_epoch() {
  if (enabled_ && terminal_) std::fprintf(stderr, "\n");
}

}  // namespace rsdist::train
