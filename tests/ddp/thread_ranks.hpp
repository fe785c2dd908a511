// Runs fn(rank, communicator) on `world_size` threads sharing an in-process group (as xgboost's
// TestDistributed). An exception on any rank aborts the group, so the others fail fast instead of
// waiting in a collective; the first exception is rethrown on the calling thread.
#pragma once

#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "ddp/in_process_communicator.hpp"

namespace rsdist::testing {

inline void run_ranks(int world_size, const std::function<void(int, ddp::Communicator&)>& fn,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  auto group = ddp::InProcessGroup::create(world_size, timeout);
  std::mutex mutex;
  std::exception_ptr first;
  std::vector<std::thread> threads;
  for (int r = 0; r < world_size; ++r) {
    threads.emplace_back([&, r] {
      try {
        auto comm = group->communicator(r);
        fn(r, *comm);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex);
        if (!first) first = std::current_exception();
        group->abort("rank " + std::to_string(r) + " failed");
      }
    });
  }
  for (auto& t : threads) t.join();
  if (first) std::rethrow_exception(first);
}

}  // namespace rsdist::testing
