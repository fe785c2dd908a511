#include "ddp/comm_worker.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "core/error.hpp"

namespace rsdist::ddp {
namespace {

TEST(CommWorker, RunsOperationsInSubmissionOrderAndRethrows) {
  CommWorker worker;
  std::vector<int> order;
  std::vector<std::unique_ptr<Work>> works;
  for (int i = 0; i < 5; ++i) works.push_back(worker.submit([&order, i] { order.push_back(i); }));
  auto failing = worker.submit([] { throw Error("collective failed", __FILE__, __LINE__); });
  for (auto& w : works) w->wait();
  EXPECT_EQ(order, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_THROW(failing->wait(), Error);
}

TEST(CommWorker, WatchdogReportsAStuckOperation) {
  std::promise<std::chrono::milliseconds> reported;
  std::promise<void> release;
  auto released = release.get_future().share();
  CommWorker worker(std::chrono::milliseconds(50), [&](std::chrono::milliseconds waited) {
    reported.set_value(waited);
    release.set_value();  // a real handler aborts the job; here it unblocks the operation
  });
  auto work = worker.submit([released] { released.wait(); });
  const auto waited = reported.get_future().get();
  EXPECT_GE(waited.count(), 50);
  work->wait();
}

TEST(CommWorker, FastOperationsDoNotTriggerTheWatchdog) {
  std::atomic<int> timeouts{0};
  {
    CommWorker worker(std::chrono::seconds(30), [&](std::chrono::milliseconds) { ++timeouts; });
    for (int i = 0; i < 100; ++i) worker.run([] {});
  }
  EXPECT_EQ(timeouts.load(), 0);
}

}  // namespace
}  // namespace rsdist::ddp
