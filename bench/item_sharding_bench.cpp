// The sharded item table (ddp/item_sharding.hpp) against the replicated one: per-rank memory of
// the table, its optimizer state and the logits, the step time and its communication share.
//
//   mpirun -np 4 build/bench/item_sharding_bench [--mode sharded|replicated --items 1000000
//       --dim 64 --batch 256 --seq_len 50 --chunk_rows 0 --steps 5 --rank_memory_gb 0
//       --json bench-item-sharding.json]
//
// One step is the part of a sequential recommender that touches the items: the rows of a batch of
// B windows of L items (popular items drawn more often: id = floor(V u^3)), mean-pooled, one dense
// layer (replicated, its gradient all-reduced), the full-softmax cross-entropy against every item,
// backward, Adam. `replicated` is plain data parallelism: the whole table on every rank, [B, V]
// logits, the table's gradient all-reduced. `sharded` holds 1/N of the rows per rank and their
// Adam state, and at most [chunk_rows, V/N] logits at a time (chunk_rows 0: B).
//
// Memory per rank: the tensors' own sizes (table, gradient, Adam's two moments, the largest logit
// block) and the growth of the resident set (peak RSS after the steps minus RSS before the table).
// --rank_memory_gb G caps each rank's address space at its size after start-up plus G GiB
// (setrlimit), as a device's memory caps it: a catalog that does not fit fails to allocate.
// Communication: wall time inside the communicator's calls and the bytes each call sends.
#include <ATen/ATen.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "bench_support.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "ddp/item_sharding.hpp"
#include "ddp/mpi_session.hpp"
#include "ddp/runtime.hpp"

namespace {
using namespace rsdist;

OptionSchema bench_schema() {
  OptionSchema s("item_sharding_bench");
  s.add_string("mode", "sharded", "sharded | replicated")
      .add_int("items", 1000000, "catalog size").at_least(1)
      .add_int("dim", 64, "embedding size").at_least(1)
      .add_int("batch", 256, "examples per rank and step").at_least(1)
      .add_int("seq_len", 50, "items per example's window").at_least(1)
      .add_int("chunk_rows", 0, "examples per logit block (sharded; 0: --batch)").at_least(0)
      .add_int("steps", 5, "timed steps").at_least(1)
      .add_int("warmup", 1, "untimed steps").at_least(0)
      .add_float("rank_memory_gb", 0, "cap on each rank's new memory, GiB (0: none)").at_least(0)
      .add_string("json", "bench-item-sharding.json", "JSON output (rank 0)");
  return s;
}

// Forwards every call, adding its wall time and the bytes it sends.
class TimedCommunicator final : public ddp::Communicator {
 public:
  explicit TimedCommunicator(ddp::Communicator& inner) : inner_(inner) {}
  double ms = 0.0;     // inside calls since reset()
  double bytes = 0.0;  // sent since reset()
  void reset() { ms = bytes = 0.0; }
  template <class F>
  auto timed(const at::Tensor& t, F&& f) {
    const auto start = bench::Clock::now();
    auto out = f();
    ms += bench::ms_since(start);
    bytes += static_cast<double>(t.numel() * t.element_size());
    return out;
  }
  int rank() const override { return inner_.rank(); }
  int world_size() const override { return inner_.world_size(); }
  std::string backend_name() const override { return inner_.backend_name(); }
  std::unique_ptr<ddp::Work> all_reduce_async(at::Tensor t, ddp::ReduceOp op) override {
    return timed(t, [&] {
      auto work = inner_.all_reduce_async(t, op);
      work->wait();
      return work;
    });
  }
  void broadcast(at::Tensor t, int root) override {
    timed(t, [&] { inner_.broadcast(t, root); return 0; });
  }
  at::Tensor all_gather(const at::Tensor& t) override {
    return timed(t, [&] { return inner_.all_gather(t); });
  }
  at::Tensor all_to_all(const at::Tensor& t) override {
    return timed(t, [&] { return inner_.all_to_all(t); });
  }
  void barrier() override { inner_.barrier(); }

 private:
  ddp::Communicator& inner_;
};

double rss_mb() {
  std::ifstream in("/proc/self/statm");
  long pages = 0, resident = 0;
  in >> pages >> resident;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) / 1048576.0;
}
double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}
void cap_address_space(double gib) {
  std::ifstream in("/proc/self/statm");
  long pages = 0;
  in >> pages;
  const double now = static_cast<double>(pages) * static_cast<double>(sysconf(_SC_PAGESIZE));
  const rlimit limit{static_cast<rlim_t>(now + gib * 1073741824.0),
                     static_cast<rlim_t>(now + gib * 1073741824.0)};
  setrlimit(RLIMIT_AS, &limit);
}

// Popular items more often: floor(V u^3).
at::Tensor skewed_items(std::int64_t items, at::IntArrayRef shape, at::Generator& g,
                        at::Device device) {
  return (at::rand(shape, g).pow(3) * static_cast<double>(items)).floor().clamp_max(items - 1)
      .to(at::kLong).to(device);
}

int run(const Config& c) {
  auto runtime = ddp::Runtime::start({});
  TimedCommunicator comm(runtime->comm());
  const int rank = runtime->rank(), world = runtime->world_size();
  const bool sharded = c.get_string("mode") == "sharded";
  RSDIST_CHECK(sharded || c.get_string("mode") == "replicated",
               "--mode must be sharded or replicated, got '{}'", c.get_string("mode"));
  const std::int64_t items = c.get_int("items"), dim = c.get_int("dim"),
                     batch = c.get_int("batch"), seq_len = c.get_int("seq_len");
  const std::int64_t chunk = c.get_int("chunk_rows") > 0 ? c.get_int("chunk_rows") : batch;
  const at::Device device = runtime->device();
  const auto f32 = at::TensorOptions().dtype(at::kFloat).device(device);
  const double rss_start = rss_mb();
  if (c.get_float("rank_memory_gb") > 0) cap_address_space(c.get_float("rank_memory_gb"));

  const ddp::ItemSharding sharding = ddp::item_sharding(comm, items);
  const std::int64_t rows = sharded ? sharding.local_rows() : items;
  std::string failure;
  double step_ms = 0, comm_ms = 0, comm_mb = 0, rss_peak = 0;
  try {
    // Rows initialised from (seed, global row) chunks would match the replicated table; for
    // memory and time any values do.
    at::Tensor table = (at::randn({rows, dim}, f32) * 0.05).requires_grad_(true);
    at::Tensor dense = (at::randn({dim, dim}, f32) * 0.1).requires_grad_(true);
    torch::optim::Adam adam({table, dense}, torch::optim::AdamOptions(1e-3));
    at::Generator g = at::detail::createCPUGenerator(1000 + static_cast<std::uint64_t>(rank));
    std::vector<double> steps, comms, sent;
    for (std::int64_t step = 0; step < c.get_int("warmup") + c.get_int("steps"); ++step) {
      const at::Tensor ids = skewed_items(items, {batch, seq_len}, g, device);
      const at::Tensor targets = skewed_items(items, {batch}, g, device);
      comm.barrier();
      comm.reset();
      const auto start = bench::Clock::now();
      at::Tensor loss;
      if (sharded) {
        const at::Tensor pooled = ddp::sharded_rows(comm, sharding, table, ids).mean(1);
        const at::Tensor hidden = at::tanh(at::matmul(pooled, dense));
        loss = ddp::vocab_parallel_cross_entropy(comm, sharding, hidden, table, targets, chunk);
      } else {
        const at::Tensor hidden = at::tanh(at::matmul(at::embedding(table, ids).mean(1), dense));
        loss = at::cross_entropy_loss(at::matmul(hidden, table.t()), targets);
      }
      loss.backward();
      if (world > 1) {
        comm.all_reduce(dense.mutable_grad(), ddp::ReduceOp::kAverage);
        if (!sharded) comm.all_reduce(table.mutable_grad(), ddp::ReduceOp::kAverage);
      }
      adam.step();
      adam.zero_grad();
      (void)loss.item<float>();
      if (step >= c.get_int("warmup")) {
        steps.push_back(bench::ms_since(start));
        comms.push_back(comm.ms);
        sent.push_back(comm.bytes / 1048576.0);
      }
    }
    step_ms = bench::median(steps);
    comm_ms = bench::median(comms);
    comm_mb = bench::median(sent);
    rss_peak = peak_rss_mb();
  } catch (const std::exception& e) {
    failure = e.what();
    failure = failure.substr(0, failure.find('\n'));
    std::ranges::replace(failure, '"', '\'');
  }
  // Every rank's outcome (a rank that could not allocate says so; the others then stop too).
  at::Tensor failed = at::full({1}, failure.empty() ? 0 : 1, at::kInt);
  runtime->comm().all_reduce(failed, ddp::ReduceOp::kMax);

  const double mb = 1.0 / 1048576.0;
  const double table_mb = static_cast<double>(rows * dim * 4) * mb;
  const double logits_mb =
      static_cast<double>((sharded ? std::min(chunk, batch * world) : batch) * rows * 4) * mb;
  if (rank == 0) {
    std::ostringstream line;
    if (failed.item<int>() == 0) {
      line << fmt::format(
          "{:<10} {:>2} {:>9} {:>9.1f} {:>9.1f} {:>9.1f} {:>9.1f} {:>10.1f} {:>9.1f} {:>6.1f}% {:>9.2f}",
          c.get_string("mode"), world, items, table_mb, 3 * table_mb, logits_mb,
          rss_peak - rss_start, step_ms, comm_ms, 100.0 * comm_ms / step_ms, comm_mb);
    } else {
      line << fmt::format("{:<10} {:>2} {:>9} cannot allocate: {}", c.get_string("mode"), world,
                          items, failure.empty() ? "on another rank" : failure);
    }
    std::cout << fmt::format("{:<10} {:>2} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10} {:>9} {:>7} {:>9}\n",
                             "mode", "np", "items", "table MB", "grad+Adam", "logits MB",
                             "RSS +MB", "step ms", "comm ms", "comm", "sent MB")
              << line.str() << "\n";
    std::ofstream(c.get_string("json")) << fmt::format(
        "{{\"mode\": \"{}\", \"world_size\": {}, \"backend\": \"{}\", \"device\": \"{}\", "
        "\"items\": {}, \"dim\": {}, \"batch_per_rank\": {}, \"seq_len\": {}, \"chunk_rows\": {}, "
        "\"allocated\": {}, \"error\": \"{}\", \"table_mb\": {:.2f}, \"grad_and_adam_mb\": {:.2f}, "
        "\"logits_mb\": {:.2f}, \"rss_growth_mb\": {:.2f}, \"step_ms\": {:.3f}, \"comm_ms\": {:.3f}, "
        "\"comm_share\": {:.4f}, \"sent_mb_per_step\": {:.3f}}}\n",
        c.get_string("mode"), world, runtime->backend(), device.str(), items, dim, batch, seq_len,
        chunk, failed.item<int>() == 0, failure, table_mb, 3 * table_mb, logits_mb,
        rss_peak - rss_start, step_ms, comm_ms, step_ms > 0 ? comm_ms / step_ms : 0.0, comm_mb);
  }
  return failed.item<int>() == 0 ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
  return rsdist::bench::main_of(argc, argv, bench_schema(), run,
                                []() -> int { rsdist::ddp::abort_job(1); });
}
