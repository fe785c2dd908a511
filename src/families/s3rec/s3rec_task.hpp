// S3-Rec and SASRec on a sequence corpus (`rsdist preprocess seq`, with --attributes for S3-Rec's
// pretraining) as trainer Tasks: the model (src/models/s3rec_model.hpp), its batches
// (src/loader/seq/s3rec_batches.hpp) and the shared ranking evaluator.
//
// Pretraining (`--model s3rec --stage pretrain`): every prefix of each user's training window is
// a sample; loss = the four objectives' weighted sum, the parts (aap, mip, map, sp) logged per
// epoch. A pretraining run has no dev or test split (`best` is the newest epoch) and keeps every
// `keep_every_epochs`-th epoch checkpoint to fine-tune from.
//
// Fine-tuning (`--stage finetune`, usually with --init_from PRETRAIN_RUN[/checkpoints/epoch-N];
// `--model sasrec` is the same without pretraining): one sample per user; evaluated on valid
// (items[:-2] -> items[-2]) and test (items[:-1] -> items[-1]) by the sampled protocol on the
// corpus's stored negatives (sampled_hr@k, sampled_ndcg@k, sampled_mrr; the official
// run_finetune_sample) and by full ranking with the prefix's items masked (hr@k, ndcg@k, mrr;
// run_finetune_full). Chunk c of users goes to rank c % world: metrics do not depend on the
// number of ranks.
#pragma once

#include <memory>

#include "train/task.hpp"

namespace rsdist::train {

enum class S3RecStage { kPretrain, kFinetune };

std::unique_ptr<Task> make_s3rec_task(const TaskContext& context, S3RecStage stage);

}  // namespace rsdist::train
