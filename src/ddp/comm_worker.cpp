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

CommWorker::~CommWorker() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

std::unique_ptr<Work> CommWorker::submit(std::function<void()> op) {
  std::packaged_task<void()> task(std::move(op));
  auto future = task.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    RSDIST_CHECK(!stopping_, "collective submitted to a communicator that is shutting down");
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
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
    }
    task();  // exceptions are stored in the task's future
  }
}

}  // namespace rsdist::ddp
