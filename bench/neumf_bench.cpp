// NeuMF (or GMF / MLP) training and evaluation throughput on a ratings corpus, the way `rsdist
// train` runs them: the InteractionBatcher (one loader thread, fresh negatives), forward + BCE +
// backward, the bucketed gradient all-reduce (under mpirun), Adam; then the paper's sampled
// protocol (1 + N candidates) and full ranking (every item) on rank 0.
//
//   [mpirun -np 2] build/bench/neumf_bench --corpus DIR [--model neumf --batch 256 --steps 2000
//       --warmup 50 --threads 1 --eval_users 0 --json bench/neumf_bench.json]
//
// Step time is measured twice: "compute" (forward, backward, the trainer's fused Adam on this rank, no reducer) and
// "ddp" (the same with the reducer, overlapped with backward: what the trainer does). Under more
// than one rank, all-reduce share = (ddp - compute) / ddp; the reducer all-reduces every
// parameter's gradient densely each step (the embedding tables included), whose size is printed.
// Rank 0 prints a table and writes JSON; bench/neumf_bench.sh runs this next to the plain-PyTorch
// peer (bench/neumf_pytorch_peer.py) and reports the ratio.
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/binary_cross_entropy_with_logits.h>
#include <ATen/ops/tensor.h>
#include <fmt/format.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "bench_support.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "core/rng.hpp"
#include "core/staging.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "ddp/mpi_session.hpp"
#include "ddp/reducer.hpp"
#include "ddp/runtime.hpp"
#include "eval/ranking.hpp"
#include "loader/ratings/interaction_batcher.hpp"
#include "loader/ratings/ratings_eval_split.hpp"
#include "models/neumf_model.hpp"
#include "train/fused_adam.hpp"
#include "train/ranking_evaluation.hpp"

namespace {
using namespace rsdist;
using bench::Clock;
using bench::median;
using bench::ms_since;

OptionSchema bench_schema() {
  OptionSchema s("neumf_bench");
  s.add_string("corpus", std::nullopt, "ratings corpus ('rsdist preprocess ratings')")
      .required()
      .add_string("model", "neumf", "gmf, mlp or neumf")
      .choices({"gmf", "mlp", "neumf"})
      .add_int("factors", 8, "GMF factors")
      .at_least(1)
      .add_string("layers", "64,32,16,8", "MLP widths")
      .add_int("negatives", 4, "negatives per positive")
      .at_least(1)
      .add_int("batch", 256, "instances per rank per step")
      .at_least(1)
      .add_int("steps", 2000, "timed steps per mode")
      .at_least(1)
      .add_int("warmup", 50, "untimed steps per mode")
      .at_least(0)
      .add_int("threads", 1, "intra-op threads (at::set_num_threads)")
      .at_least(1)
      .add_int("eval_users", 0, "users timed per evaluation protocol (0: all of test)")
      .at_least(0)
      .add_int("eval_batch", 1024, "users scored per evaluation step")
      .at_least(1)
      .add_string("backend", "auto", "auto|mpi|local")
      .add_string("json", "bench/neumf_bench.json", "JSON output (rank 0)");
  return s;
}

int run(const Config& c) {
  ddp::RuntimeOptions options;
  options.backend = c.get_string("backend");
  auto runtime = ddp::Runtime::start(options);
  at::set_num_threads(static_cast<int>(c.get_int("threads")));
  const int rank = runtime->rank(), world = runtime->world_size();
  const at::Device device = runtime->device();
  const ratings::RatingsCorpus corpus = ratings::read_ratings_corpus(c.get_string("corpus"));
  models::NeuMfOptions o;
  o.kind = models::neumf_kind(c.get_string("model"));
  o.num_users = corpus.num_users();
  o.num_items = corpus.num_items();
  o.factors = c.get_int("factors");
  o.layers = c.get_int_list("layers", 1);
  models::NeuMfModel model(o);
  model->to(device);
  std::vector<at::Tensor> params = model->parameters();
  std::int64_t parameter_count = 0;
  for (const auto& p : params) parameter_count += p.numel();
  train::FusedAdam adam(params, torch::optim::AdamOptions(1e-3));  // the trainer's Adam
  const loader::TrainingInteractions instances(corpus.parts.at("train"), corpus.num_items(),
                                               c.get_int("negatives"), 1);
  // This rank's share of a shuffled epoch, as the distributed sampler gives it.
  const std::vector<std::int64_t> mine = bench::rank_share_of_shuffled(instances.size(), rank, world, 7);
  const std::int64_t batch = c.get_int("batch");
  const std::int64_t total = c.get_int("warmup") + c.get_int("steps");

  const auto time_mode = [&](bool with_reducer, std::int64_t epoch) {
    std::unique_ptr<ddp::Reducer> reducer;
    if (with_reducer) reducer = std::make_unique<ddp::Reducer>(params, runtime->comm(), ddp::ReducerOptions{});
    loader::InteractionBatcherOptions bo;
    bo.batch_size = batch;
    bo.epoch = epoch;
    bo.threads = 1;
    bo.device = device;
    std::vector<std::int64_t> ids(mine.begin(), mine.begin() + std::min<std::int64_t>(
                                                                  static_cast<std::int64_t>(mine.size()),
                                                                  total * batch));
    loader::InteractionBatcher batcher(instances, std::move(ids), bo);
    std::vector<double> times;
    runtime->comm().barrier();
    std::int64_t timed_samples = 0;
    auto timed_start = Clock::now();
    for (std::int64_t s = 0; s < total; ++s) {
      if (s == c.get_int("warmup")) timed_start = Clock::now();
      const auto start = Clock::now();
      std::optional<models::InteractionBatch> b = batcher.next();
      if (!b) break;
      if (reducer) reducer->prepare_for_backward();
      at::binary_cross_entropy_with_logits(model->forward(b->users, b->items), b->targets).backward();
      if (reducer) reducer->finalize_backward();
      adam.step();
      adam.zero_grad();
      if (s >= c.get_int("warmup")) {
        times.push_back(ms_since(start));
        timed_samples += b->size();
      }
    }
    const double seconds = ms_since(timed_start) / 1000.0;
    return std::make_pair(median(times), static_cast<double>(timed_samples) / seconds);
  };
  const auto [compute_ms, compute_rate] = time_mode(false, 0);
  const auto [ddp_ms, ddp_rate] = time_mode(true, 1);

  nlohmann::ordered_json out;
  out["corpus"] = c.get_string("corpus");
  out["model"] = c.get_string("model");
  out["users"] = corpus.num_users();
  out["items"] = corpus.num_items();
  out["train_positives"] = instances.positives();
  out["parameters"] = parameter_count;
  out["allreduce_mb_per_step"] = static_cast<double>(parameter_count) * 4.0 / 1e6;
  out["batch"] = batch;
  out["threads"] = c.get_int("threads");
  out["world_size"] = world;
  out["backend"] = runtime->backend();
  out["compute_step_ms_median"] = compute_ms;
  out["compute_samples_per_second"] = compute_rate;
  out["ddp_step_ms_median"] = ddp_ms;
  out["ddp_samples_per_second_per_rank"] = ddp_rate;
  out["allreduce_share"] = world > 1 ? std::max(0.0, (ddp_ms - compute_ms) / ddp_ms) : 0.0;

  if (rank == 0) {
    const at::NoGradGuard no_grad;
    model->eval();
    const loader::RatingsEvalSplit split(corpus, /*test=*/true);
    const std::int64_t users = c.get_int("eval_users") > 0 ? std::min(c.get_int("eval_users"), split.size())
                                                            : split.size();
    const std::int64_t chunk = c.get_int("eval_batch");
    eval::RankingMetrics sampled({10}), full({10});
    double sampled_ms = 0, full_ms = 0;
    for (std::int64_t first = 0; first < users; first += chunk) {
      std::vector<std::int64_t> examples;
      for (std::int64_t e = first; e < std::min(users, first + chunk); ++e) examples.push_back(e);
      const train::RankingChunk c{first / chunk, examples};
      const at::Tensor u = train::ratings_chunk_users(split, c, device);
      if (split.has_candidates()) {
        auto start = Clock::now();
        const at::Tensor items = train::ratings_chunk_candidates(split, c, device);
        eval::rank_sampled(
            model->forward(u.repeat_interleave(items.size(1)), items.view(-1)).view_as(items),
            sampled);
        sampled_ms += ms_since(start);
      }
      auto start = Clock::now();
      const ratings::UserItemMatrix known = split.known_items(examples), held = split.heldout_items(examples);
      eval::rank_full(model->score_all_items(u), {known.offsets, known.items}, {held.offsets, held.items}, full,
                      {false});
      full_ms += ms_since(start);
    }
    const auto s = sampled.result("sampled_"), f = full.result("");
    out["eval_users"] = users;
    out["sampled_users_per_second"] = split.has_candidates() ? static_cast<double>(users) / (sampled_ms / 1000.0) : 0.0;
    out["full_users_per_second"] = static_cast<double>(users) / (full_ms / 1000.0);
    out["sampled_hr10_untrained"] = s.count("sampled_hr10") ? s.at("sampled_hr10") : 0.0;
    out["full_hr10_untrained"] = f.count("hr10") ? f.at("hr10") : 0.0;

    std::cout << fmt::format("neumf_bench: {} on {} ({} users, {} items, {} positives), {} params "
                             "({:.2f} MB all-reduced per step), batch {}, {} thread(s), {} rank(s) ({})\n",
                             out["model"].get<std::string>(), out["corpus"].get<std::string>(), corpus.num_users(),
                             corpus.num_items(), instances.positives(), parameter_count,
                             out["allreduce_mb_per_step"].get<double>(), batch, c.get_int("threads"), world,
                             runtime->backend());
    std::cout << fmt::format("{:<34} {:>12}\n", "measure", "value");
    for (const char* key : {"compute_step_ms_median", "compute_samples_per_second", "ddp_step_ms_median",
                            "ddp_samples_per_second_per_rank", "allreduce_share", "sampled_users_per_second",
                            "full_users_per_second"}) {
      std::cout << fmt::format("{:<34} {:>12.3f}\n", key, out[key].get<double>());
    }
    write_file_atomically(c.get_string("json"), out.dump(2) + "\n");
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return rsdist::bench::main_of(argc, argv, bench_schema(), run,
                                []() -> int { rsdist::ddp::abort_job(1); });
}
