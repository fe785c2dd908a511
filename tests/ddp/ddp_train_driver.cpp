// A small data-parallel training job on the real runtime, for the mpirun tests
// (tests/ddp/mpirun_test.cpp): Runtime -> replica sync -> DistributedSampler -> Reducer -> SGD
// with momentum, a fixed number of epochs over deterministic data. Rank 0 writes the final
// parameters as exact hexadecimal doubles. Failure switches make one rank throw or SIGKILL itself.
//
//   mpirun -np 2 ddp_train_driver --out params.txt [--samples 96 --global_batch 12 --epochs 2]
//          [--throw_rank R --fail_step S] [--kill_rank R --fail_step S] [--tag T]
//          [--checkpoint_dir DIR [--resume]] [--signal_rank R --fail_step S]
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/full.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/tanh.h>
#include <ATen/ops/zeros.h>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "core/config.hpp"
#include "core/error.hpp"
#include "core/logging.hpp"
#include "core/rng.hpp"
#include "ddp/control.hpp"
#include "ddp/distributed_sampler.hpp"
#include "ddp/mpi_session.hpp"
#include "ddp/reducer.hpp"
#include "ddp/replica_sync.hpp"
#include "ddp/runtime.hpp"
#include "ddp/stop_signals.hpp"
#include "train/checkpoint.hpp"
#include "train/early_stopping.hpp"

namespace {
using namespace rsdist;

OptionSchema driver_schema() {
  OptionSchema s("ddp_train_driver");
  s.add_string("out", std::nullopt, "final parameters (rank 0)")
      .required()
      .add_int("samples", 96, "training samples")
      .at_least(1)
      .add_int("global_batch", 12, "samples per step over all ranks")
      .at_least(1)
      .add_int("epochs", 2, "epochs")
      .at_least(1)
      .add_int("seed", 3, "seed")
      .at_least(0)
      .add_string("backend", "auto", "backend")
      .add_int("throw_rank", -1, "rank that throws at --fail_step")
      .add_int("kill_rank", -1, "rank that SIGKILLs itself at --fail_step")
      .add_int("fail_step", 3, "global step of the failure")
      .add_int("mismatch_rank", -1, "rank whose hidden layer is one unit wider")
      .add_int("signal_rank", -1, "rank that sends itself SIGTERM at --fail_step")
      .add_string("checkpoint_dir", "", "write checkpoints here (rank 0)")
      .add_flag("resume", "continue from the newest checkpoint in --checkpoint_dir")
      .add_string("tag", "", "marker so a test can find its processes");
  return s;
}

// y = sin(sum x) + noise: learnable, deterministic per sample id.
std::pair<at::Tensor, at::Tensor> make_data(std::int64_t samples, std::uint64_t seed) {
  std::vector<double> x(static_cast<std::size_t>(samples * 4)),
      y(static_cast<std::size_t>(samples));
  for (std::int64_t i = 0; i < samples; ++i) {
    Rng rng = Rng::stream(seed, {static_cast<std::uint64_t>(i)});
    double s = 0;
    for (int j = 0; j < 4; ++j) s += (x[static_cast<std::size_t>(i * 4 + j)] = rng.normal());
    y[static_cast<std::size_t>(i)] = std::sin(s) + 0.1 * rng.normal();
  }
  auto xt = at::from_blob(x.data(), {samples, 4}, at::kDouble).clone();
  auto yt = at::from_blob(y.data(), {samples, 1}, at::kDouble).clone();
  return {xt, yt};
}

int run(const Config& config) {
  ddp::RuntimeOptions options;
  options.backend = config.get_string("backend");
  options.use_cuda = false;
  options.collective_timeout = std::chrono::seconds(60);
  auto runtime = ddp::Runtime::start(options);
  const int rank = runtime->rank();
  const int world = runtime->world_size();
  Loggers log = make_loggers(rank, world, spdlog::level::info);

  // Every rank initialises differently on purpose: replica sync must make them equal.
  std::vector<at::Tensor> params;
  Rng init = Rng::stream(100 + static_cast<std::uint64_t>(rank), {});
  const int64_t hidden = rank == config.get_int("mismatch_rank") ? 17 : 16;
  for (auto shape : std::vector<std::vector<int64_t>>{{4, hidden}, {hidden}, {hidden, 1}, {1}}) {
    at::Tensor p = at::zeros(shape, at::kDouble);
    double* d = p.data_ptr<double>();
    for (int64_t i = 0; i < p.numel(); ++i) d[i] = 0.5 * init.normal();
    params.push_back(p.requires_grad_(true));
  }
  std::vector<ddp::NamedTensor> named;
  for (std::size_t i = 0; i < params.size(); ++i)
    named.push_back({"p" + std::to_string(i), params[i]});
  ddp::synchronize_replicas(runtime->comm(), named, ddp::fnv1a64(config.to_ini(false)));

  const auto [x, y] = make_data(config.get_int("samples"), 7);
  const std::int64_t global_batch = config.get_int("global_batch");
  RSDIST_CHECK(global_batch % world == 0, "--global_batch {} is not divisible by {} ranks",
               global_batch, world);
  const std::int64_t local_batch = global_batch / world;
  ddp::SamplerOptions sampler_options;
  sampler_options.seed = static_cast<std::uint64_t>(config.get_int("seed"));
  ddp::DistributedSampler sampler({config.get_int("samples")}, rank, world, sampler_options);
  ddp::ReducerOptions reducer_options;
  reducer_options.first_bucket_cap_bytes = 64;
  reducer_options.bucket_cap_bytes = 256;
  ddp::Reducer reducer(params, runtime->comm(), reducer_options);
  std::vector<at::Tensor> momentum;
  for (const auto& p : params) momentum.push_back(at::zeros_like(p));

  const std::string checkpoint_dir = config.get_string("checkpoint_dir");
  std::int64_t step = 0, first_epoch = 0, first_batch = 0;
  train::EarlyStopping early_stopping(100, train::Direction::kLowerIsBetter);
  if (config.get_bool("resume") && !checkpoint_dir.empty()) {
    if (const auto path = train::find_resume_checkpoint(checkpoint_dir)) {
      const train::CheckpointState state = train::read_checkpoint(*path);
      at::NoGradGuard no_grad;
      for (std::size_t i = 0; i < params.size(); ++i) {
        params[i].copy_(state.model.at("p" + std::to_string(i)));
        momentum[i].copy_(state.optimizer.at("momentum.p" + std::to_string(i)).at(0));
      }
      first_epoch = state.sampler.epoch;
      first_batch = state.sampler.next_batch;
      step = state.global_step;
      if (state.int_metadata.count("best_epoch")) {
        early_stopping.restore(std::stod(state.string_metadata.at("best_metric")),
                               state.int_metadata.at("best_epoch"),
                               state.int_metadata.at("epochs_without_improvement"));
      }
      log.root->info("resumed from {} (epoch {}, batch {}, step {})", path->string(), first_epoch,
                     first_batch, step);
    }
  }
  auto snapshot = [&](std::int64_t epoch, std::int64_t next_batch) {
    train::CheckpointState state;
    for (std::size_t i = 0; i < params.size(); ++i) {
      state.model["p" + std::to_string(i)] = params[i].detach();
      state.optimizer["momentum.p" + std::to_string(i)] = {momentum[i]};
    }
    state.sampler = {epoch, next_batch};
    state.epoch = epoch;
    state.global_step = step;
    state.config_ini = config.to_ini(false);
    return state;
  };

  ddp::StopSignals stop_signals;
  for (std::int64_t epoch = first_epoch; epoch < config.get_int("epochs"); ++epoch) {
    const auto indices = sampler.epoch_indices(epoch);
    const std::int64_t batches = sampler.num_batches(local_batch, /*drop_last_batch=*/false);
    double loss_sum = 0;
    for (std::int64_t b = epoch == first_epoch ? first_batch : 0; b < batches; ++b, ++step) {
      if (step == config.get_int("fail_step")) {
        if (rank == config.get_int("throw_rank")) RSDIST_THROW("injected failure at step {}", step);
        if (rank == config.get_int("kill_rank")) std::raise(SIGKILL);
        if (rank == config.get_int("signal_rank")) std::raise(SIGTERM);
      }
      const auto begin = b * local_batch;
      const auto end =
          std::min<std::int64_t>(begin + local_batch, static_cast<std::int64_t>(indices.size()));
      std::vector<std::int64_t> rows(indices.begin() + begin, indices.begin() + end);
      const auto idx =
          at::from_blob(rows.data(), {static_cast<int64_t>(rows.size())}, at::kLong).clone();
      const auto xb = x.index_select(0, idx);
      const auto yb = y.index_select(0, idx);
      reducer.prepare_for_backward();
      auto h = at::tanh(at::matmul(xb, params[0]) + params[1]);
      auto loss = (at::matmul(h, params[2]) + params[3] - yb).pow(2).mean();
      loss.backward();
      reducer.finalize_backward();
      loss_sum += loss.item<double>();
      {
        at::NoGradGuard no_grad;
        for (std::size_t i = 0; i < params.size(); ++i) {
          momentum[i].mul_(0.9).add_(params[i].grad());
          params[i].sub_(momentum[i] * 0.05);
          params[i].mutable_grad().zero_();
        }
      }
      // Every rank must agree to stop at the same step, whichever rank got the signal.
      if (ddp::any_rank(runtime->comm(), stop_signals.requested(), runtime->device())) {
        ++step;
        if (rank == 0 && !checkpoint_dir.empty()) {
          train::write_checkpoint(checkpoint_dir, train::step_checkpoint_name(step),
                                  snapshot(epoch, b + 1));
        }
        runtime->comm().barrier();
        log.root->info("stopped by signal at step {}; checkpoint written", step);
        return ddp::kExitAfterSignal;
      }
    }
    // Rank 0 decides whether this epoch is the best so far; every rank learns it.
    at::Tensor mean_loss = at::full({1}, loss_sum / static_cast<double>(batches), at::kDouble);
    runtime->comm().all_reduce(mean_loss, ddp::ReduceOp::kAverage);
    ddp::EpochDecision decision;
    if (rank == 0) decision = early_stopping.update(epoch, mean_loss.item<double>());
    decision = ddp::broadcast_decision(runtime->comm(), decision, runtime->device());
    if (rank == 0 && !checkpoint_dir.empty()) {
      auto state = snapshot(epoch + 1, 0);
      state.int_metadata["best_epoch"] = decision.best_epoch;
      state.int_metadata["epochs_without_improvement"] =
          early_stopping.epochs_without_improvement();
      state.string_metadata["best_metric"] = fmt::format("{:a}", decision.best_metric);
      const auto name = train::checkpoint_name(epoch + 1);
      train::write_checkpoint(checkpoint_dir, name, state);
      if (decision.improved) train::promote_best(checkpoint_dir, name);
    }
    if (decision.stop) break;
  }
  if (rank == 0) {
    std::ofstream out(config.get_string("out"));
    for (const auto& p : params) {
      const at::Tensor c = p.detach().contiguous();
      for (int64_t i = 0; i < c.numel(); ++i) out << fmt::format("{:a}\n", c.data_ptr<double>()[i]);
    }
  }
  log.root->info("trained {} steps on {} ranks ({})", step, world, runtime->backend());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  try {
    return run(rsdist::resolve_config(driver_schema(), args));
  } catch (const std::exception& e) {
    // As rsdist's main: log once with the rank, then end the whole job.
    const char* rank = std::getenv("OMPI_COMM_WORLD_RANK");
    std::fprintf(stderr, "[rank %s] error: %s\n", rank ? rank : "0", e.what());
    std::fflush(stderr);
    rsdist::ddp::abort_job(1);
  }
}
