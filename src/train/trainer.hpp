// `rsdist train`: data-parallel training of any registered model (task_registry.hpp) on the
// distributed runtime.
//
// Every rank: runtime (MPI/NCCL/local) -> task (model + data) -> replica sync from rank 0 ->
// per epoch: DistributedSampler order -> batches -> loss -> backward with the bucketed, overlapped
// gradient all-reduce (ddp/reducer.hpp) -> clipping of the averaged gradient -> Adam. After each
// epoch the dev split is evaluated (sharded over ranks, combined); rank 0 decides improvement and
// early stopping and broadcasts it; rank 0 writes the epoch checkpoint, promotes `best`, and
// appends metrics.jsonl. SIGTERM/SIGUSR1 on any rank stop every rank at the same step after a
// step checkpoint (exit 75, ddp/stop_signals.hpp); --resume continues from the newest checkpoint.
// After training the best checkpoint is evaluated on test when test labels exist.
//
// Run directory (--out): config.ini (resolved), train.log (rank 0), metrics.jsonl,
// results.json, checkpoints/{epoch-NNNN, step-NNNNNNNN, best -> epoch-NNNN}, tb/ (TensorBoard's
// event files, train/training_curves.hpp).
#pragma once

#include "core/config.hpp"
#include "core/logging.hpp"

namespace rsdist::train {

// Returns the process exit code (0, or ddp::kExitAfterSignal after a requested stop).
int run_training(const Config& config, const Loggers& base_log);

}  // namespace rsdist::train
