// A FIFO of collective operations executed by one background thread, in submission order.
//
// Gives CPU backends (MPI, in-process) asynchronous collectives that overlap with backward while
// keeping Note [Collective order]: one thread per communicator issues every operation, so MPI
// needs only MPI_THREAD_SERIALIZED and operations can never be reordered.
#pragma once

#include <condition_variable>
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
  CommWorker();
  ~CommWorker();  // drains nothing: pending operations fail with "communicator shut down"
  CommWorker(const CommWorker&) = delete;
  CommWorker& operator=(const CommWorker&) = delete;

  // Queues `op`; the returned Work's wait() blocks until it ran and rethrows its exception.
  std::unique_ptr<Work> submit(std::function<void()> op);

  // Queues `op` and waits for it.
  void run(std::function<void()> op) { submit(std::move(op))->wait(); }

 private:
  void loop();

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::packaged_task<void()>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace rsdist::ddp
