// What the trainer needs from a model family: its module, its training batches (as losses) and its
// evaluation. The trainer (trainer.hpp) owns everything distributed and durable — runtime, replica
// sync, sampler, gradient reducer, optimizer, clipping, checkpoints, early stopping, metrics.jsonl
// — and is the same for every model; a Task owns the model, the corpus it reads and how a batch
// becomes a loss. Tasks are created by name (task_registry.hpp), so later models (GCL4SR, NCF,
// S3Rec, MultiVAE, EASE) plug in without touching the loop.
#pragma once

#include <ATen/core/Tensor.h>
#include <torch/nn/module.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "ddp/communicator.hpp"

namespace rsdist::train {

enum class Split { kDev, kTest };
const char* split_name(Split split);

struct StepLoss {
  at::Tensor loss;  // scalar float32 on the device, with a graph
  std::int64_t samples = 0;
  // Named parts of the loss (detached scalars on the device), averaged per epoch into
  // metrics.jsonl's "train_losses" (GCL4SR: main, gcl, mmd). May be empty.
  std::vector<std::pair<std::string, at::Tensor>> parts;
};

// Metrics by name ("auc", "mrr", "ndcg5", ...), identical on every rank after evaluate().
using Metrics = std::map<std::string, double>;

struct EvaluateOptions {
  int rank = 0;
  int world = 1;
  // When set, rank 0 writes the split's predictions there (format chosen by the task: MIND's
  // leaderboard prediction.txt for click models).
  std::optional<std::filesystem::path> prediction_file;
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
  // The dev metric that decides early stopping when --validation_metric is "auto".
  virtual std::string default_validation_metric() const = 0;
  // The learning rate of `epoch` (0-based) is lr times this (a step schedule, say). A pure
  // function of the epoch, so a resumed run gets the same schedule.
  virtual double learning_rate_factor(std::int64_t /*epoch*/) const { return 1.0; }
  // Samples per corpus shard, in shard order (the DistributedSampler's input).
  virtual std::vector<std::int64_t> shard_sizes() const = 0;
  // Starts an epoch over this rank's `samples` (sampler order) in batches of `batch_size`,
  // skipping the first `skip_batches` (a resumed epoch). Loads what the samples need.
  virtual void begin_epoch(std::int64_t epoch, std::vector<std::int64_t> samples,
                           std::int64_t batch_size, std::int64_t skip_batches) = 0;
  // Forward of the next batch in training mode; nullopt after the epoch's last.
  virtual std::optional<StepLoss> next_loss() = 0;
  // One line about the data pipeline for the epoch log (loader wait, de-duplication, ...).
  virtual std::string loader_summary() const { return {}; }

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
