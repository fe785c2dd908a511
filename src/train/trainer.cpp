#include "train/trainer.hpp"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/full.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/zeros.h>
#include <fmt/ranges.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <torch/nn/utils/clip_grad.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>

#include "core/error.hpp"
#include "core/staging.hpp"
#include "core/stopwatch.hpp"
#include "ddp/control.hpp"
#include "ddp/distributed_sampler.hpp"
#include "ddp/reducer.hpp"
#include "ddp/replica_sync.hpp"
#include "ddp/runtime.hpp"
#include "ddp/stop_signals.hpp"
#include "train/checkpoint.hpp"
#include "train/metrics_log.hpp"
#include "train/optimizer_state.hpp"
#include "train/progress.hpp"
#include "train/resume.hpp"
#include "train/task_registry.hpp"
#include "train/trained_model.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

std::vector<NamedParameter> trainable_parameters(torch::nn::Module& model) {
  std::vector<NamedParameter> out;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    if (item.value().requires_grad()) out.push_back({item.key(), item.value()});
  }
  return out;
}

std::map<std::string, at::Tensor> model_state(torch::nn::Module& model) {
  std::map<std::string, at::Tensor> state;
  for (const auto& item : model.named_parameters(true)) state[item.key()] = item.value().detach();
  for (const auto& item : model.named_buffers(true)) state[item.key()] = item.value().detach();
  return state;
}

std::string cpu_rng_state() {
  const at::Tensor s = at::detail::getDefaultCPUGenerator().get_state().contiguous();
  return std::string(reinterpret_cast<const char*>(s.data_ptr()),
                     static_cast<std::size_t>(s.numel()));
}

void set_cpu_rng_state(const std::string& bytes) {
  at::Tensor s = at::empty({static_cast<std::int64_t>(bytes.size())}, at::kByte);
  std::memcpy(s.data_ptr(), bytes.data(), bytes.size());
  at::Generator generator = at::detail::getDefaultCPUGenerator();  // a handle on the same state
  generator.set_state(s);
}

// Keeps the newest `keep` epoch checkpoints and whatever `best` points at; step checkpoints go
// once an epoch checkpoint is newer.
void prune_checkpoints(const fs::path& dir, std::int64_t keep) {
  std::vector<fs::path> epochs, steps;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("epoch-", 0) == 0) epochs.push_back(entry.path());
    if (name.rfind("step-", 0) == 0) steps.push_back(entry.path());
  }
  std::sort(epochs.begin(), epochs.end());
  const auto best = resolve_best(dir);
  for (std::size_t i = 0; i + static_cast<std::size_t>(keep) < epochs.size(); ++i) {
    if (best && fs::equivalent(*best, epochs[i])) continue;
    fs::remove_all(epochs[i]);
  }
  for (const auto& s : steps) fs::remove_all(s);
}

struct Run {
  const Config& config;
  ddp::Runtime& runtime;
  Loggers log;
  fs::path dir, checkpoints;
  std::unique_ptr<Task> task;
  std::vector<NamedParameter> parameters;
  std::unique_ptr<torch::optim::Adam> optimizer;
  ddp::EarlyStopping early_stopping;
  std::int64_t global_step = 0;
  nlohmann::ordered_json history = nlohmann::ordered_json::array();

  bool rank0() const { return runtime.rank() == 0; }

  CheckpointState snapshot(std::int64_t epoch, std::int64_t next_batch) {
    CheckpointState s;
    s.model = model_state(task->model());
    s.optimizer = adam_state_to_checkpoint(*optimizer, parameters);
    s.sampler = {epoch, next_batch};
    s.epoch = epoch;
    s.global_step = global_step;
    s.rng_states["cpu"] = cpu_rng_state();
    s.config_ini = config.to_ini(false);
    s.metrics_json = history.dump();
    s.int_metadata["epochs_without_improvement"] = early_stopping.epochs_without_improvement();
    return s;
  }
};

}  // namespace

int run_training(const Config& config, const Loggers& base_log) {
  ddp::RuntimeOptions runtime_options;
  runtime_options.backend = config.get_string("backend");
  runtime_options.collective_timeout = std::chrono::seconds(config.get_int("collective_timeout_s"));
  auto runtime = ddp::Runtime::start(runtime_options);
  const int rank = runtime->rank();
  const int world = runtime->world_size();
  const at::Device device = runtime->device();

  const fs::path dir = config.get_string("out");
  const fs::path checkpoints = dir / "checkpoints";
  const bool resume = config.get_bool("resume");
  std::vector<spdlog::sink_ptr> sinks = base_log.root->sinks();
  if (rank == 0) {
    RSDIST_CHECK(resume || !latest_checkpoint(checkpoints),
                 "--out {} already holds checkpoints: pass --resume to continue that run, or "
                 "choose another --out",
                 dir.string());
    fs::create_directories(dir);
    write_file_atomically(dir / "config.ini", config.to_ini(/*show_origins=*/true));
    sinks.push_back(
        std::make_shared<spdlog::sinks::basic_file_sink_mt>((dir / "train.log").string()));
  }
  Run run{config, *runtime,    make_loggers(rank, world, base_log.root->level(), sinks),
          dir,    checkpoints, nullptr,
          {},     nullptr,     ddp::EarlyStopping(config.get_int("early_stopping_patience"))};
  Loggers& log = run.log;
  log.root->info("train {} on {} rank(s), backend {}, device {}", config.get_string("model"), world,
                 runtime->backend(), device.str());

  // Dropout differs per rank (as in PyTorch DDP with per-process seeds); everything else is seeded
  // explicitly by (seed, epoch, sample).
  const auto seed = static_cast<std::uint64_t>(config.get_int("seed"));
  at::manual_seed(seed * 1000003u + static_cast<std::uint64_t>(rank));

  run.task = make_task(config.get_string("model"), TaskContext{config, device, rank, world});
  run.parameters = trainable_parameters(run.task->model());
  {
    std::vector<ddp::NamedTensor> named;
    for (const auto& p : run.parameters) named.push_back({p.name, p.tensor});
    ddp::synchronize_replicas(runtime->comm(), named, ddp::fnv1a64(config.to_ini(false)));
  }
  std::vector<at::Tensor> tensors;
  for (const auto& p : run.parameters) tensors.push_back(p.tensor);
  ddp::ReducerOptions reducer_options;
  reducer_options.bucket_cap_bytes =
      static_cast<std::size_t>(config.get_float("bucket_cap_mb") * 1e6);
  reducer_options.first_bucket_cap_bytes =
      static_cast<std::size_t>(config.get_float("first_bucket_mb") * 1e6);
  // Every parameter of NAML and GCL4SR is used every step (their model tests check it).
  reducer_options.find_unused_parameters = false;
  ddp::Reducer reducer(tensors, runtime->comm(), reducer_options);
  run.optimizer = std::make_unique<torch::optim::Adam>(
      tensors, torch::optim::AdamOptions(config.get_float("lr"))
                   .weight_decay(config.get_float("weight_decay")));

  ddp::SamplerOptions sampler_options;
  sampler_options.seed = seed;
  sampler_options.tail =
      config.get_string("drop_last") == "drop" ? ddp::TailPolicy::kDrop : ddp::TailPolicy::kPad;
  const ddp::DistributedSampler sampler(run.task->shard_sizes(), rank, world, sampler_options);
  const std::int64_t batch_size = config.get_int("batch_size");
  std::int64_t batches = sampler.num_batches(batch_size, /*drop_last_batch=*/false);
  if (const std::int64_t cap = config.get_int("max_steps_per_epoch"); cap > 0) {
    batches = std::min(batches, cap);
  }
  RSDIST_CHECK(batches > 0, "no training batches: {} samples per rank", sampler.samples_per_rank());

  const MetricsLog metrics(dir / "metrics.jsonl");
  std::int64_t first_epoch = 0, first_batch = 0;
  if (resume) {
    if (const auto path = find_resume_checkpoint(checkpoints)) {
      const CheckpointState state = read_checkpoint(*path);
      load_model_state(run.task->model(), state.model, *path);
      restore_adam_state(*run.optimizer, run.parameters, state.optimizer);
      first_epoch = state.sampler.epoch;
      first_batch = state.sampler.next_batch;
      run.global_step = state.global_step;
      if (const auto it = state.rng_states.find("cpu"); it != state.rng_states.end()) {
        set_cpu_rng_state(it->second);
      }
      run.history =
          nlohmann::ordered_json::parse(state.metrics_json.empty() ? "[]" : state.metrics_json);
      if (state.int_metadata.count("best_epoch")) {
        run.early_stopping.restore(std::stod(state.string_metadata.at("best_metric")),
                                   state.int_metadata.at("best_epoch"),
                                   state.int_metadata.at("epochs_without_improvement"));
      }
      if (rank == 0) metrics.truncate_after(state.epoch);
      log.root->info("resumed from {}: epoch {}, batch {}, step {}", path->string(),
                     first_epoch + 1, first_batch, run.global_step);
    } else {
      log.root->info("--resume: no checkpoint in {}, starting from scratch", checkpoints.string());
    }
  }

  const bool mixed = config.get_bool("mixed_precision") && device.is_cuda();
  if (config.get_bool("mixed_precision") && !device.is_cuda()) {
    log.root->warn("--mixed_precision applies on GPU only; training in float32 on {}",
                   device.str());
  }
  const double clip = config.get_float("grad_clip");
  std::string criterion = config.get_string("validation_metric");
  if (criterion == "auto") criterion = run.task->default_validation_metric();
  Progress progress(log.root, rank == 0, rank == 0 && ::isatty(STDERR_FILENO), 30.0);
  ddp::StopSignals stop_signals;

  for (std::int64_t epoch = first_epoch; epoch < config.get_int("epochs"); ++epoch) {
    const auto epoch_start = SteadyClock::now();
    const std::int64_t skip = epoch == first_epoch ? first_batch : 0;
    const double lr = config.get_float("lr") * run.task->learning_rate_factor(epoch);
    for (auto& group : run.optimizer->param_groups()) {
      static_cast<torch::optim::AdamOptions&>(group.options()).lr(lr);
    }
    run.task->begin_epoch(epoch, sampler.epoch_indices(epoch), batch_size, skip);
    progress.start_epoch(epoch, batches, skip);
    // The epoch's sums on the device, double: the loss, then its named parts (StepLoss::parts).
    at::Tensor loss_sums;
    std::vector<std::string> part_names;
    std::int64_t samples = 0;
    double shown_loss = 0;
    for (std::int64_t b = skip; b < batches; ++b) {
      if (mixed) {
        at::autocast::set_autocast_enabled(at::kCUDA, true);
        at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
      }
      std::optional<StepLoss> step = run.task->next_loss();
      if (mixed) {
        at::autocast::set_autocast_enabled(at::kCUDA, false);
        at::autocast::clear_cache();
      }
      RSDIST_CHECK(step.has_value(), "the loader ended at batch {} of {}", b, batches);
      reducer.prepare_for_backward();
      step->loss.backward();
      reducer.finalize_backward();
      if (clip > 0) torch::nn::utils::clip_grad_norm_(tensors, clip);
      run.optimizer->step();
      {
        at::NoGradGuard no_grad;
        for (auto& t : tensors) {
          if (t.grad().defined()) t.mutable_grad().zero_();
        }
      }
      ++run.global_step;
      {
        std::vector<at::Tensor> values{step->loss.detach().to(at::kDouble)};
        for (const auto& [name, value] : step->parts) {
          if (!loss_sums.defined()) part_names.push_back(name);
          values.push_back(value.to(at::kDouble));
        }
        const at::Tensor stacked = at::stack(values);
        loss_sums = loss_sums.defined() ? loss_sums + stacked : stacked;
      }
      samples += step->samples;
      if (rank == 0) {
        // Reading the loss synchronises with the device: only every 20th step.
        if ((b - skip) % 20 == 0 || b + 1 == batches)
          shown_loss = step->loss.detach().item<double>();
        progress.step(b, step->samples * world, shown_loss);
      }
      if (ddp::any_rank(runtime->comm(), stop_signals.requested(), device)) {
        if (rank == 0) {
          write_checkpoint(checkpoints, step_checkpoint_name(run.global_step),
                           run.snapshot(epoch, b + 1));
        }
        runtime->comm().barrier();
        log.root->info("stopped by a signal at step {}; checkpoint written, --resume continues",
                       run.global_step);
        return ddp::kExitAfterSignal;
      }
    }
    progress.end_epoch();
    const double train_seconds = seconds_since(epoch_start);
    if (!loss_sums.defined()) {  // resumed after the epoch's last step
      loss_sums = at::zeros({1}, at::TensorOptions().dtype(at::kDouble).device(device));
    }
    at::Tensor means = loss_sums / static_cast<double>(std::max<std::int64_t>(1, batches - skip));
    runtime->comm().all_reduce(means, ddp::ReduceOp::kAverage);
    const at::Tensor host_means = means.cpu().contiguous();
    const double loss = host_means.data_ptr<double>()[0];

    nlohmann::ordered_json record;
    record["kind"] = "epoch";
    record["epoch"] = epoch + 1;
    record["train_loss"] = loss;
    for (std::size_t i = 0; i < part_names.size(); ++i) {
      record["train_losses"][part_names[i]] = host_means.data_ptr<double>()[i + 1];
    }
    record["lr"] = lr;
    record["train_seconds"] = train_seconds;
    record["samples_per_second"] =
        static_cast<double>(samples * world) / std::max(train_seconds, 1e-9);
    record["global_step"] = run.global_step;
    ddp::EpochDecision decision;
    if (config.get_bool("validate") && run.task->has_split(Split::kDev)) {
      const auto eval_start = SteadyClock::now();
      const Metrics dev =
          run.task->evaluate(Split::kDev, runtime->comm(), {rank, world, std::nullopt});
      record["dev"] = dev;
      record["dev_seconds"] = seconds_since(eval_start);
      RSDIST_CHECK(dev.count(criterion),
                   "--validation_metric {}: the {} task reports no such dev metric", criterion,
                   config.get_string("model"));
      if (rank == 0) decision = run.early_stopping.update(epoch, dev.at(criterion));
    } else if (rank == 0) {
      decision = run.early_stopping.update(epoch, -loss);
    }
    decision = ddp::broadcast_decision(runtime->comm(), decision, device);
    record["best_epoch"] = decision.best_epoch + 1;
    run.history.push_back(record);
    log.root->info("epoch {}: loss {:.4f}{}, {:.0f} samples/s, {}{}{}", epoch + 1, loss,
                   record.contains("train_losses") ? " " + record["train_losses"].dump() : "",
                   record["samples_per_second"].get<double>(),
                   record.contains("dev") ? record["dev"].dump() : std::string("dev not evaluated"),
                   decision.improved ? " (best)" : "",
                   run.task->loader_summary().empty() ? "" : "; " + run.task->loader_summary());
    if (rank == 0) {
      CheckpointState state = run.snapshot(epoch + 1, 0);
      state.int_metadata["best_epoch"] = decision.best_epoch;
      state.string_metadata["best_metric"] = fmt::format("{:a}", decision.best_metric);
      const std::string name = checkpoint_name(epoch + 1);
      write_checkpoint(checkpoints, name, state);
      if (decision.improved) promote_best(checkpoints, name);
      prune_checkpoints(checkpoints, config.get_int("keep_checkpoints"));
      metrics.append(record);
    }
    if (decision.stop) {
      log.root->info(
          "early stopping after epoch {}: no {} improvement for {} epochs (best epoch {})",
          epoch + 1, criterion, config.get_int("early_stopping_patience"), decision.best_epoch + 1);
      break;
    }
  }
  runtime->comm().barrier();  // rank 0's best link is in place

  nlohmann::ordered_json results;
  results["history"] = run.history;
  const auto best = resolve_best(checkpoints);
  if (best) results["best_checkpoint"] = best->string();
  if (best && run.task->has_split(Split::kTest) && run.task->split_labeled(Split::kTest)) {
    load_model_state(run.task->model(), read_checkpoint_model(*best).model, *best);
    const Metrics test =
        run.task->evaluate(Split::kTest, runtime->comm(), {rank, world, std::nullopt});
    log.root->info("test metrics of {}: {}", best->filename().string(),
                   nlohmann::json(test).dump());
    results["test"] = test;
    if (rank == 0)
      metrics.append({{"kind", "test"}, {"checkpoint", best->string()}, {"test", test}});
  }
  if (rank == 0) write_file_atomically(dir / "results.json", results.dump(2) + "\n");
  log.root->info("done: {} steps; run directory {}", run.global_step, dir.string());
  return 0;
}

}  // namespace rsdist::train
