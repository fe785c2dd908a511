#include "train/train_options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "train/model_family.hpp"

namespace rsdist::train {

OptionSchema train_option_schema() {
  std::vector<std::string> names, summaries, criteria;
  for (const ModelFamily* family : model_families()) {
    names.push_back(family->name);
    summaries.push_back(family->name + " (" + family->summary + ")");
    std::vector<std::string> metrics;
    for (const MetricSpec& m : family->metrics) {
      metrics.push_back(m.pattern + (m.direction == Direction::kLowerIsBetter ? " (lower)" : ""));
    }
    criteria.push_back(fmt::format("{} reports {}, auto = {}", family->name,
                                   fmt::join(metrics, " "), family->validation_metric));
  }
  OptionSchema s("rsdist train");
  add_common_options(s);
  s.add_flag("print_config", "print the resolved configuration (with origins) and exit");

  s.group("run")
      .add_string("model", std::nullopt,
                  "model family: " + fmt::format("{}", fmt::join(summaries, "; ")))
      .required()
      .choices(names)
      .add_string("corpus", std::nullopt, "corpus directory written by 'rsdist preprocess'")
      .required()
      .add_string("out", std::nullopt, "run directory (config, metrics.jsonl, checkpoints/)")
      .required()
      .add_int("seed", 42, "seed of every random stream (sampler, negatives, dropout)")
      .at_least(0)
      .add_flag("resume", "continue the run in --out from its last checkpoint")
      .add_string(
          "init_from", "",
          "start from the tensors of this run's best (or this checkpoint) whose names and "
          "shapes match, e.g. a pretraining run (ignored when --resume finds a checkpoint)");

  s.group("train")
      .add_int("epochs", 16, "maximum number of epochs")
      .at_least(1)
      .add_int("batch_size", 64, "samples per rank per step")
      .at_least(1)
      .add_string("optimizer", "adam",
                  "adam, or sgd (plain SGD without momentum, as NeuMF after pretraining)")
      .choices({"adam", "sgd"})
      .add_float("lr", 1e-4, "learning rate")
      .at_least(0)
      .add_float("weight_decay", 0.0, "L2 weight decay of the optimizer")
      .at_least(0)
      .add_float("grad_clip", 4.0, "clip the global gradient norm to this (0: off)")
      .at_least(0)
      .add_int("early_stopping_patience", 5, "epochs without improvement before stopping")
      .at_least(1)
      .add_string("validation_metric", "auto",
                  "dev metric that decides early stopping and best (auto: the model's own; " +
                      fmt::format("{}", fmt::join(criteria, ", ")) +
                      "; a metric of the model's evaluation, '@' any cut-off of --metrics_k)")
      .add_string("metrics_k", "10,20", "cut-offs of the ranking metrics (HR, Recall, NDCG @k)")
      .add_int("eval_batch_size", 1024, "users (or impressions) scored per evaluation step")
      .at_least(1)
      .add_bool("mixed_precision", false, "bf16 autocast on GPU")
      .add_int("loader_threads", 2, "background threads assembling batches")
      .at_least(0)
      .add_int("intra_op_threads", 0,
               "LibTorch intra-op threads per rank (0: LibTorch's choice, OMP_NUM_THREADS or the "
               "cores; 1 suits models whose steps are many tiny operations)")
      .at_least(0)
      .add_string("drop_last", "pad", "uneven data: pad (wrap around) or drop the remainder")
      .choices({"pad", "drop"})
      .add_bool("validate", true,
                "evaluate dev after each epoch (false: early stopping and best "
                "follow the training loss)")
      .add_int("max_steps_per_epoch", 0,
               "stop each epoch after this many steps (0: all; for "
               "benchmarks and smoke runs)")
      .at_least(0)
      .add_int("keep_checkpoints", 1, "newest epoch checkpoints kept (besides `best`)")
      .at_least(1)
      .add_int("keep_every_epochs", 0,
               "also keep every epoch checkpoint whose number is a multiple of this (0: none)")
      .at_least(0)
      .add_bool("tensorboard", true,
                "rank 0 writes TensorBoard curves (losses, learning rate, samples/s, dev and "
                "test metrics) and the configuration into <out>/tb/")
      .add_int("tensorboard_every_steps", 20,
               "the step loss (and its parts) goes to TensorBoard at every global step that is "
               "a multiple of this; the progress line reads the loss as often")
      .at_least(1);

  s.group("ddp")
      .add_string("backend", "auto",
                  "collective backend: auto (NCCL on GPU, MPI on CPU), nccl, "
                  "mpi, local (single process)")
      .choices({"auto", "nccl", "mpi", "local"})
      .add_float("bucket_cap_mb", 25.0, "gradient bucket size cap in MB")
      .at_least(1e-6)
      .add_float("first_bucket_mb", 1.0, "size cap of the first (earliest reduced) bucket")
      .at_least(1e-6)
      .add_int("collective_timeout_s", 600, "a collective taking longer ends the job")
      .at_least(1)
      .add_bool("shard_items", false,
                "row-shard the item table, its optimizer state and the full softmax over the "
                "ranks (docs/scaling.md; gcl4sr, s3rec, sasrec, multvae)")
      .add_int("shard_chunk_rows", 0,
               "with --shard_items: examples scored per logit block (0: the rank's batch)")
      .at_least(0);

  // Each family's own group ([naml], [gcl4sr], ...), in name order.
  for (const ModelFamily* family : model_families()) {
    if (family->add_options) family->add_options(s);
  }
  return s;
}

Config with_model_defaults(const Config& config) {
  const ModelFamily& family = model_family(config.get_string("model"));
  const std::map<std::string, std::string> defaults =
      family.choose_train_defaults ? family.choose_train_defaults(config) : family.train_defaults;
  if (defaults.empty()) return config;
  return config.with_defaults(defaults, family.name + " default");
}

}  // namespace rsdist::train
