// What differs per rank and must survive a checkpoint for a resumed run to continue bit for bit on
// every rank: the default generators' states and the loss sums of an interrupted epoch.
//
// Note [Per-rank state in a checkpoint]: only rank 0 writes a checkpoint, but dropout (any draw
// from the default generators) and the running loss sums differ per rank. At a checkpoint every
// rank's row is gathered to rank 0 (one all_gather each), stored under "rank-R/..." names, and on
// --resume each rank takes its own row back. Generator states: CheckpointState::rng_states
// "rank-R/cpu" and, on a GPU, "rank-R/cuda" ("cpu" alone, rank 0's, is what older checkpoints
// hold). Loss sums of a step checkpoint: string_metadata "rank-R/epoch_loss_sums" (hex floats),
// "epoch_loss_parts", int_metadata "epoch_loss_batches". On another world size the rows do not
// belong to the ranks: generators are seeded afresh from (seed, rank, global step), the epoch's
// mean loss covers the resumed part only, and the log says the run is no longer exact.
#pragma once

#include <ATen/core/Tensor.h>
#include <c10/core/Device.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "train/checkpoint.hpp"
#include "train/task.hpp"

namespace spdlog {
class logger;
}

namespace rsdist::ddp {
class Communicator;
}

namespace rsdist::train {

// Every rank's generator states by "rank-R/<generator>" (and "cpu", rank 0's). A collective: every
// rank calls it and gets the whole map.
std::map<std::string, std::string> gather_rng_states(ddp::Communicator& comm, at::Device device);

// This rank's generators from `state` (saved by a job of `state.int_metadata["world_size"]` ranks),
// or, when they cannot be its own, seeded from (seed, rank, global_step) with a warning on rank 0.
void restore_rng_states(const CheckpointState& state, std::uint64_t seed, int rank, int world,
                        at::Device device, spdlog::logger& log);

// Where a step checkpoint's epoch continues on `world` ranks: its next batch, or on another world
// size (the epoch's order sharded anew) the batches taken so far converted to as many of the new
// ranks' batches, rounded down, so a few samples are seen twice rather than skipped; said in the log.
std::int64_t restore_next_batch(const CheckpointState& state, int world, spdlog::logger& log);

// The running sums of an epoch's loss and its named parts on this rank (double, on the device),
// and how many batches they cover.
struct EpochLossSums {
  at::Tensor values;  // [1 + parts]: the loss, then each part; undefined before the first batch
  std::vector<std::string> parts;
  std::int64_t batches = 0;

  // Adds a step's loss and parts; returns that step's row ([1 + parts], double, on the device).
  at::Tensor add(const StepLoss& step);
  // The means over this rank's batches, [1 + parts] double on `device` (zeros when none).
  at::Tensor means(at::Device device) const;
};

// Every rank's sums into `state`'s metadata (rank 0 writes it). A collective.
void save_epoch_loss_sums(ddp::Communicator& comm, const EpochLossSums& sums,
                          CheckpointState& state);

// This rank's sums from a step checkpoint's metadata; empty ones for an epoch checkpoint, an older
// checkpoint, or another world size.
EpochLossSums restore_epoch_loss_sums(const CheckpointState& state, int rank, int world,
                                      at::Device device);

// Note [Sharded tables in a checkpoint]: every rank writes its rows `tensors` (write_table_shard)
// into `dir`, and rank 0 gets every rank's file (the others an empty list), to move into the
// checkpoint. A collective: one all-gather of each file's size and SHA-256.
std::vector<CheckpointFile> write_table_shards(ddp::Communicator& comm, at::Device device,
                                               const std::filesystem::path& dir,
                                               std::int64_t logical_rows,
                                               const std::map<std::string, at::Tensor>& tensors);

}  // namespace rsdist::train
