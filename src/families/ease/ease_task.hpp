// EASE on an interaction-matrix corpus as a closed-form trainer Task.
//
// Fit (every rank, Task::fit): rank r accumulates the Gram matrix X_r^T X_r of its share of the
// training rows (users r, r + world, ... of the corpus's "train" part, every interaction counted
// as 1) on the host, exactly (counts), one all-reduce sums the shares on the device, and the
// closed form runs there (models/ease_solve.hpp: Cholesky, float32 or --ease_dtype float64),
// after checking that the solve fits in the device's available memory. With several
// --ease_lambda values the Gram matrix is reused: each lambda's B is evaluated on dev by the run's
// criterion and the best one is solved again into the model (solving twice costs less memory
// than keeping two B). The model is one buffer, item_weights = B [I, I], saved in checkpoints.
//
// Scores of a user: x_u B, with x_u the user's known items (loo / ratio: training items, plus
// validation items for test; heldout_users: the fold-in items), per chunk of users on the device
// as the sum of B's rows of those items (models::sparse_rows_mm: x_u is never dense, and the cost
// is the chunk's interactions x I instead of users x I x I). Evaluation through the shared ranking evaluator, with the sampled protocol when the
// corpus stores candidates.
#pragma once

#include <memory>

#include "train/task.hpp"

namespace rsdist::train {

std::unique_ptr<Task> make_ease_task(const TaskContext& context);

}  // namespace rsdist::train
