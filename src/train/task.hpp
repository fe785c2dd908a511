// What the trainer needs from a model family: its module, how it learns (batches that become
// losses, or one closed-form fit), its evaluation and its recommendations. The trainer
// (trainer.hpp) owns everything distributed and durable — runtime, replica sync, sampler, gradient
// reducer, optimizer, clipping, checkpoints, early stopping, metrics.jsonl — and is the same for
// every model; a Task owns the model, the corpus it reads and how a batch becomes a loss. A family
// registers its Task's factory with its name, options and criterion (model_family.hpp).
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "ddp/communicator.hpp"

namespace rsdist::train {

enum class Split { kDev, kTest };
const char* split_name(Split split);

// What a family's factory is given.
struct TaskContext {
  const Config& config;  // the resolved `rsdist train` configuration (train_options.hpp)
  at::Device device;     // where the model runs
  int rank = 0;
  int world = 1;
  // The run's communicator (for a task whose forward is a collective: --shard_items); null where
  // there is none.
  ddp::Communicator* comm = nullptr;
};

struct StepLoss {
  at::Tensor loss;  // scalar float32 on the device, with a graph
  std::int64_t samples = 0;
  // Named parts of the loss (detached scalars on the device), averaged per epoch into
  // metrics.jsonl's "train_losses" (GCL4SR: main, gcl, mmd). May be empty.
  std::vector<std::pair<std::string, at::Tensor>> parts;
};

// Metrics by name ("auc", "ndcg20", "sampled_hr10", ...), identical on every rank after evaluate().
using Metrics = std::map<std::string, double>;

// Tensors a task keeps besides its module (a step counter, an annealing weight): saved in every
// checkpoint and handed back on resume, so a resumed run continues bit for bit.
using TaskState = std::map<std::string, at::Tensor>;

struct EvaluateOptions {
  int rank = 0;
  int world = 1;
  // When set, rank 0 writes the split's predictions there (format chosen by the task: MIND's
  // leaderboard prediction.txt for click models).
  std::optional<std::filesystem::path> prediction_file;
};

// One gradient epoch as this rank sees it.
struct EpochPlan {
  std::int64_t epoch = 0;             // 0-based
  std::int64_t global_step = 0;       // optimizer steps taken before the first batch served below
  std::vector<std::int64_t> samples;  // this rank's samples, sampler order
  std::int64_t batch_size = 0;
  std::int64_t skip_batches = 0;  // batches of `samples` already done (a resumed epoch)

  // The samples still to serve: `samples` without its first skip_batches batches.
  std::vector<std::int64_t> remaining_samples() && {
    const auto skip = std::min<std::size_t>(
        static_cast<std::size_t>(skip_batches * batch_size), samples.size());
    samples.erase(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(skip));
    return std::move(samples);
  }
};

// What a task made of --init_from tensors that match none of its own by name.
struct DerivedTensors {
  std::vector<std::string> set;       // the model's tensors it set from them
  std::vector<std::string> consumed;  // the source tensors it used
};

// One user's recommendations.
struct Recommendation {
  std::string user;                // as named in the corpus
  std::vector<std::string> items;  // best first
  std::vector<float> scores;
};

class Task {
 public:
  virtual ~Task() = default;

  virtual torch::nn::Module& model() = 0;

  // --- How it learns ------------------------------------------------------------------------
  // A closed-form task (EASE, most-popular) is fitted once by fit(); the trainer then builds no
  // reducer, optimizer or sampler and calls no backward. Every other task trains by gradient.
  virtual bool closed_form() const { return false; }
  // Called on every rank with the run's communicator (to all-reduce sufficient statistics);
  // afterwards every rank holds the same model.
  virtual void fit(ddp::Communicator& comm);

  // Parameters that hold this rank's rows of a table row-sharded over the ranks (--shard_items,
  // Note [Cyclic item sharding]): kept out of replica sync and the gradient reducer, clipped by
  // the global norm, checkpointed as each rank's rows (Note [Sharded tables in a checkpoint]).
  virtual std::vector<std::string> sharded_parameters() const { return {}; }
  // Whether every trainable parameter receives a gradient at every step. False makes the reducer
  // search for unused parameters each step (ddp/reducer.hpp).
  virtual bool uses_every_parameter() const { return true; }
  // The learning rate of `epoch` (0-based) is lr times this (a step schedule, say). A pure
  // function of the epoch, so a resumed run gets the same schedule.
  virtual double learning_rate_factor(std::int64_t /*epoch*/) const { return 1.0; }
  // Samples per corpus shard, in shard order (the DistributedSampler's input).
  virtual std::vector<std::int64_t> shard_sizes() const;
  // Starts an epoch; loads what the plan's samples need.
  virtual void begin_epoch(EpochPlan plan);
  // Forward of the next batch in training mode; nullopt after the epoch's last.
  virtual std::optional<StepLoss> next_loss();
  // One line for the epoch's log line: the data pipeline (loader wait, de-duplication, ...), or
  // what a closed-form fit chose (EASE's lambda sweep).
  virtual std::string epoch_summary() const { return {}; }

  // --init_from: after the tensors that match by name were copied, the source tensors that matched
  // none (name -> tensor); the task may derive some of its own from them (NeuMF's output layer
  // from a GMF run's and an MLP run's).
  virtual DerivedTensors initialise_from_unmatched(
      const std::map<std::string, at::Tensor>& /*unmatched*/) {
    return {};
  }

  // State besides the module's parameters and buffers (see TaskState).
  virtual TaskState state() const { return {}; }
  virtual void load_state(const TaskState& /*state*/) {}

  // --- What it is judged on ---------------------------------------------------------------
  virtual bool has_split(Split split) const = 0;
  // Whether the split has labels (MIND test does not).
  virtual bool split_labeled(Split split) const = 0;
  // Metrics of `split` in eval mode, sharded over the ranks of `comm` and combined; every rank
  // gets the same result. Every rank must call it.
  virtual Metrics evaluate(Split split, ddp::Communicator& comm,
                           const EvaluateOptions& options) = 0;
  // Top-k for `users` (names as in the corpus; empty: the split's first users), single process.
  virtual std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                                std::int64_t k, std::int64_t max_users) = 0;
};

}  // namespace rsdist::train
