// Reducer benchmark: time per training step with bucketed all-reduce overlapped with backward
// versus the same buckets all-reduced after backward.
//
//   mpirun -np 2 build/bench/reducer_bench [--layers 8 --width 1024 --batch 64 --steps 20
//                                           --bucket_cap_mb 25 --json bench-reducer.json]
//
// Rank 0 prints a table (median and min step time, buckets launched during backward) and writes
// JSON. On CPU the "overlap" is between the MPI thread and autograd's compute on the other core.
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/relu.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>

#include "bench_support.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "ddp/mpi_session.hpp"
#include "ddp/reducer.hpp"
#include "ddp/runtime.hpp"

namespace {
using namespace rsdist;

OptionSchema bench_schema() {
  OptionSchema s("reducer_bench");
  s.add_int("layers", 8, "linear layers").at_least(1)
      .add_int("width", 1024, "layer width").at_least(1)
      .add_int("batch", 64, "samples per rank").at_least(1)
      .add_int("steps", 20, "timed steps per mode").at_least(1)
      .add_int("warmup", 3, "untimed steps per mode").at_least(0)
      .add_float("bucket_cap_mb", 25.0, "bucket cap").at_least(0.001)
      .add_float("first_bucket_mb", 1.0, "first bucket cap").at_least(0.001)
      .add_string("backend", "auto", "auto|mpi|local")
      .add_string("json", "bench-reducer.json", "JSON output (rank 0)");
  return s;
}

struct ModeResult {
  std::string mode;
  double median_ms = 0, min_ms = 0, backward_only_ms = 0;
  int buckets = 0, in_backward = 0;
};

using bench::median;

int run(const Config& c) {
  ddp::RuntimeOptions options;
  options.backend = c.get_string("backend");
  auto runtime = ddp::Runtime::start(options);
  at::manual_seed(1);
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(runtime->device());
  std::vector<at::Tensor> params;
  const auto width = c.get_int("width");
  for (int64_t l = 0; l < c.get_int("layers"); ++l) {
    params.push_back((at::randn({width, width}, opts) * (1.0 / std::sqrt(double(width)))).requires_grad_(true));
  }
  const auto x = at::randn({c.get_int("batch"), width}, opts);
  auto forward_backward = [&] {
    at::Tensor h = x;
    for (const auto& w : params) h = at::relu(at::matmul(h, w));
    h.pow(2).mean().backward();
  };

  std::vector<ModeResult> results;
  for (bool overlap : {true, false}) {
    ddp::ReducerOptions ro;
    ro.bucket_cap_bytes = static_cast<std::size_t>(c.get_float("bucket_cap_mb") * 1024 * 1024);
    ro.first_bucket_cap_bytes = static_cast<std::size_t>(c.get_float("first_bucket_mb") * 1024 * 1024);
    ro.overlap_with_backward = overlap;
    ddp::Reducer reducer(params, runtime->comm(), ro);
    std::vector<double> times;
    for (int64_t s = 0; s < c.get_int("warmup") + c.get_int("steps"); ++s) {
      runtime->comm().barrier();
      const auto start = std::chrono::steady_clock::now();
      reducer.prepare_for_backward();
      forward_backward();
      reducer.finalize_backward();
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (s >= c.get_int("warmup")) times.push_back(ms);
      for (auto& p : params) p.mutable_grad().zero_();
    }
    ModeResult r;
    r.mode = overlap ? "overlap" : "after-backward";
    r.median_ms = median(times);
    r.min_ms = *std::min_element(times.begin(), times.end());
    r.buckets = static_cast<int>(reducer.buckets().size());
    r.in_backward = reducer.last_step_stats().buckets_launched_in_backward;
    results.push_back(r);
  }
  // Compute alone (no communication) bounds what overlap can hide.
  std::vector<double> compute;
  for (int64_t s = 0; s < c.get_int("steps"); ++s) {
    const auto start = std::chrono::steady_clock::now();
    forward_backward();
    compute.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count());
    for (auto& p : params) p.mutable_grad().zero_();
  }
  const double compute_ms = median(compute);
  if (runtime->rank() == 0) {
    const double param_mb = double(c.get_int("layers") * width * width * 4) / (1024 * 1024);
    std::cout << fmt::format("reducer benchmark: {} ranks ({}), {} params of {}x{} ({:.1f} MB), batch {}\n",
                             runtime->world_size(), runtime->backend(), params.size(), width, width, param_mb,
                             c.get_int("batch"));
    std::cout << fmt::format("{:<16} {:>12} {:>10} {:>9} {:>18}\n", "mode", "median ms", "min ms", "buckets",
                             "in backward");
    for (const auto& r : results) {
      std::cout << fmt::format("{:<16} {:>12.2f} {:>10.2f} {:>9} {:>18}\n", r.mode, r.median_ms, r.min_ms,
                               r.buckets, r.in_backward);
    }
    const double comm_ms = results[1].median_ms - compute_ms;
    const double hidden = comm_ms > 0 ? (results[1].median_ms - results[0].median_ms) / comm_ms : 0.0;
    std::cout << fmt::format("{:<16} {:>12.2f}\ncommunication hidden by overlap: {:.0f}%\n", "compute only",
                             compute_ms, 100.0 * hidden);
    std::ofstream json(c.get_string("json"));
    json << fmt::format(
        "{{\"world_size\": {}, \"backend\": \"{}\", \"param_mb\": {:.3f}, \"batch\": {}, \"steps\": {}, "
        "\"compute_only_median_ms\": {:.4f}, \"overlap_median_ms\": {:.4f}, \"after_backward_median_ms\": {:.4f}, "
        "\"buckets\": {}, \"buckets_in_backward\": {}, \"hidden_fraction\": {:.4f}}}\n",
        runtime->world_size(), runtime->backend(), param_mb, c.get_int("batch"), c.get_int("steps"), compute_ms,
        results[0].median_ms, results[1].median_ms, results[0].buckets, results[0].in_backward, hidden);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return rsdist::bench::main_of(argc, argv, bench_schema(), run,
                                []() -> int { rsdist::ddp::abort_job(1); });
}
