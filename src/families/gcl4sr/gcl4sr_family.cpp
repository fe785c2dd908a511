// GCL4SR (Zhang et al., IJCAI 2022) on a sequence corpus, as the official code trains it (seed
// 004): the family's options and [train] defaults with the official values, its metrics and its
// registration.
#include "families/gcl4sr/gcl4sr_task.hpp"
#include "train/model_family.hpp"
#include "train/sequence_options.hpp"

namespace rsdist::train {
namespace {

void add_gcl4sr_options(OptionSchema& s) {
  add_sequence_model_options(s);
  s.group("gcl4sr")
      .add_int("sample_size_hop1", 20, "neighbours sampled at hop 1")
      .at_least(1)
      .add_int("sample_size_hop2", 20, "neighbours sampled at hop 2")
      .at_least(1)
      .add_float("lambda_gcl", 1.0, "weight of the graph contrastive loss")
      .at_least(0)
      .add_float("lambda_mmd", 0.1, "weight of the MMD loss")
      .at_least(0)
      .add_float("temperature", 0.5, "contrastive temperature")
      .at_least(1e-6)
      .add_float("lr_decay", 0.7, "learning-rate factor")
      .at_least(0)
      .add_int("lr_decay_every", 5, "epochs between learning-rate decays")
      .at_least(1);
}

ModelFamily gcl4sr_family() {
  ModelFamily f;
  f.name = "gcl4sr";
  f.summary = "GCL4SR sequential recommendation on a sequence corpus";
  f.corpus_kinds = {"seq"};
  f.add_options = &add_gcl4sr_options;
  f.train_defaults = {{"batch_size", "1024"},
                      {"lr", "0.001"},
                      {"weight_decay", "0.00005"},
                      {"grad_clip", "0"},
                      {"early_stopping_patience", "10"}};
  f.metrics = {{"hr@"}, {"recall@"}, {"ndcg@"}, {"mrr"}};
  f.validation_metric = "ndcg20";
  f.make_task = &make_gcl4sr_task;
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(gcl4sr, gcl4sr_family());

}  // namespace
}  // namespace rsdist::train
