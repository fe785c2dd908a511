// GMF, MLP or NeuMF on an interaction-matrix corpus as a trainer Task (InteractionTask):
// every training interaction is a positive, with --num_negatives items the user has no training
// interaction with drawn afresh each epoch as negatives (Note [Training negatives are drawn
// against the training part]); BCE on the logits.
//
// Evaluation through the shared ranking evaluator: with the corpus's stored candidates (loo
// --negatives N), the held-out item against its N negatives (sampled_hr10, sampled_ndcg10: the
// paper's protocol); with --full_ranking, every item scored with the user's known items masked
// (hr/recall/ndcg@k). `rsdist recommend` lists the best unseen items.
//
// --init_from a GMF run and an MLP run starts NeuMF from both (the embeddings and the tower by
// name) with the output layer 0.5 * [h_GMF; h_MLP] (NeuMfModelImpl::set_pretrained_output).
#pragma once

#include <memory>
#include <string>

#include "train/task.hpp"

namespace rsdist::train {

// `variant`: "gmf", "mlp" or "neumf".
std::unique_ptr<Task> make_neumf_task(const TaskContext& context, const std::string& variant);

}  // namespace rsdist::train
