// Training checkpoints, the one room for them: what a run needs to continue bit for bit, written
// whole or not at all; their names, which one a resume takes, pruning, and a model's state saved
// and loaded (whole for resume and evaluation, by matching names for --init_from).
//
// On disk a checkpoint is a directory `<run>/checkpoints/epoch-NNNN/` (end of an epoch) or
// `step-NNNNNNNNN/` (a stop signal interrupted an epoch):
//   model.pt      parameters and buffers, name -> tensor
//   optimizer.pt  optimizer state, name -> list of tensors (empty for closed-form models)
//   task.pt       the task's own state (Task::state), name -> tensor; older checkpoints lack it
//   state.pt      epoch, global step, sampler position, RNG states, free-form metadata
//   config.ini    the resolved configuration
//   metrics.json  metrics so far
//   manifest.txt  written last: size and SHA-256 of every file above
// The .pt files are PyTorch zip archives holding a plain pickled dict (no TorchScript type tags),
// so `torch.load(path)` in Python opens each of them with its default weights_only=True.
//
// The directory is assembled under a hidden staging name next to its destination, flushed, and
// renamed into place (core/staging.hpp), so a killed writer leaves at most a hidden leftover; a
// directory named epoch-NNNN is complete when written. The manifest catches what happens to it
// afterwards (a flipped byte, a truncated copy): read_checkpoint refuses such a checkpoint.
//
// Only one process may write a given checkpoint directory: in a distributed run that is rank 0
// (the functions here do not know ranks; the trainer decides who calls them).
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace torch::nn {
class Module;
}

namespace rsdist::train {

// Where the sampler continues: batch `next_batch` (0-based) of epoch `epoch`.
struct SamplerPosition {
  std::int64_t epoch = 0;
  std::int64_t next_batch = 0;
  bool operator==(const SamplerPosition&) const = default;
};

// A file written for a checkpoint outside its staging directory, with what its manifest line
// says of it.
struct CheckpointFile {
  std::filesystem::path path;  // where it is now
  std::string name;            // its name in the checkpoint
  std::uintmax_t size = 0;
  std::string sha256;          // lower-case hex
};

struct CheckpointState {
  // Parameters and buffers by their module path ("encoder.layers.0.weight"). Saved detached, on
  // the CPU and contiguous; loaded as CPU tensors with the saved dtype and shape.
  std::map<std::string, at::Tensor> model;
  // Optimizer state flattened to names, e.g. "state.<param>.exp_avg", "state.<param>.step".
  std::map<std::string, std::vector<at::Tensor>> optimizer;
  // The task's own tensors (Task::state), saved like the model's.
  std::map<std::string, at::Tensor> task;
  SamplerPosition sampler;
  // Opaque generator states by stream name ("cpu", "cuda:0", "dropout", ...), byte for byte.
  std::map<std::string, std::string> rng_states;
  std::int64_t epoch = 0;        // epochs completed when the checkpoint was taken
  std::int64_t global_step = 0;  // optimizer steps taken
  std::string config_ini;        // the resolved configuration, INI text
  std::string metrics_json;      // metrics so far, JSON text
  std::map<std::string, std::int64_t> int_metadata;
  std::map<std::string, std::string> string_metadata;
  // Files other ranks wrote for this checkpoint (write_table_shard): write_checkpoint moves them
  // in and lists them in the manifest.
  std::vector<CheckpointFile> extra_files;
};


// "epoch-0003": the directory name of the checkpoint taken after `epoch` epochs.
std::string checkpoint_name(std::int64_t epoch);
// The number in "epoch-NNNN", or -1 for any other name (staging leftovers start with '.').
std::int64_t epoch_number(const std::string& name);
// "step-000000021": the checkpoint a stop signal wrote after `global_step` optimizer steps.
std::string step_checkpoint_name(std::int64_t global_step);

// Test seam: called with the staging directory after the data files are written ("files") and
// after the manifest is written ("manifest"), before the rename. Throwing from it abandons the
// write; the tests also end the process in it to leave what a killed writer leaves.
using CheckpointWriteHook =
    std::function<void(const std::filesystem::path& staging, const std::string& stage)>;

// Writes `checkpoints_dir/name` (creating `checkpoints_dir`) and returns its path. An existing
// checkpoint of that name is replaced whole: after a resume from an earlier epoch the new run's
// state is the one to keep.
std::filesystem::path write_checkpoint(const std::filesystem::path& checkpoints_dir,
                                       const std::string& name, const CheckpointState& state,
                                       const CheckpointWriteHook& hook = nullptr);

// Verifies the manifest (presence, every file's size and SHA-256) and throws rsdist::Error naming
// the checkpoint and the file at the first problem.
void verify_checkpoint(const std::filesystem::path& checkpoint_dir);

// verify_checkpoint, then loads every field. Sharded tables (below) are loaded as rank `rank` of
// `world` holds them, into `model` and `optimizer` with the rest.
CheckpointState read_checkpoint(const std::filesystem::path& checkpoint_dir, int rank = 0,
                                int world = 1);

// Only model.pt, task.pt and config.ini (and the model's rows of sharded tables, as rank `rank`
// of `world` holds them), each verified: what evaluation and inference need, without reading (or
// hashing) the optimizer state, twice the model's size under Adam.
CheckpointState read_checkpoint_model(const std::filesystem::path& checkpoint_dir, int rank = 0,
                                      int world = 1);

// --- Sharded tables ---------------------------------------------------------------------------
// Note [Sharded tables in a checkpoint]: a parameter row-sharded over N ranks (--shard_items,
// Note [Cyclic item sharding] in ddp/item_sharding.hpp) is not in model.pt: each rank r writes its
// rows of it, and of its optimizer state, as table-shard-R-of-N.pt ({"model/<name>": rows,
// "optimizer/<key>": rows or a scalar, "logical_rows": V}), all listed in the manifest, so the
// table is one logical tensor that no rank holds whole while saving. Rank 0 moves the files in
// (write_checkpoint); ranks need a file system they share with rank 0 (the run directory, as for
// resuming). Reading takes, for any other rank and world size, its rows r', r' + N', ... from the
// N files one at a time; world 1 assembles the whole table (evaluate, recommend, Python).

// "table-shard-0002-of-0004.pt"
std::string table_shard_name(int rank, int world);

// Writes this rank's shard file into `dir` (created if needed) and says what its manifest line
// will be. `tensors`: "model/<name>" and "optimizer/<key>" rows (dim >= 1, rows of this rank) or
// scalars (the same on every rank), of a table of `logical_rows` rows.
CheckpointFile write_table_shard(const std::filesystem::path& dir, int rank, int world,
                                 std::int64_t logical_rows,
                                 const std::map<std::string, at::Tensor>& tensors);

// The rows rank `rank` of `world` holds of every sharded tensor in `checkpoint_dir`, by key
// ("model/<name>", "optimizer/<key>"), each shard file verified; empty without shard files.
std::map<std::string, at::Tensor> read_table_shards(const std::filesystem::path& checkpoint_dir,
                                                    int rank, int world);

// Only the small state.pt, verified: epoch, global step, sampler position, RNG states and
// metadata, without loading (or hashing) the model and optimizer. For choosing a checkpoint.
CheckpointState read_checkpoint_progress(const std::filesystem::path& checkpoint_dir);

// Points `checkpoints_dir/best` at `checkpoints_dir/name` (a relative symlink) atomically: the new
// link is made under a temporary name and renamed over the old one, so `best` always resolves to
// one complete checkpoint or, before the first promotion, does not exist.
void promote_best(const std::filesystem::path& checkpoints_dir, const std::string& name);

// The checkpoint `best` points at (as checkpoints_dir/<target>), nullopt when there is no `best`.
// Throws when `best` exists but points at nothing complete.
std::optional<std::filesystem::path> resolve_best(const std::filesystem::path& checkpoints_dir);

// The complete `epoch-NNNN` with the highest number (a directory holding a manifest); staging
// leftovers and incomplete directories are ignored. nullopt when there is none.
std::optional<std::filesystem::path> latest_checkpoint(
    const std::filesystem::path& checkpoints_dir);

// A checkpoint that a resume passed over, and why (the verification error, naming the file).
struct RefusedCheckpoint {
  std::filesystem::path path;
  std::string reason;
};

// The checkpoint a resumed run continues from: of the epoch-N and step-N directories, the one with
// the most optimizer steps (at equal steps the end-of-epoch one) that verifies whole
// (verify_checkpoint); those whose state cannot be read (a missing manifest too) and the newer
// ones that do not verify go to `refused` when given. nullopt when none verifies. Every rank may
// call it: on the same files every rank makes the same choice.
std::optional<std::filesystem::path> find_resume_checkpoint(
    const std::filesystem::path& checkpoints_dir,
    std::vector<RefusedCheckpoint>* refused = nullptr);

// Removes what interrupted writers left in `checkpoints_dir`: hidden staging and moved-aside
// directories (".epoch-0002.tmp-<pid>-<n>", ".epoch-0002.old-<pid>-<n>") and `best` links in the
// making; returns their names. Only while holding the run directory's lock, so that no writer is
// at work (rank 0 of `rsdist train`).
std::vector<std::string> remove_staging_leftovers(const std::filesystem::path& checkpoints_dir);

// Keeps the newest `keep` epoch checkpoints, every epoch-N with N a multiple of `keep_every` (> 0;
// S3-Rec's pretraining keeps each 10th epoch to fine-tune from) and whatever `best` points at; step
// checkpoints go once an epoch checkpoint is newer. Rank 0 only.
void prune_checkpoints(const std::filesystem::path& checkpoints_dir, std::int64_t keep,
                       std::int64_t keep_every = 0);

// `path` as a checkpoint directory: a run directory means its checkpoints/best; a directory with
// a manifest.txt is itself. Throws naming `option` (--init_from, --run) otherwise.
std::filesystem::path checkpoint_of(const std::filesystem::path& path, const std::string& option);

// --- A model's state --------------------------------------------------------------------------

// Parameters and buffers by name, detached (what CheckpointState::model holds).
std::map<std::string, at::Tensor> model_state(torch::nn::Module& model);

// Loads `state` into `model`, every name and shape checked both ways (resume, evaluation).
void load_model_state(torch::nn::Module& model, const std::map<std::string, at::Tensor>& state,
                      const std::filesystem::path& source);

// What load_matching_state did, by tensor name (sorted).
struct MatchingLoad {
  std::vector<std::string> loaded;   // in the model and in the checkpoint: copied
  std::vector<std::string> initial;  // in the model only: left at the initial value
  std::vector<std::string> unused;   // in the checkpoint only: ignored
};

// --init_from: copies the tensors of `state` whose names the model has; a name with another shape
// throws naming the tensor and both shapes.
MatchingLoad load_matching_state(torch::nn::Module& model,
                                 const std::map<std::string, at::Tensor>& state,
                                 const std::filesystem::path& source);

// One file for Python: `torch.load(path)` gives a dict name -> tensor (CPU, contiguous). Written
// atomically (temporary file, fsync, rename).
void export_weights_for_pytorch(const std::filesystem::path& path,
                                const std::map<std::string, at::Tensor>& tensors);

// Reads a file written by export_weights_for_pytorch.
std::map<std::string, at::Tensor> read_exported_weights(const std::filesystem::path& path);

}  // namespace rsdist::train
