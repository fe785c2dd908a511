// NAML on a MIND corpus as a trainer Task: the model (src/models/naml_model.hpp), the training
// batches (src/loader/mind/click_batcher.hpp) and the fast evaluation path.
//
// Evaluation never runs one forward per candidate (the reference does, re-encoding the history
// and the candidate for each of the ~37 candidates of a MIND impression): every news is encoded
// once, every impression's user once, and a candidate costs one dot product (or one MLP row).
// Ranks score contiguous impression ranges balanced by candidate count and combine the MIND
// metric sums with one all-reduce; predictions, when asked for, are gathered to rank 0.
#pragma once

#include <memory>

#include "train/task.hpp"

namespace rsdist::train {

std::unique_ptr<Task> make_naml_task(const TaskContext& context);

}  // namespace rsdist::train
