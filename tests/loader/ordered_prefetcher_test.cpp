// OrderedPrefetcher: index order whichever worker finishes first, at most `depth` items ahead of
// the consumer, a worker's exception delivered in its item's turn, prompt shutdown mid-way, and
// the synchronous threads == 0 mode. Items finish out of order by construction (a condition
// variable), never by sleeping.
#include "loader/ordered_prefetcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>

#include "core/error.hpp"

namespace rsdist::loader {
namespace {

TEST(OrderedPrefetcher, DeliversInIndexOrderWhenLaterItemsFinishFirst) {
  // Item 0 cannot finish before item 1 has: with two workers the completion order is 1, 0, ...
  std::mutex mutex;
  std::condition_variable cv;
  bool one_done = false;
  std::vector<std::int64_t> completion;
  OrderedPrefetcher<std::int64_t> prefetcher(20, 2, 3, [&](std::int64_t i, int) {
    std::unique_lock<std::mutex> lock(mutex);
    if (i == 0) cv.wait(lock, [&] { return one_done; });
    if (i == 1) one_done = true;
    completion.push_back(i);
    cv.notify_all();
    return i * 10;
  });
  std::vector<std::int64_t> delivered;
  while (auto item = prefetcher.next()) delivered.push_back(*item);
  ASSERT_EQ(delivered.size(), 20u);
  for (std::int64_t i = 0; i < 20; ++i) EXPECT_EQ(delivered[i], i * 10);
  EXPECT_EQ(completion[0], 1);  // item 1 finished first, yet item 0 was delivered first
  EXPECT_FALSE(prefetcher.next().has_value());  // stays at the end
}

TEST(OrderedPrefetcher, NeverRunsMoreThanDepthAheadOfTheConsumer) {
  std::atomic<std::int64_t> started{0};
  OrderedPrefetcher<int> prefetcher(200, 4, 3, [&](std::int64_t i, int) {
    ++started;
    return static_cast<int>(i);
  });
  for (std::int64_t i = 0; i < 200; ++i) {
    const auto item = prefetcher.next();
    ASSERT_TRUE(item.has_value());
    ASSERT_EQ(*item, i);
    // i + 1 delivered: items are claimed only while index < delivered + depth.
    ASSERT_LE(started.load(), i + 1 + 3);
  }
}

TEST(OrderedPrefetcher, AWorkersExceptionIsRethrownInItsTurn) {
  OrderedPrefetcher<int> prefetcher(10, 3, 4, [](std::int64_t i, int) {
    if (i == 5) RSDIST_THROW("item {} failed", i);
    return static_cast<int>(i);
  });
  for (int i = 0; i < 5; ++i) {
    const auto item = prefetcher.next();
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(*item, i);
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    try {
      prefetcher.next();
      FAIL() << "expected the worker's error";
    } catch (const Error& e) {
      EXPECT_EQ(e.message(), "item 5 failed");
    }
  }
}

TEST(OrderedPrefetcher, DestructionMidWayStopsTheWorkers) {
  std::atomic<std::int64_t> produced{0};
  {
    OrderedPrefetcher<int> prefetcher(1'000'000'000, 2, 2, [&](std::int64_t i, int) {
      ++produced;
      return static_cast<int>(i);
    });
    ASSERT_EQ(prefetcher.next().value(), 0);
    // Leaves while the workers wait for room (or are producing items 1 and 2).
  }
  EXPECT_LE(produced.load(), 3);
  EXPECT_GE(produced.load(), 1);
}

TEST(OrderedPrefetcher, DestructionLetsABusyWorkerFinishItsItemAndStartNoOther) {
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false, busy = false;
  std::atomic<std::int64_t> produced{0};
  std::thread releaser;
  {
    OrderedPrefetcher<int> prefetcher(1'000'000'000, 1, 1, [&](std::int64_t i, int) {
      if (i == 1) {
        std::unique_lock<std::mutex> lock(mutex);
        busy = true;
        cv.notify_all();
        cv.wait(lock, [&] { return release; });
      }
      ++produced;
      return static_cast<int>(i);
    });
    ASSERT_EQ(prefetcher.next().value(), 0);
    {
      std::unique_lock<std::mutex> lock(mutex);
      cv.wait(lock, [&] { return busy; });  // the worker is inside item 1
    }
    releaser = std::thread([&] {
      std::lock_guard<std::mutex> lock(mutex);
      release = true;
      cv.notify_all();
    });
  }
  releaser.join();
  EXPECT_EQ(produced.load(), 2);  // item 1 finished, nothing after it started
}

TEST(OrderedPrefetcher, ZeroThreadsProducesInsideNext) {
  std::int64_t produced = 0;
  OrderedPrefetcher<std::int64_t> prefetcher(3, 0, 1, [&](std::int64_t i, int worker) {
    EXPECT_EQ(worker, 0);
    ++produced;
    return i;
  });
  EXPECT_EQ(produced, 0);
  EXPECT_EQ(prefetcher.next().value(), 0);
  EXPECT_EQ(produced, 1);
  EXPECT_EQ(prefetcher.next().value(), 1);
  EXPECT_EQ(prefetcher.next().value(), 2);
  EXPECT_FALSE(prefetcher.next().has_value());
  EXPECT_EQ(produced, 3);
}

TEST(OrderedPrefetcher, RejectsBadArguments) {
  const auto produce = [](std::int64_t i, int) { return i; };
  EXPECT_THROW(OrderedPrefetcher<std::int64_t>(-1, 1, 1, produce), Error);
  EXPECT_THROW(OrderedPrefetcher<std::int64_t>(1, -1, 1, produce), Error);
  EXPECT_THROW(OrderedPrefetcher<std::int64_t>(1, 1, 0, produce), Error);
}

}  // namespace
}  // namespace rsdist::loader
