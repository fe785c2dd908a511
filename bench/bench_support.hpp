// What the benchmarks share: main(), the median of timed steps, milliseconds since a time point, and one
// rank's share of a shuffled epoch (as the distributed sampler deals it: a seeded Fisher-Yates
// shuffle, then every world-th sample from the rank's own offset).
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <exception>
#include <iostream>
#include <string>
#include <numeric>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "core/rng.hpp"

namespace rsdist::bench {

// A benchmark's main(): `run` on the resolved command line; an error is printed, then `fail()`
// gives the exit code (1; a benchmark under mpirun ends the whole job there: ddp::abort_job).
template <class Run, class Fail>
int main_of(int argc, char** argv, const OptionSchema& schema, Run run, Fail fail) {
  try {
    return run(resolve_config(schema, std::vector<std::string>(argv + 1, argv + argc)));
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return fail();
  }
}
template <class Run>
int main_of(int argc, char** argv, const OptionSchema& schema, Run run) {
  return main_of(argc, argv, schema, run, [] { return 1; });
}

using Clock = std::chrono::steady_clock;

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[v.size() / 2];
}

inline double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Samples 0..n-1 shuffled by `seed`; rank's share: positions rank, rank + world, ...
inline std::vector<std::int64_t> rank_share_of_shuffled(std::int64_t n, int rank, int world,
                                                        std::uint64_t seed) {
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  Rng rng(seed);
  for (std::size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform_below(i)]);
  std::vector<std::int64_t> mine;
  for (std::size_t i = static_cast<std::size_t>(rank); i < order.size();
       i += static_cast<std::size_t>(world)) {
    mine.push_back(order[i]);
  }
  return mine;
}

}  // namespace rsdist::bench
