// Mult-VAE training throughput on a ratings corpus, the way `rsdist train --model multvae` runs it:
// the UserRowBatcher (one loader thread, sparse rows), the step's noise from a seeded generator,
// forward (the sparse first layer) + multinomial loss + KL + backward, the bucketed gradient
// all-reduce (under mpirun), the trainer's fused Adam; then full-ranking scoring of test users on
// rank 0.
//
//   [mpirun -np 2] build/bench/multvae_bench --corpus DIR [--dims 600,200 --batch 500 --steps 40
//       --warmup 3 --threads 0 --eval_users 2000 --json bench/multvae_bench.json]
//
// Step time is measured twice: "compute" (no reducer) and "ddp" (the reducer overlapped with
// backward: what the trainer does). Under more than one rank, all-reduce share = (ddp - compute) /
// ddp; the reducer all-reduces every parameter's gradient (the two item layers dominate: 2 x I x
// 600 floats). Rank 0 prints a table and writes JSON; bench/multvae_bench.sh runs this next to the
// plain-PyTorch peer (bench/multvae_pytorch_peer.py) and reports the ratio.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <ATen/core/grad_mode.h>
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
#include "loader/ratings/ratings_eval_split.hpp"
#include "loader/ratings/user_row_batcher.hpp"
#include "models/multvae_model.hpp"
#include "train/fused_adam.hpp"
#include "train/ranking_evaluation.hpp"

namespace {
using namespace rsdist;
using bench::Clock;
using bench::median;
using bench::ms_since;

OptionSchema bench_schema() {
  OptionSchema s("multvae_bench");
  s.add_string("corpus", std::nullopt, "ratings corpus ('rsdist preprocess ratings')")
      .required()
      .add_string("dims", "600,200", "hidden widths, the latent size last")
      .add_string("input_order", "normalize_dropout", "normalize_dropout | dropout_normalize")
      .choices({"normalize_dropout", "dropout_normalize"})
      .add_int("batch", 500, "users per rank per step")
      .at_least(1)
      .add_int("steps", 40, "timed steps per mode")
      .at_least(1)
      .add_int("warmup", 3, "untimed steps per mode")
      .at_least(0)
      .add_int("threads", 0, "intra-op threads (0: LibTorch's default)")
      .at_least(0)
      .add_int("eval_users", 2000, "test users scored (0: all)")
      .at_least(0)
      .add_int("eval_batch", 1024, "users scored per evaluation step")
      .at_least(1)
      .add_string("backend", "auto", "auto|mpi|local")
      .add_string("json", "bench/multvae_bench.json", "JSON output (rank 0)");
  return s;
}

void synchronize(at::Device device, const at::Tensor& t) {
  if (device.is_cuda()) (void)t.sum().item<double>();
}

int run(const Config& c) {
  ddp::RuntimeOptions options;
  options.backend = c.get_string("backend");
  auto runtime = ddp::Runtime::start(options);
  if (c.get_int("threads") > 0) at::set_num_threads(static_cast<int>(c.get_int("threads")));
  const int rank = runtime->rank(), world = runtime->world_size();
  const at::Device device = runtime->device();
  const ratings::RatingsCorpus corpus = ratings::read_ratings_corpus(c.get_string("corpus"));
  const ratings::UserItemMatrix& train = corpus.parts.at("train");
  models::MultVaeOptions o;
  o.num_items = corpus.num_items();
  o.dims = c.get_int_list("dims", 1);
  o.order = models::input_order(c.get_string("input_order"));
  o.init_seed = 1;
  models::MultVaeModel model(o);
  model->to(device);
  std::vector<at::Tensor> params = model->parameters();
  std::int64_t parameter_count = 0;
  for (const auto& p : params) parameter_count += p.numel();
  train::FusedAdam adam(params, torch::optim::AdamOptions(1e-3));
  std::vector<std::int64_t> train_users;
  for (std::int64_t u = 0; u < train.num_users(); ++u) {
    if (train.size_of(u) > 0) train_users.push_back(u);
  }
  // This rank's share of a shuffled epoch, as the distributed sampler gives it.
  const std::vector<std::int64_t> mine = bench::rank_share_of_shuffled(static_cast<std::int64_t>(train_users.size()), rank, world, 7);
  const std::int64_t batch = c.get_int("batch");
  const std::int64_t warmup = c.get_int("warmup"), total = warmup + c.get_int("steps");
  at::Generator noise = at::globalContext().defaultGenerator(device).clone();

  const auto time_mode = [&](bool with_reducer) {
    std::unique_ptr<ddp::Reducer> reducer;
    if (with_reducer) reducer = std::make_unique<ddp::Reducer>(params, runtime->comm(), ddp::ReducerOptions{});
    loader::UserRowBatcherOptions bo;
    bo.batch_size = batch;
    bo.threads = 1;
    bo.device = device;
    std::vector<std::int64_t> ids;
    for (std::int64_t k = 0; k < total * batch; ++k) ids.push_back(mine[static_cast<std::size_t>(k) % mine.size()]);
    loader::UserRowBatcher batcher(train, train_users, std::move(ids), bo);
    std::vector<double> times;
    runtime->comm().barrier();
    std::int64_t timed_users = 0;
    auto timed_start = Clock::now();
    for (std::int64_t s = 0; s < total; ++s) {
      if (s == warmup) timed_start = Clock::now();
      const auto start = Clock::now();
      std::optional<models::SparseRows> rows = batcher.next();
      if (!rows) break;
      noise.set_current_seed(static_cast<std::uint64_t>(s));
      if (reducer) reducer->prepare_for_backward();
      const models::MultVaeLoss loss = models::multvae_loss(
          model->forward(*rows, model->draw_noise(*rows, noise)), *rows, 0.2);
      loss.loss.backward();
      if (reducer) reducer->finalize_backward();
      adam.step();
      adam.zero_grad();
      synchronize(device, params[0]);
      if (s >= warmup) {
        times.push_back(ms_since(start));
        timed_users += rows->num_rows;
      }
    }
    const double seconds = ms_since(timed_start) / 1000.0;
    return std::make_pair(median(times), static_cast<double>(timed_users) / seconds);
  };
  const auto [compute_ms, compute_rate] = time_mode(false);
  const auto [ddp_ms, ddp_rate] = time_mode(true);

  nlohmann::ordered_json out;
  out["corpus"] = c.get_string("corpus");
  out["users"] = corpus.num_users();
  out["train_users"] = static_cast<std::int64_t>(train_users.size());
  out["items"] = corpus.num_items();
  out["train_interactions"] = train.num_interactions();
  out["dims"] = c.get_string("dims");
  out["parameters"] = parameter_count;
  out["allreduce_mb_per_step"] = static_cast<double>(parameter_count) * 4.0 / 1e6;
  out["batch"] = batch;
  out["threads"] = at::get_num_threads();
  out["world_size"] = world;
  out["backend"] = runtime->backend();
  out["device"] = device.str();
  out["compute_step_ms_median"] = compute_ms;
  out["compute_users_per_second"] = compute_rate;
  out["ddp_step_ms_median"] = ddp_ms;
  out["ddp_users_per_second_per_rank"] = ddp_rate;
  out["allreduce_share"] = world > 1 ? std::max(0.0, (ddp_ms - compute_ms) / ddp_ms) : 0.0;

  if (rank == 0) {
    const at::NoGradGuard no_grad;
    model->eval();
    const loader::RatingsEvalSplit split(corpus, /*test=*/true);
    const std::int64_t users = c.get_int("eval_users") > 0 ? std::min(c.get_int("eval_users"), split.size())
                                                            : split.size();
    const std::int64_t chunk = c.get_int("eval_batch");
    eval::RankingMetrics full({20, 50, 100});
    const auto start = Clock::now();
    for (std::int64_t first = 0; first < users; first += chunk) {
      std::vector<std::int64_t> examples;
      for (std::int64_t e = first; e < std::min(users, first + chunk); ++e) examples.push_back(e);
      const train::RankingChunk ch{first / chunk, examples};
      const ratings::UserItemMatrix known = split.known_items(examples), held = split.heldout_items(examples);
      eval::rank_full(model->score(train::ratings_chunk_known_rows(split, ch, device)),
                      {known.offsets, known.items}, {held.offsets, held.items}, full, {false});
    }
    const double eval_ms = ms_since(start);
    out["eval_users"] = users;
    out["eval_users_per_second"] = static_cast<double>(users) / (eval_ms / 1000.0);

    std::cout << fmt::format("multvae_bench: {} ({} users, {} items, {} training interactions), dims "
                             "{}, {} params ({:.1f} MB all-reduced per step), batch {}, {} thread(s), "
                             "{} rank(s) ({}, {})\n",
                             out["corpus"].get<std::string>(), corpus.num_users(), corpus.num_items(),
                             train.num_interactions(), c.get_string("dims"), parameter_count,
                             out["allreduce_mb_per_step"].get<double>(), batch, at::get_num_threads(), world,
                             runtime->backend(), device.str());
    std::cout << fmt::format("{:<34} {:>12}\n", "measure", "value");
    for (const char* key : {"compute_step_ms_median", "compute_users_per_second", "ddp_step_ms_median",
                            "ddp_users_per_second_per_rank", "allreduce_share", "eval_users_per_second"}) {
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
