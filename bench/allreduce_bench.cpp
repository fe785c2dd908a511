// All-reduce bandwidth per message size on the job's backend (NCCL on GPUs, MPI on CPUs).
//
//   mpirun -np 8 build/bench/allreduce_bench [--min_mb 1 --max_mb 256 --iterations 20
//                                             --json bench-allreduce.json]
//
// Prints, per size, the median time of one in-place sum all-reduce, the algorithm bandwidth
// (bytes / time) and the bus bandwidth (algorithm bandwidth * 2(n-1)/n, as nccl-tests reports),
// and writes the same as JSON on rank 0.
#include <ATen/ops/ones.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>

#include "bench_support.hpp"
#include "core/config.hpp"
#include "ddp/mpi_session.hpp"
#include "ddp/runtime.hpp"

namespace {
using namespace rsdist;

OptionSchema bench_schema() {
  OptionSchema s("allreduce_bench");
  s.add_float("min_mb", 1, "smallest message (MB)").at_least(0.001)
      .add_float("max_mb", 256, "largest message (MB)").at_least(0.001)
      .add_int("iterations", 20, "timed all-reduces per size").at_least(1)
      .add_int("warmup", 3, "untimed all-reduces per size").at_least(0)
      .add_string("backend", "auto", "auto|nccl|mpi|local")
      .add_string("json", "bench-allreduce.json", "JSON output (rank 0)");
  return s;
}

int run(const Config& c) {
  ddp::RuntimeOptions options;
  options.backend = c.get_string("backend");
  auto runtime = ddp::Runtime::start(options);
  auto& comm = runtime->comm();
  const double n = runtime->world_size();
  std::string json = "[";
  if (runtime->rank() == 0) {
    std::cout << fmt::format("all-reduce: {} ranks, backend {}, device {}\n", runtime->world_size(),
                             runtime->backend(), runtime->device().str());
    std::cout << fmt::format("{:>10} {:>12} {:>14} {:>14}\n", "MB", "median ms", "algbw GB/s", "busbw GB/s");
  }
  for (double mb = c.get_float("min_mb"); mb <= c.get_float("max_mb") * 1.0001; mb *= 2) {
    const auto elements = static_cast<int64_t>(mb * 1024 * 1024 / 4);
    at::Tensor t = at::ones({elements}, at::TensorOptions().dtype(at::kFloat).device(runtime->device()));
    std::vector<double> ms;
    for (int64_t i = 0; i < c.get_int("warmup") + c.get_int("iterations"); ++i) {
      comm.barrier();
      const auto start = std::chrono::steady_clock::now();
      comm.all_reduce(t, ddp::ReduceOp::kSum);
      (void)t[0].item<float>();  // host waits for the result on any device
      const double elapsed = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      if (i >= c.get_int("warmup")) ms.push_back(elapsed);
      t.fill_(1.0);
    }
    std::sort(ms.begin(), ms.end());
    const double median = ms[ms.size() / 2];
    const double algbw = (elements * 4.0) / (median / 1000.0) / 1e9;
    const double busbw = algbw * (n > 1 ? 2.0 * (n - 1) / n : 1.0);
    if (runtime->rank() == 0) {
      std::cout << fmt::format("{:>10.3f} {:>12.3f} {:>14.2f} {:>14.2f}\n", mb, median, algbw, busbw);
      json += fmt::format("{}{{\"mb\": {:.3f}, \"median_ms\": {:.4f}, \"algbw_gbps\": {:.3f}, \"busbw_gbps\": {:.3f}}}",
                          json.size() > 1 ? ", " : "", mb, median, algbw, busbw);
    }
  }
  if (runtime->rank() == 0) {
    std::ofstream(c.get_string("json")) << fmt::format(
        "{{\"world_size\": {}, \"backend\": \"{}\", \"device\": \"{}\", \"sizes\": {}]}}\n",
        runtime->world_size(), runtime->backend(), runtime->device().str(), json);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return rsdist::bench::main_of(argc, argv, bench_schema(), run,
                                []() -> int { rsdist::ddp::abort_job(1); });
}
