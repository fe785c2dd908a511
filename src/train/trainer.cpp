#include "train/trainer.hpp"

#include <ATen/Parallel.h>
#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/stack.h>
#include <ATen/ops/zeros.h>
#include <fmt/ranges.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <torch/nn/utils/clip_grad.h>
#include <torch/optim/sgd.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <ranges>
#include <span>

#include "core/error.hpp"
#include "core/fault_injection.hpp"
#include "core/file_lock.hpp"
#include "core/staging.hpp"
#include "core/stopwatch.hpp"
#include "ddp/collectives.hpp"
#include "ddp/control.hpp"
#include "ddp/distributed_sampler.hpp"
#include "ddp/reducer.hpp"
#include "ddp/replica_sync.hpp"
#include "ddp/runtime.hpp"
#include "ddp/stop_signals.hpp"
#include "train/checkpoint.hpp"
#include "train/early_stopping.hpp"
#include "train/fused_adam.hpp"
#include "train/metrics_log.hpp"
#include "train/model_family.hpp"
#include "train/optimizer_state.hpp"
#include "train/progress.hpp"
#include "train/rank_states.hpp"
#include "train/training_curves.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// What only a gradient-trained task has: none of it is built for a closed-form task.
struct GradientTraining {
  std::vector<NamedParameter> parameters;
  std::vector<at::Tensor> tensors;
  std::vector<at::Tensor> replicated, sharded;  // tensors split by Task::sharded_parameters()
  std::unique_ptr<ddp::Reducer> reducer;
  std::unique_ptr<torch::optim::Optimizer> optimizer;
  torch::optim::Adam* adam = nullptr;  // the optimizer when it is Adam (its state is checkpointed)
  std::unique_ptr<ddp::DistributedSampler> sampler;
  std::int64_t batches = 0;  // per epoch, on every rank
};

// One epoch's training summary: mean loss and parts over all ranks.
struct EpochTotals {
  double loss = 0.0;
  std::vector<std::pair<std::string, double>> parts;
  std::int64_t samples = 0;  // over all ranks
  double seconds = 0.0;
  bool stopped = false;  // a stop signal ended it early (a step checkpoint is written)
};

struct Run {
  Run(const Config& c, ddp::Runtime& r, Loggers l)
      : config(c),
        runtime(r),
        log(std::move(l)),
        dir(c.get_string("out")),
        checkpoints(dir / "checkpoints"),
        metrics(dir / "metrics.jsonl") {}

  const Config& config;
  ddp::Runtime& runtime;
  Loggers log;
  fs::path dir, checkpoints;
  MetricsLog metrics;
  std::unique_ptr<Task> task;
  Criterion criterion;
  EarlyStopping early_stopping{1, Direction::kHigherIsBetter};  // set with the criterion
  std::optional<GradientTraining> gradient;
  std::int64_t epochs = 0;  // the loop's end (1 for a closed-form fit)
  std::int64_t first_epoch = 0, first_batch = 0, global_step = 0;
  Json history = Json::array();
  Json init_report;  // what --init_from loaded, when it was used
  std::unique_ptr<TrainingCurves> curves;  // rank 0 with --tensorboard
  EpochLossSums resumed_sums;  // a step checkpoint's, for the first epoch
  std::vector<std::string> sharded;  // Task::sharded_parameters()
  std::int64_t table_rows = 0;       // their logical rows (the sum of every rank's)

  int rank() const { return runtime.rank(); }
  int world() const { return runtime.world_size(); }
  at::Device device() const { return runtime.device(); }
  ddp::Communicator& comm() { return runtime.comm(); }

  bool is_sharded(const std::string& name) const {
    return std::ranges::find(sharded, name) != sharded.end();
  }

  // Where the ranks write their table shards for checkpoint `name` before rank 0 moves them in
  // (a staging leftover's name: remove_staging_leftovers clears what a killed job left).
  fs::path shard_directory(const std::string& name) const {
    return checkpoints / fmt::format(".{}.shards.tmp-{}-{}", name, global_step, world());
  }

  // The checkpoint `name` of this moment. A collective (Notes [Per-rank state in a checkpoint],
  // [Sharded tables in a checkpoint]): every rank calls it, rank 0 writes what it returns.
  CheckpointState snapshot(const std::string& name, std::int64_t epoch, std::int64_t next_batch) {
    CheckpointState s;
    s.rng_states = gather_rng_states(comm(), device());
    if (rank() != 0 && sharded.empty()) return s;  // only rank 0 writes what is not sharded
    std::map<std::string, at::Tensor> model = model_state(task->model());
    std::map<std::string, std::vector<at::Tensor>> optimizer;
    if (gradient && gradient->adam)
      optimizer = adam_state_to_checkpoint(*gradient->adam, gradient->parameters);
    if (!sharded.empty()) {
      std::map<std::string, at::Tensor> rows;
      for (const std::string& p : sharded) {
        rows["model/" + p] = model.at(p);
        model.erase(p);
        const std::string prefix = "state." + p + ".";
        for (auto it = optimizer.begin(); it != optimizer.end();) {
          if (it->first.rfind(prefix, 0) != 0) {
            ++it;
            continue;
          }
          rows["optimizer/" + it->first] = it->second.front();
          it = optimizer.erase(it);
        }
      }
      s.extra_files = write_table_shards(comm(), device(), shard_directory(name), table_rows, rows);
    }
    if (rank() != 0) return s;
    s.model = std::move(model);
    s.optimizer = std::move(optimizer);
    s.task = task->state();
    s.sampler = {epoch, next_batch};
    s.epoch = epoch;
    s.global_step = global_step;
    s.int_metadata["world_size"] = world();
    s.config_ini = config.to_ini(false);
    s.metrics_json = history.dump();
    s.int_metadata["epochs_without_improvement"] = early_stopping.epochs_without_improvement();
    return s;
  }
};

// Rank 0: writes `state` as checkpoint `name` (moving the table shards in), then removes the
// emptied shard directory.
void write_run_checkpoint(Run& run, const std::string& name, const CheckpointState& state) {
  write_checkpoint(run.checkpoints, name, state);
  if (!state.extra_files.empty()) fs::remove_all(run.shard_directory(name));
}

// --- Set-up -------------------------------------------------------------------------------------

// Rank 0 holds <out>/.lock until the process ends (Note [Run directory lock]): a second job on
// the same run directory, resumed or not, stops here before it writes anything, and its other
// ranks end with it (run_cli aborts the job).
FileLock lock_run_directory(const Config& config, int rank) {
  if (rank != 0) return {};
  const fs::path dir = config.get_string("out");
  fs::create_directories(dir);
  return FileLock::acquire(dir / ".lock", fmt::format("run directory --out {}", dir.string()),
                           "wait for that job to end, or choose another --out");
}

// Rank 0 refuses to overwrite a run, removes what an interrupted checkpoint write left (it holds
// the lock: no writer is at work), writes config.ini and logs to train.log as well.
Loggers open_run_directory(const Config& config, const Loggers& base_log, int rank, int world) {
  const fs::path dir = config.get_string("out");
  std::vector<spdlog::sink_ptr> sinks = base_log.root->sinks();
  std::vector<std::string> leftovers;
  if (rank == 0) {
    RSDIST_CHECK(config.get_bool("resume") || !latest_checkpoint(dir / "checkpoints"),
                 "--out {} already holds checkpoints: pass --resume to continue that run, or "
                 "choose another --out",
                 dir.string());
    leftovers = remove_staging_leftovers(dir / "checkpoints");
    fs::create_directories(dir);
    write_file_atomically(dir / "config.ini", config.to_ini(/*show_origins=*/true));
    sinks.push_back(
        std::make_shared<spdlog::sinks::basic_file_sink_mt>((dir / "train.log").string()));
  }
  Loggers log = make_loggers(rank, world, base_log.root->level(), sinks);
  if (!leftovers.empty()) {
    log.root->info("removed what an interrupted checkpoint write left: {}",
                   fmt::join(leftovers, ", "));
  }
  return log;
}

// --init_from RUN[,RUN...]: the tensors of other runs' checkpoints that match by name (each name
// from one source at most), then what the task derives from the unmatched ones (NeuMF's output
// layer from a GMF and an MLP run), reported by name.
void initialise_from(Run& run) {
  std::vector<fs::path> sources;
  std::map<std::string, at::Tensor> unmatched;
  std::map<std::string, fs::path> loaded_from;
  for (const std::string& item : run.config.get_string_list("init_from")) {
    const fs::path source = checkpoint_of(item, "--init_from");
    const std::map<std::string, at::Tensor> state =
        read_checkpoint_model(source, run.rank(), run.world()).model;
    const MatchingLoad load = load_matching_state(run.task->model(), state, source);
    for (const std::string& name : load.loaded) {
      const auto [it, fresh] = loaded_from.emplace(name, source);
      RSDIST_CHECK(fresh, "--init_from: tensor '{}' is in both {} and {}; name each tensor once",
                   name, it->second.string(), source.string());
    }
    for (const std::string& name : load.unused) unmatched[name] = state.at(name);
    sources.push_back(source);
  }
  RSDIST_CHECK(!sources.empty(), "--init_from names no run or checkpoint");
  const DerivedTensors derivation = run.task->initialise_from_unmatched(unmatched);
  const std::vector<std::string>& derived = derivation.set;
  std::vector<std::string> loaded, initial, unused;
  for (const auto& [name, source] : loaded_from) loaded.push_back(name);
  for (const auto& [name, tensor] : model_state(run.task->model())) {
    if (!loaded_from.count(name) && std::ranges::find(derived, name) == derived.end())
      initial.push_back(name);
  }
  for (const auto& [name, tensor] : unmatched) {
    if (std::ranges::find(derivation.consumed, name) == derivation.consumed.end())
      unused.push_back(name);
  }
  RSDIST_CHECK(!loaded.empty() || !derived.empty(),
               "--init_from {}: no tensor of it matches this model by name",
               run.config.get_string("init_from"));
  std::vector<std::string> names;
  for (const fs::path& source : sources) names.push_back(source.string());
  run.init_report = {{"checkpoints", names}, {"loaded", loaded},   {"derived", derived},
                     {"initial", initial},   {"unused", unused}};
  run.log.root->info(
      "--init_from {}: loaded {} tensor(s) [{}]; derived [{}]; left at initial values [{}]; "
      "not used [{}]",
      fmt::join(names, ","), loaded.size(), fmt::join(loaded, ", "), fmt::join(derived, ", "),
      fmt::join(initial, ", "), fmt::join(unused, ", "));
}

// What replica sync, the reducer and the optimizer see: the parameters that require a gradient.
std::vector<NamedParameter> trainable_parameters(torch::nn::Module& model) {
  std::vector<NamedParameter> out;
  for (const auto& item : model.named_parameters(/*recurse=*/true)) {
    if (item.value().requires_grad()) out.push_back({item.key(), item.value()});
  }
  return out;
}

GradientTraining gradient_training(const Config& config, Task& task,
                                   std::vector<NamedParameter> parameters,
                                   const std::vector<std::string>& sharded,
                                   ddp::Communicator& comm, int rank, int world) {
  GradientTraining g;
  g.parameters = std::move(parameters);
  for (const auto& p : g.parameters) {
    g.tensors.push_back(p.tensor);
    const bool is_sharded = std::ranges::find(sharded, p.name) != sharded.end();
    (is_sharded ? g.sharded : g.replicated).push_back(p.tensor);
  }
  ddp::ReducerOptions reducer_options;
  reducer_options.bucket_cap_bytes =
      static_cast<std::size_t>(config.get_float("bucket_cap_mb") * 1e6);
  reducer_options.first_bucket_cap_bytes =
      static_cast<std::size_t>(config.get_float("first_bucket_mb") * 1e6);
  reducer_options.find_unused_parameters = !task.uses_every_parameter();
  // One rank averages over itself: no reducer (its bucket copies cost a quarter of a small
  // model's step).
  // Sharded tables never go through it (Note [Sharded gradients are world means]).
  if (world > 1 && !g.replicated.empty()) {
    g.reducer = std::make_unique<ddp::Reducer>(g.replicated, comm, reducer_options);
  }
  const double lr = config.get_float("lr"), weight_decay = config.get_float("weight_decay");
  if (config.get_string("optimizer") == "sgd") {
    g.optimizer = std::make_unique<torch::optim::SGD>(
        g.tensors, torch::optim::SGDOptions(lr).weight_decay(weight_decay));
  } else {
    auto adam = std::make_unique<FusedAdam>(
        g.tensors, torch::optim::AdamOptions(lr).weight_decay(weight_decay));
    g.adam = adam.get();
    g.optimizer = std::move(adam);
  }
  ddp::SamplerOptions sampler_options;
  sampler_options.seed = static_cast<std::uint64_t>(config.get_int("seed"));
  sampler_options.tail =
      config.get_string("drop_last") == "drop" ? ddp::TailPolicy::kDrop : ddp::TailPolicy::kPad;
  g.sampler =
      std::make_unique<ddp::DistributedSampler>(task.shard_sizes(), rank, world, sampler_options);
  g.batches = g.sampler->num_batches(config.get_int("batch_size"), /*drop_last_batch=*/false);
  if (const std::int64_t cap = config.get_int("max_steps_per_epoch"); cap > 0) {
    g.batches = std::min(g.batches, cap);
  }
  RSDIST_CHECK(g.batches > 0, "no training batches: {} samples per rank",
               g.sampler->samples_per_rank());
  return g;
}

// --resume: everything the checkpoint `path` (find_resume_checkpoint's choice) holds, so the run
// continues bit for bit on CPU.
void resume_from_checkpoint(Run& run, const std::optional<fs::path>& path) {
  if (!path) {
    run.log.root->info("--resume: no checkpoint in {}, starting from scratch",
                       run.checkpoints.string());
    return;
  }
  const CheckpointState state = read_checkpoint(*path, run.rank(), run.world());
  load_model_state(run.task->model(), state.model, *path);
  if (run.gradient && run.gradient->adam) {
    restore_adam_state(*run.gradient->adam, run.gradient->parameters, state.optimizer);
  }
  run.task->load_state(state.task);
  run.first_epoch = state.sampler.epoch;
  run.first_batch = restore_next_batch(state, run.world(), *run.log.root);
  run.global_step = state.global_step;
  restore_rng_states(state, static_cast<std::uint64_t>(run.config.get_int("seed")), run.rank(),
                     run.world(), run.device(), *run.log.root);
  run.resumed_sums = restore_epoch_loss_sums(state, run.rank(), run.world(), run.device());
  run.history = Json::parse(state.metrics_json.empty() ? "[]" : state.metrics_json);
  if (state.int_metadata.count("best_epoch")) {
    run.early_stopping.restore(std::stod(state.string_metadata.at("best_metric")),
                               state.int_metadata.at("best_epoch"),
                               state.int_metadata.at("epochs_without_improvement"));
  }
  if (run.rank() == 0) run.metrics.truncate_after(state.epoch);
  run.log.root->info("resumed from {}: epoch {}, batch {}, step {}", path->string(),
                     run.first_epoch + 1, run.first_batch, run.global_step);
}

// find_resume_checkpoint's choice, each checkpoint it passed over named in the log with the file
// that failed (every rank chooses alike from the same files; rank 0 speaks). Checkpoints of which
// none verifies stop the run rather than start it again from scratch.
std::optional<fs::path> resume_choice(Run& run) {
  std::vector<RefusedCheckpoint> refused;
  const std::optional<fs::path> chosen = find_resume_checkpoint(run.checkpoints, &refused);
  for (const RefusedCheckpoint& r : refused) {
    run.log.root->warn("--resume: not resuming from {}: {}", r.path.string(), r.reason);
  }
  RSDIST_CHECK(chosen || refused.empty(),
               "--resume: no checkpoint in {} verifies (see the warnings above); move them aside "
               "to start again, or restore one from a copy",
               run.checkpoints.string());
  if (!refused.empty()) {
    run.log.root->warn("--resume: falling back to {}, the newest checkpoint that verifies",
                       chosen->string());
  }
  return chosen;
}

// The logical rows of the task's sharded tables: every rank's rows added (one all-reduce); 0
// without any.
std::int64_t logical_table_rows(Run& run, ddp::Communicator& comm) {
  if (run.sharded.empty()) return 0;
  const std::map<std::string, at::Tensor> state = model_state(run.task->model());
  std::vector<double> rows;
  for (const std::string& name : run.sharded) {
    const auto it = state.find(name);
    RSDIST_CHECK(it != state.end(), "sharded parameter '{}' is not in the model", name);
    rows.push_back(static_cast<double>(it->second.size(0)));
  }
  const std::vector<double> all = ddp::all_reduce_sum(comm, rows, run.device());
  for (double r : all) {
    RSDIST_CHECK(r == all.front(), "the sharded tables of a model must have as many rows");
  }
  return static_cast<std::int64_t>(all.front());
}

Run set_up(const Config& config, ddp::Runtime& runtime, const Loggers& base_log) {
  const int rank = runtime.rank(), world = runtime.world_size();
  Run run(config, runtime, open_run_directory(config, base_log, rank, world));
  run.log.root->info("train {} on {} rank(s), backend {}, device {}", config.get_string("model"),
                     world, runtime.backend(), runtime.device().str());
  // Dropout differs per rank (as in PyTorch DDP with per-process seeds); everything else is
  // seeded explicitly by (seed, epoch, sample).
  const auto seed = static_cast<std::uint64_t>(config.get_int("seed"));
  at::manual_seed(seed * 1000003u + static_cast<std::uint64_t>(rank));
  if (const std::int64_t threads = config.get_int("intra_op_threads"); threads > 0) {
    at::set_num_threads(static_cast<int>(threads));
  }

  run.task = make_task(TaskContext{config, runtime.device(), rank, world, &runtime.comm()});
  // Again after building the model: what its construction drew from the default generator (a
  // LibTorch module's own initialisation, sized by this rank's share of a sharded table) must not
  // shift the dropout stream, so that sharded and replicated runs drop the same units.
  at::manual_seed(seed * 1000003u + static_cast<std::uint64_t>(rank));
  run.sharded = run.task->sharded_parameters();
  RSDIST_CHECK(!config.get_bool("shard_items") || !run.sharded.empty(),
               "--shard_items: model {} has no item table to shard (gcl4sr, s3rec, sasrec "
               "and multvae have)",
               config.get_string("model"));
  run.table_rows = logical_table_rows(run, runtime.comm());
  run.criterion = run_criterion(config);
  run.early_stopping =
      EarlyStopping(config.get_int("early_stopping_patience"), run.criterion.direction);
  const std::optional<fs::path> resume_path =
      config.get_bool("resume") ? resume_choice(run) : std::nullopt;
  if (!resume_path && !config.get_string("init_from").empty()) initialise_from(run);
  std::vector<NamedParameter> parameters = trainable_parameters(run.task->model());
  {
    // A sharded table's rows differ per rank by design: not synchronised.
    std::vector<ddp::NamedTensor> named;
    for (const auto& p : parameters) {
      if (!run.is_sharded(p.name)) named.push_back({p.name, p.tensor});
    }
    ddp::synchronize_replicas(runtime.comm(), named, ddp::fnv1a64(config.to_ini(false)));
  }
  if (!run.task->closed_form()) {
    run.gradient = gradient_training(config, *run.task, std::move(parameters), run.sharded,
                                     runtime.comm(), rank, world);
  }
  run.epochs = run.task->closed_form() ? 1 : config.get_int("epochs");
  if (config.get_bool("resume")) resume_from_checkpoint(run, resume_path);
  run.curves = open_training_curves(config, run.task->model(), rank, run.global_step);
  return run;
}

// --- One epoch ----------------------------------------------------------------------------------

// Clips the gradient to `clip` in global norm, as torch.nn.utils.clip_grad_norm_ on the whole
// model; a sharded table's squared norm is summed over its ranks (one all-reduce), so every rank
// scales by the same factor the replicated model would.
void clip_gradient_norm(Run& run, double clip) {
  GradientTraining& g = *run.gradient;
  if (g.sharded.empty()) {
    torch::nn::utils::clip_grad_norm_(g.tensors, clip);
    return;
  }
  const at::NoGradGuard no_grad;
  // On the device; the host reads the norm once.
  const auto squares = [&](const std::vector<at::Tensor>& tensors) {
    at::Tensor sum = at::zeros({1}, at::TensorOptions().dtype(at::kDouble).device(run.device()));
    for (const at::Tensor& t : tensors) {
      if (t.grad().defined()) sum.add_(t.grad().to(at::kDouble).pow(2).sum());
    }
    return sum;
  };
  at::Tensor sharded = squares(g.sharded);
  run.comm().all_reduce(sharded, ddp::ReduceOp::kSum);
  const double norm = std::sqrt((squares(g.replicated) + sharded).item<double>());
  const double factor = clip / (norm + 1e-6);
  if (factor >= 1.0) return;
  for (const at::Tensor& t : g.tensors) {
    if (t.grad().defined()) t.grad().mul_(factor);
  }
}

// Backward with the overlapped all-reduce, clipping of the averaged gradient, the optimizer step.
void gradient_step(Run& run, StepLoss& step, double clip) {
  GradientTraining& g = *run.gradient;
  if (g.reducer) g.reducer->prepare_for_backward();
  step.loss.backward();
  if (g.reducer) g.reducer->finalize_backward();
  if (clip > 0) clip_gradient_norm(run, clip);
  g.optimizer->step();
  at::NoGradGuard no_grad;
  for (auto& t : g.tensors) {
    if (t.grad().defined()) t.mutable_grad().zero_();
  }
}

// The next batch's forward, under bf16 autocast when asked (CUDA only).
std::optional<StepLoss> next_loss(Task& task, bool mixed) {
  if (!mixed) return task.next_loss();
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  at::autocast::set_autocast_dtype(at::kCUDA, at::kBFloat16);
  std::optional<StepLoss> step = task.next_loss();
  at::autocast::set_autocast_enabled(at::kCUDA, false);
  at::autocast::clear_cache();
  return step;
}

// A stop signal on any rank: every rank's generators and loss sums, rank 0 writes step-NNN.
void write_step_checkpoint(Run& run, std::int64_t epoch, std::int64_t next_batch,
                           const EpochLossSums& sums) {
  const std::string name = step_checkpoint_name(run.global_step);
  CheckpointState state = run.snapshot(name, epoch, next_batch);
  save_epoch_loss_sums(run.comm(), sums, state);
  if (run.rank() == 0) write_run_checkpoint(run, name, state);
}

EpochTotals train_epoch(Run& run, std::int64_t epoch, Progress& progress,
                        ddp::StopSignals& stop_signals) {
  const Config& config = run.config;
  GradientTraining& g = *run.gradient;
  const auto start = SteadyClock::now();
  const std::int64_t skip = epoch == run.first_epoch ? run.first_batch : 0;
  const std::int64_t batch_size = config.get_int("batch_size");
  const bool mixed = config.get_bool("mixed_precision") && run.device().is_cuda();
  const double clip = config.get_float("grad_clip");
  const std::int64_t curve_every = config.get_int("tensorboard_every_steps");
  const double lr = config.get_float("lr") * run.task->learning_rate_factor(epoch);
  for (auto& group : g.optimizer->param_groups()) group.options().set_lr(lr);
  run.task->begin_epoch(
      {epoch, run.global_step, g.sampler->epoch_indices(epoch), batch_size, skip});
  progress.start_epoch(epoch, g.batches, skip);
  // Note [Per-rank state in a checkpoint]: a resumed epoch continues its sums.
  EpochLossSums sums = epoch == run.first_epoch ? std::move(run.resumed_sums) : EpochLossSums{};
  EpochTotals totals;
  double shown_loss = 0;
  for (std::int64_t b = skip; b < g.batches; ++b) {
    fault_point(FaultPoint::kForward, run.rank());  // Note [Fault injection]
    std::optional<StepLoss> step = next_loss(*run.task, mixed);
    RSDIST_CHECK(step.has_value(), "the loader ended at batch {} of {}", b, g.batches);
    gradient_step(run, *step, clip);
    ++run.global_step;
    const at::Tensor step_values = sums.add(*step);
    totals.samples += step->samples * run.world();
    if (run.rank() == 0) {
      // Reading the loss synchronises with the device: only at curve steps and an epoch's ends.
      const bool curve_step = run.global_step % curve_every == 0;
      if (curve_step || b == skip || b + 1 == g.batches) {
        const at::Tensor host = step_values.cpu();
        const std::span<const double> read(host.data_ptr<double>(),
                                           static_cast<std::size_t>(host.numel()));
        shown_loss = read[0];
        if (curve_step && run.curves) run.curves->step_losses(run.global_step, read, sums.parts);
      }
      progress.step(b, step->samples * run.world(), shown_loss);
    }
    if (ddp::any_rank(run.comm(), stop_signals.requested(), run.device())) {
      write_step_checkpoint(run, epoch, b + 1, sums);
      totals.stopped = true;
      return totals;
    }
  }
  progress.end_epoch();
  totals.seconds = seconds_since(start);
  at::Tensor means = sums.means(run.device());
  run.comm().all_reduce(means, ddp::ReduceOp::kAverage);
  const at::Tensor host = means.cpu().contiguous();
  totals.loss = host.data_ptr<double>()[0];
  for (std::size_t i = 0; i < sums.parts.size(); ++i) {
    totals.parts.emplace_back(sums.parts[i], host.data_ptr<double>()[i + 1]);
  }
  return totals;
}

// A closed-form task's one "epoch": the fit, with the communicator for its statistics.
EpochTotals fit_closed_form(Run& run) {
  const auto start = SteadyClock::now();
  run.task->fit(run.comm());
  EpochTotals totals;
  totals.seconds = seconds_since(start);
  run.log.root->info("fitted {} in closed form in {:.2f} s", run.config.get_string("model"),
                     totals.seconds);
  return totals;
}

Json epoch_record(const Run& run, std::int64_t epoch, const EpochTotals& totals) {
  Json record;
  record["kind"] = run.task->closed_form() ? "fit" : "epoch";
  record["epoch"] = epoch + 1;
  if (run.task->closed_form()) {
    record["fit_seconds"] = totals.seconds;
    return record;
  }
  record["train_loss"] = totals.loss;
  for (const auto& [name, value] : totals.parts) record["train_losses"][name] = value;
  record["lr"] = run.config.get_float("lr") * run.task->learning_rate_factor(epoch);
  record["train_seconds"] = totals.seconds;
  record["samples_per_second"] =
      static_cast<double>(totals.samples) / std::max(totals.seconds, 1e-9);
  record["global_step"] = run.global_step;
  return record;
}

// --- Validation and checkpoints -----------------------------------------------------------------

// Dev metrics into `record` (sharded over ranks), and rank 0's early-stopping decision on every
// rank.
ddp::EpochDecision validate(Run& run, std::int64_t epoch, const EpochTotals& totals, Json& record) {
  ddp::EpochDecision decision;
  if (run.criterion.metric == "train_loss") {
    if (run.rank() == 0) decision = run.early_stopping.update(epoch, totals.loss);
  } else if (run.task->has_split(Split::kDev)) {
    const auto start = SteadyClock::now();
    const Metrics dev =
        run.task->evaluate(Split::kDev, run.comm(), {run.rank(), run.world(), std::nullopt});
    record["dev"] = dev;
    record["dev_seconds"] = seconds_since(start);
    RSDIST_CHECK(dev.count(run.criterion.metric),
                 "--validation_metric {}: the {} model reports no such dev metric (it reported: "
                 "{})",
                 run.criterion.metric, run.config.get_string("model"),
                 fmt::join(std::views::keys(dev), ", "));
    if (run.rank() == 0) decision = run.early_stopping.update(epoch, dev.at(run.criterion.metric));
  } else if (run.rank() == 0) {
    // No dev split: every epoch improves on the one before, so `best` is the newest.
    const double newer = static_cast<double>(epoch);
    decision = run.early_stopping.update(
        epoch, run.criterion.direction == Direction::kHigherIsBetter ? newer : -newer);
  }
  decision = ddp::broadcast_decision(run.comm(), decision, run.device());
  record["best_epoch"] = decision.best_epoch + 1;
  return decision;
}

// Rank 0: epoch-NNNN, `best` when it improved, pruning, then the metrics.jsonl line (after the
// checkpoint: a resumed run never finds a line for an epoch it redoes). Every rank calls it.
void checkpoint_epoch(Run& run, std::int64_t epoch, const ddp::EpochDecision& decision,
                      const Json& record) {
  const std::string name = checkpoint_name(epoch + 1);
  CheckpointState state = run.snapshot(name, epoch + 1, 0);
  if (run.rank() != 0) return;
  state.int_metadata["best_epoch"] = decision.best_epoch;
  state.string_metadata["best_metric"] = fmt::format("{:a}", decision.best_metric);
  write_run_checkpoint(run, name, state);
  if (decision.improved) promote_best(run.checkpoints, name);
  prune_checkpoints(run.checkpoints, run.config.get_int("keep_checkpoints"),
                    run.config.get_int("keep_every_epochs"));
  run.metrics.append(record);
}

void log_epoch(const Run& run, const Json& record, const ddp::EpochDecision& decision) {
  const std::string loader = run.task->epoch_summary();
  const std::string dev = record.contains("dev") ? record["dev"].dump() : "dev not evaluated";
  if (run.task->closed_form()) {
    run.log.root->info("fit: {}{}{}", dev, decision.improved ? " (best)" : "",
                       loader.empty() ? "" : "; " + loader);
    return;
  }
  run.log.root->info("epoch {}: loss {:.4f}{}, {:.0f} samples/s, {}{}{}",
                     record["epoch"].get<int>(), record["train_loss"].get<double>(),
                     record.contains("train_losses") ? " " + record["train_losses"].dump() : "",
                     record["samples_per_second"].get<double>(), dev,
                     decision.improved ? " (best)" : "", loader.empty() ? "" : "; " + loader);
}

// The best checkpoint on test (when it has labels), then results.json.
void finish(Run& run) {
  run.comm().barrier();  // rank 0's best link is in place
  Json results;
  results["history"] = run.history;
  results["criterion"] = {
      {"metric", run.criterion.metric},
      {"direction", run.criterion.direction == Direction::kHigherIsBetter ? "higher_is_better"
                                                                          : "lower_is_better"}};
  if (!run.init_report.is_null()) results["init_from"] = run.init_report;
  const auto best = resolve_best(run.checkpoints);
  if (best) results["best_checkpoint"] = best->string();
  if (best && run.task->has_split(Split::kTest) && run.task->split_labeled(Split::kTest)) {
    load_model_state(run.task->model(),
                     read_checkpoint_model(*best, run.rank(), run.world()).model, *best);
    const Metrics test =
        run.task->evaluate(Split::kTest, run.comm(), {run.rank(), run.world(), std::nullopt});
    run.log.root->info("test metrics of {}: {}", best->filename().string(),
                       nlohmann::json(test).dump());
    results["test"] = test;
    if (run.rank() == 0) {
      const Json record = {{"kind", "test"}, {"checkpoint", best->string()}, {"test", test}};
      run.metrics.append(record);
      if (run.curves) run.curves->record(record, run.global_step);
    }
  }
  if (run.rank() == 0) write_file_atomically(run.dir / "results.json", results.dump(2) + "\n");
  run.log.root->info("done: {} steps; run directory {}", run.global_step, run.dir.string());
}

}  // namespace

int run_training(const Config& config, const Loggers& base_log) {
  ddp::RuntimeOptions runtime_options;
  runtime_options.backend = config.get_string("backend");
  runtime_options.collective_timeout = std::chrono::seconds(config.get_int("collective_timeout_s"));
  auto runtime = ddp::Runtime::start(runtime_options);
  const FileLock run_lock = lock_run_directory(config, runtime->rank());
  Run run = set_up(config, *runtime, base_log);
  if (config.get_bool("mixed_precision") && !run.device().is_cuda()) {
    run.log.root->warn("--mixed_precision applies on GPU only; training in float32 on {}",
                       run.device().str());
  }
  const int rank = run.rank();
  Progress progress(run.log.root, rank == 0, rank == 0 && ::isatty(STDERR_FILENO), 30.0);
  ddp::StopSignals stop_signals;

  for (std::int64_t epoch = run.first_epoch; epoch < run.epochs; ++epoch) {
    const EpochTotals totals = run.task->closed_form()
                                   ? fit_closed_form(run)
                                   : train_epoch(run, epoch, progress, stop_signals);
    if (totals.stopped) {
      run.comm().barrier();
      run.log.root->info("stopped by a signal at step {}; checkpoint written, --resume continues",
                         run.global_step);
      return ddp::kExitAfterSignal;
    }
    Json record = epoch_record(run, epoch, totals);
    const ddp::EpochDecision decision = validate(run, epoch, totals, record);
    run.history.push_back(record);
    log_epoch(run, record, decision);
    checkpoint_epoch(run, epoch, decision, record);
    if (run.curves) run.curves->record(record, run.global_step);
    if (decision.stop) {
      run.log.root->info(
          "early stopping after epoch {}: no {} improvement for {} epochs (best epoch {})",
          epoch + 1, run.criterion.metric, config.get_int("early_stopping_patience"),
          decision.best_epoch + 1);
      break;
    }
  }
  finish(run);
  return 0;
}

}  // namespace rsdist::train
