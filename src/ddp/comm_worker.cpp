#include "ddp/comm_worker.hpp"

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

class FutureWork final : public Work {
 public:
  explicit FutureWork(std::future<void> future) : future_(std::move(future)) {}
  void wait() override {
    if (future_.valid()) future_.get();  // rethrows the operation's exception
  }

 private:
  std::future<void> future_;
};

}  // namespace

CommWorker::CommWorker() : thread_([this] { loop(); }) {}

CommWorker::CommWorker(std::chrono::milliseconds timeout, TimeoutHandler on_timeout)
    : timeout_(timeout), on_timeout_(std::move(on_timeout)), thread_([this] { loop(); }) {
  if (timeout_.count() > 0 && on_timeout_) watchdog_ = std::thread([this] { watch(); });
}

CommWorker::~CommWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (watchdog_.joinable()) watchdog_.join();
}

void CommWorker::watch() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stopping_) {
    if (!busy_) {
      cv_.wait(lock, [this] { return stopping_ || busy_; });
      continue;
    }
    const std::uint64_t operation = operations_started_;
    const auto deadline = started_at_ + timeout_;
    const bool finished = cv_.wait_until(lock, deadline, [&] {
      return stopping_ || !busy_ || operations_started_ != operation;
    });
    if (!finished) {
      const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started_at_);
      lock.unlock();
      on_timeout_(waited);  // normally does not return (aborts the job)
      lock.lock();
      cv_.wait(lock, [&] { return stopping_ || operations_started_ != operation || !busy_; });
    }
  }
}

std::unique_ptr<Work> CommWorker::submit(std::function<void()> op) {
  std::packaged_task<void()> task(std::move(op));
  auto future = task.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    RSDIST_CHECK(!stopping_, "collective submitted to a communicator that is shutting down");
    queue_.push_back(std::move(task));
  }
  cv_.notify_all();  // the watchdog shares the condition variable
  return std::make_unique<FutureWork>(std::move(future));
}

void CommWorker::loop() {
  for (;;) {
    std::packaged_task<void()> task;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
      ++operations_started_;
      started_at_ = std::chrono::steady_clock::now();
    }
    cv_.notify_all();
    task();  // exceptions are stored in the task's future
    {
      std::lock_guard<std::mutex> lock(mutex_);
      busy_ = false;
    }
    cv_.notify_all();
  }
}

}  // namespace rsdist::ddp
