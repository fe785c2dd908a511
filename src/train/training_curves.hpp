// What `rsdist train` shows in TensorBoard: rank 0 writes <out>/tb/events.out.tfevents.* through
// tensorboard/event_writer.hpp (`tensorboard --logdir runs/` shows every run under runs/).
//
// - every `--tensorboard_every_steps` global steps: `train/loss` and `train/<part>` for each part
//   of the task's StepLoss, rank 0's batch (read when the progress line reads it: no extra device
//   synchronisation);
// - after each epoch, from its metrics.jsonl record: `epoch/train_loss` (the mean over the epoch
//   and all ranks), `epoch/train_losses/<part>`, `epoch/lr`, `epoch/samples_per_second`, and
//   `dev/<metric>` for every dev metric; a closed-form fit, its dev metrics; after training
//   `test/<metric>` of the best checkpoint;
// - as text, at the start: the resolved configuration (with origins) and the model (family,
//   parameter count, LibTorch's module tree and the parameters' shapes).
//
// Note [Curves share the step axis]: every value is written at a global step (optimizer steps
// since the start of the run), the epoch values at the step that ended the epoch, so per-step and
// per-epoch curves line up on TensorBoard's default "step" axis. A closed-form fit takes no
// steps: its values are at step 0.
//
// Note [Resumed curves]: each session (a fresh run, or a --resume from a checkpoint at global step
// S; S = 0 for a fresh run) writes a new event file (Note [Event files sort in writing order])
// that starts with a SessionLog START at step S + 1, and everything a gradient session writes after
// it is at a step > S. TensorBoard's Python reader (EventAccumulator, purge_orphaned_data) drops,
// on that START, what earlier files hold at steps >= S + 1: what an interrupted session wrote after
// its last checkpoint, which the resumed one writes again, so each epoch shows once. (TensorBoard's
// Rust data server instead drops a series' points from any step that goes back, to the same end.)
// The START is at S + 1, not S, because the epoch that ended at step S is not trained again. What
// earlier sessions wrote at steps <= S stays: a finished run that --resume extends by more epochs
// keeps its earlier test evaluation at the step where it was made (metrics.jsonl drops it).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/config.hpp"
#include "tensorboard/event_writer.hpp"

namespace torch::nn {
class Module;
}

namespace rsdist::train {

// The scalars of one metrics.jsonl record (an epoch, a closed-form fit or the test evaluation),
// as (tag, value), in the record's order.
std::vector<std::pair<std::string, double>> curve_scalars(const nlohmann::ordered_json& record);

class TrainingCurves {
 public:
  // A new event file in `directory`, starting with a SessionLog START at `first_step`.
  TrainingCurves(const std::filesystem::path& directory, std::int64_t first_step);

  // The configuration and the model as text, at the first step.
  void describe_run(const Config& config, torch::nn::Module& model);
  // `values`: the step's loss, then its parts in the order of `part_names`.
  void step_losses(std::int64_t step, std::span<const double> values,
                   const std::vector<std::string>& part_names);
  // curve_scalars(record) at `step`, then a flush (at least one per epoch).
  void record(const nlohmann::ordered_json& record, std::int64_t step);
  void flush() { writer_.flush(); }

 private:
  tensorboard::EventWriter writer_;
  std::int64_t first_step_;
};

// Rank 0 of a run with `--tensorboard true`: the session's curves in <out>/tb/ with the run's
// description written, the run at `global_step` (0, or the step --resume restored); otherwise none.
std::unique_ptr<TrainingCurves> open_training_curves(const Config& config, torch::nn::Module& model,
                                                     int rank, std::int64_t global_step);

}  // namespace rsdist::train
