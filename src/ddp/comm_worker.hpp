// A FIFO of collective operations executed by one background thread, in submission order.
//
// Gives CPU backends (MPI, in-process) asynchronous collectives that overlap with backward while
// keeping Note [Collective order]: one thread per communicator issues every operation, so MPI
// needs only MPI_THREAD_SERIALIZED and operations can never be reordered.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>

#include "ddp/communicator.hpp"

namespace rsdist::ddp {

class CommWorker {
 public:
  using TimeoutHandler = std::function<void(std::chrono::milliseconds waited)>;

  // With a `timeout`, a watchdog thread calls `on_timeout` when one operation runs longer than that
  // (a peer died or hangs): the handler typically logs and aborts the job, since a blocked
  // collective cannot be cancelled.
  CommWorker();
  CommWorker(std::chrono::milliseconds timeout, TimeoutHandler on_timeout);
  ~CommWorker();  // drains nothing: pending operations fail with "communicator shut down"
  CommWorker(const CommWorker&) = delete;
  CommWorker& operator=(const CommWorker&) = delete;

  // Queues `op`; the returned Work's wait() blocks until it ran and rethrows its exception.
  std::unique_ptr<Work> submit(std::function<void()> op);

  // Queues `op` and waits for it.
  void run(std::function<void()> op) { submit(std::move(op))->wait(); }

 private:
  void loop();
  void watch();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> queue_;
  bool stopping_ = false;
  bool busy_ = false;
  std::uint64_t operations_started_ = 0;
  std::chrono::steady_clock::time_point started_at_;
  std::chrono::milliseconds timeout_{0};
  TimeoutHandler on_timeout_;
  std::thread thread_;
  std::thread watchdog_;
};

}  // namespace rsdist::ddp
