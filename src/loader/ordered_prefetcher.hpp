// Items 0..count-1 produced by background threads and handed to one consumer in index order.
//
// The batchers' engine: `threads` workers claim the next index, produce it outside the
// lock and park it in a ring of `depth` slots; next() waits for the slot of the next index, so the
// consumer sees index order whichever worker finished first. At most `depth` items are claimed
// ahead of the consumer (claimed index < delivered + depth), which bounds memory and lets the ring
// hold every item in flight. An exception thrown by `produce` is delivered in its index's place
// (rethrown by next(), and by every later call); items before it are delivered normally. The
// destructor stops the workers: a worker waiting for room leaves at once, one in `produce`
// finishes that item and leaves, so destruction mid-epoch costs at most one item's time.
// threads == 0 produces each item synchronously inside next().
//
// Condition variables only, no sleeps or polling.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "core/error.hpp"

namespace rsdist::loader {

template <class T>
class OrderedPrefetcher {
 public:
  // produce(index, worker): worker is in [0, max(threads, 1)) and never runs two items at once,
  // so it can select per-worker scratch memory. Called concurrently for different workers.
  using Produce = std::function<T(std::int64_t index, int worker)>;

  OrderedPrefetcher(std::int64_t count, int threads, int depth, Produce produce)
      : count_(count), threads_(threads), depth_(depth), produce_(std::move(produce)) {
    RSDIST_CHECK(count >= 0, "item count must not be negative (got {})", count);
    RSDIST_CHECK(threads >= 0, "loader threads must not be negative (got {})", threads);
    RSDIST_CHECK(depth >= 1, "the prefetch depth must be at least 1 (got {})", depth);
    slots_.resize(static_cast<std::size_t>(depth));
    workers_.reserve(static_cast<std::size_t>(threads));
    for (int w = 0; w < threads; ++w) workers_.emplace_back([this, w] { work(w); });
  }

  OrderedPrefetcher(const OrderedPrefetcher&) = delete;
  OrderedPrefetcher& operator=(const OrderedPrefetcher&) = delete;

  ~OrderedPrefetcher() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    room_.notify_all();
    for (auto& worker : workers_) worker.join();
  }

  std::int64_t count() const { return count_; }

  // The next item in index order; nullopt after the last. Rethrows a failed item's exception.
  std::optional<T> next() {
    if (failure_) std::rethrow_exception(failure_);
    if (delivered_ >= count_) return std::nullopt;
    if (threads_ == 0) {
      const std::int64_t index = delivered_++;
      try {
        return produce_(index, 0);
      } catch (...) {
        failure_ = std::current_exception();
        throw;
      }
    }
    Slot slot;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      Slot& ready = slot_of(delivered_);
      ready_.wait(lock, [&] { return ready.filled; });
      slot = std::move(ready);
      ready = Slot{};
      ++delivered_;
      if (slot.error) {
        failure_ = slot.error;
        stop_ = true;  // nothing after a failed item is delivered: let the workers go
      }
    }
    room_.notify_all();
    if (failure_) std::rethrow_exception(failure_);
    return std::move(slot.value);
  }

 private:
  struct Slot {
    bool filled = false;
    std::optional<T> value;
    std::exception_ptr error;
  };

  Slot& slot_of(std::int64_t index) { return slots_[static_cast<std::size_t>(index % depth_)]; }

  void work(int worker) {
    for (;;) {
      std::int64_t index = 0;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        room_.wait(lock,
                   [&] { return stop_ || claimed_ >= count_ || claimed_ < delivered_ + depth_; });
        if (stop_ || claimed_ >= count_) return;
        index = claimed_++;
      }
      Slot produced;
      produced.filled = true;
      try {
        produced.value.emplace(produce_(index, worker));
      } catch (...) {
        produced.error = std::current_exception();
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        slot_of(index) = std::move(produced);
      }
      ready_.notify_one();  // one consumer
    }
  }

  const std::int64_t count_;
  const int threads_;
  const int depth_;
  const Produce produce_;

  std::mutex mutex_;
  std::condition_variable room_;   // workers: a claimable index, or stop
  std::condition_variable ready_;  // consumer: the next index's slot is filled
  std::vector<Slot> slots_;        // ring indexed by index % depth
  std::int64_t claimed_ = 0;       // next index a worker takes
  std::int64_t delivered_ = 0;     // next index next() returns (written by the consumer only)
  bool stop_ = false;
  std::exception_ptr failure_;  // consumer side: the failure already delivered

  std::vector<std::thread> workers_;  // last: started after, joined before, everything above
};

}  // namespace rsdist::loader
