// Ranks as threads of one process: the communicator for tests of multi-rank logic.
//
// An InProcessGroup is shared by `world_size` threads; each takes communicator(rank). Reductions
// add the ranks' tensors in rank order, so every rank gets bit-identical results (as MPI
// implementations advise). A collective not joined by every rank within `timeout` fails on the
// ranks that joined, and abort() fails every waiting rank at once, so a test with a broken rank
// ends instead of hanging.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ddp/communicator.hpp"

namespace rsdist::ddp {

class InProcessGroup : public std::enable_shared_from_this<InProcessGroup> {
 public:
  static std::shared_ptr<InProcessGroup> create(int world_size,
                                                std::chrono::milliseconds timeout = std::chrono::minutes(5));

  std::unique_ptr<Communicator> communicator(int rank);
  int world_size() const { return world_size_; }

  // Makes every pending and future collective fail with `reason`.
  void abort(const std::string& reason);

  // One rendezvous: each rank deposits `input`, then all ranks run `compute(inputs)` for their own
  // result, wait until every rank has computed, and only then return (so that in-place writes
  // never race with other ranks' reads). Called from the ranks' worker threads.
  void rendezvous(int rank, const at::Tensor& input,
                  const std::function<void(const std::vector<at::Tensor>&)>& compute);

 private:
  InProcessGroup(int world_size, std::chrono::milliseconds timeout);
  void barrier(std::unique_lock<std::mutex>& lock);

  const int world_size_;
  const std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<at::Tensor> inputs_;
  int waiting_ = 0;       // ranks in the current barrier
  long generation_ = 0;   // completed barriers
  std::string abort_reason_;
};

}  // namespace rsdist::ddp
