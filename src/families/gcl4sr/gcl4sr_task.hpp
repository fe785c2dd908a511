// GCL4SR on a sequence corpus (`rsdist preprocess seq`) as a trainer Task: the model
// (src/models/gcl4sr_model.hpp), its batches with two sampled graph views
// (src/loader/seq/seq_batcher.hpp) and full-ranking evaluation (src/train/ranking_evaluation.hpp).
//
// Training: one corpus "shard" of prefix examples; batch j of an epoch samples its views from the
// stream (seed, epoch, j, rank); loss = main + lambda_gcl * GCL + lambda_mmd * MMD, the three parts
// logged per epoch. The learning rate is multiplied by lr_decay every lr_decay_every epochs (the
// official code's StepLR).
//
// Evaluation (valid = the corpus' dev split, test): each user's representation is scored against
// every item on the device, the items of the example's own prefix are masked (valid masks
// items[:-2], test items[:-1], as the reference), and only the top-20 lists come back. The
// examples are cut into fixed chunks, chunk c evaluated by rank c % world with graph views drawn
// from the stream (seed, split, c): the metrics do not depend on the number of ranks. The
// Recall/NDCG sums are combined with one all-reduce.
#pragma once

#include <memory>

#include "train/task.hpp"

namespace rsdist::train {

std::unique_ptr<Task> make_gcl4sr_task(const TaskContext& context);

}  // namespace rsdist::train
