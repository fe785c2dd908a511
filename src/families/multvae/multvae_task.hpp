// Mult-VAE on an interaction-matrix corpus as a trainer Task.
//
// Training: a sample is a user with training interactions (every user of loo / ratio corpora;
// the training users of heldout_users); a batch is --batch_size users' rows of the "train" part
// as sparse rows (loader/ratings/user_row_batcher.hpp), every interaction counted as 1. The step's
// random draws (which entries dropout keeps, the reparameterisation noise) come from a generator
// the task owns, seeded from (seed, global step, rank) before each step: they depend on nothing
// else, so a resumed run draws what the uninterrupted one did, on any device. The KL weight is
// models::kl_weight of the global step (EpochPlan::global_step, counted by the trainer and kept in
// its checkpoints). The loss's parts (neg_ll, kl, kl_weight) go to metrics.jsonl.
//
// Evaluation: a user's known items (heldout_users: the fold-in items; loo / ratio: the training
// items, plus validation items for test) are encoded with z = mu and no dropout, the logits over
// every item ranked by the shared evaluator with the known items masked; the sampled protocol from
// the same logits when the corpus stores candidates.
#pragma once

#include <memory>

#include "train/task.hpp"

namespace rsdist::train {

std::unique_ptr<Task> make_multvae_task(const TaskContext& context);

}  // namespace rsdist::train
