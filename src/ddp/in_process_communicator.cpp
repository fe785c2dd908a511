#include "ddp/in_process_communicator.hpp"

#include <ATen/ops/maximum.h>
#include <ATen/ops/stack.h>

#include "core/error.hpp"
#include "ddp/comm_worker.hpp"

namespace rsdist::ddp {
namespace {

class InProcessCommunicator final : public Communicator {
 public:
  InProcessCommunicator(std::shared_ptr<InProcessGroup> group, int rank)
      : group_(std::move(group)), rank_(rank) {}

  int rank() const override { return rank_; }
  int world_size() const override { return group_->world_size(); }
  std::string backend_name() const override { return "local"; }

  std::unique_ptr<Work> all_reduce_async(at::Tensor tensor, ReduceOp op) override {
    return worker_.submit([this, tensor, op]() mutable {
      at::Tensor result;
      group_->rendezvous(rank_, tensor, [&](const std::vector<at::Tensor>& inputs) {
        result = inputs[0].clone();
        for (std::size_t r = 1; r < inputs.size(); ++r) {
          if (op == ReduceOp::kMax) {
            result = at::maximum(result, inputs[r]);
          } else {
            result.add_(inputs[r]);
          }
        }
        if (op == ReduceOp::kAverage) result.div_(static_cast<double>(inputs.size()));
      });
      tensor.copy_(result);
    });
  }

  void broadcast(at::Tensor tensor, int root) override {
    RSDIST_CHECK(root >= 0 && root < world_size(), "broadcast root {} outside world of {}", root,
                 world_size());
    worker_.run([&] {
      at::Tensor result;
      group_->rendezvous(rank_, tensor, [&](const std::vector<at::Tensor>& inputs) {
        result = inputs[static_cast<std::size_t>(root)].clone();
      });
      tensor.copy_(result);
    });
  }

  at::Tensor all_gather(const at::Tensor& tensor) override {
    at::Tensor result;
    worker_.run([&] {
      group_->rendezvous(rank_, tensor, [&](const std::vector<at::Tensor>& inputs) {
        result = at::stack(inputs);
      });
    });
    return result;
  }

  at::Tensor all_to_all(const at::Tensor& blocks) override {
    RSDIST_CHECK(blocks.dim() >= 1 && blocks.size(0) == world_size(),
                 "all_to_all needs [world_size = {}, ...] blocks, got {} rows", world_size(),
                 blocks.dim() >= 1 ? blocks.size(0) : -1);
    at::Tensor result;
    worker_.run([&] {
      group_->rendezvous(rank_, blocks, [&](const std::vector<at::Tensor>& inputs) {
        std::vector<at::Tensor> mine;
        for (const auto& input : inputs) mine.push_back(input[rank_]);
        result = at::stack(mine);
      });
    });
    return result;
  }

  void barrier() override {
    worker_.run([&] { group_->rendezvous(rank_, at::Tensor(), [](const auto&) {}); });
  }

 private:
  std::shared_ptr<InProcessGroup> group_;
  int rank_;
  CommWorker worker_;  // last member: its thread stops before the rest is destroyed
};

}  // namespace

std::shared_ptr<InProcessGroup> InProcessGroup::create(int world_size,
                                                       std::chrono::milliseconds timeout) {
  RSDIST_CHECK(world_size >= 1, "world size must be >= 1, got {}", world_size);
  return std::shared_ptr<InProcessGroup>(new InProcessGroup(world_size, timeout));
}

InProcessGroup::InProcessGroup(int world_size, std::chrono::milliseconds timeout)
    : world_size_(world_size), timeout_(timeout), inputs_(static_cast<std::size_t>(world_size)) {}

std::unique_ptr<Communicator> InProcessGroup::communicator(int rank) {
  RSDIST_CHECK(rank >= 0 && rank < world_size_, "rank {} outside world of {}", rank, world_size_);
  return std::make_unique<InProcessCommunicator>(shared_from_this(), rank);
}

void InProcessGroup::abort(const std::string& reason) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (abort_reason_.empty()) abort_reason_ = reason;
  }
  cv_.notify_all();
}

void InProcessGroup::barrier(std::unique_lock<std::mutex>& lock) {
  RSDIST_CHECK(abort_reason_.empty(), "collective aborted: {}", abort_reason_);
  const long generation = generation_;
  if (++waiting_ == world_size_) {
    waiting_ = 0;
    ++generation_;
    cv_.notify_all();
    return;
  }
  const bool released = cv_.wait_for(lock, timeout_, [&] {
    return generation_ != generation || !abort_reason_.empty();
  });
  RSDIST_CHECK(abort_reason_.empty(), "collective aborted: {}", abort_reason_);
  if (!released) {
    // The group cannot recover from a partial barrier: fail every rank, now and later.
    abort_reason_ = fmt::format("a collective timed out after {} ms: not every rank joined",
                                timeout_.count());
    cv_.notify_all();
    RSDIST_THROW("{}", abort_reason_);
  }
}

void InProcessGroup::rendezvous(int rank, const at::Tensor& input,
                                const std::function<void(const std::vector<at::Tensor>&)>& compute) {
  std::unique_lock<std::mutex> lock(mutex_);
  inputs_[static_cast<std::size_t>(rank)] = input;
  barrier(lock);  // every input deposited
  lock.unlock();
  compute(inputs_);  // reads only; each rank writes its own result
  lock.lock();
  barrier(lock);  // every rank done reading: in-place writes may begin
  inputs_[static_cast<std::size_t>(rank)] = at::Tensor();
}

}  // namespace rsdist::ddp
