// EASE (Steck, WWW 2019) on an interaction-matrix corpus, closed form: its [ease] options
// (lambda, one value or a sweep; the solve's dtype), [train] defaults (Mult-VAE's cut-offs
// 10, 20, 50, 100), metrics and registration. The task is ease_task.cpp.
#include "families/ease/ease_task.hpp"
#include "train/model_family.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {

void add_ease_options(OptionSchema& s) {
  s.group("ease")
      .add_string("ease_lambda", "250",
                  "L2 weight lambda (RecBole's default 250; about 500 on ML-20M-sized data); a "
                  "list (100,250,500,1000) solves each on one Gram matrix and keeps the best on "
                  "dev")
      .add_string("ease_dtype", "float32", "dtype of the Gram matrix and its solve")
      .choices({"float32", "float64"});
}

ModelFamily ease_family() {
  ModelFamily f;
  f.name = "ease";
  f.summary = "EASE item-item closed form (Steck 2019), ratings corpus";
  f.corpus_kinds = {"ratings"};
  f.add_options = &add_ease_options;
  f.train_defaults = {{"metrics_k", "10,20,50,100"}};
  f.metrics = {{"hr@"},         {"recall@"},       {"ndcg@"},          {"mrr"},
               {"sampled_hr@"}, {"sampled_ndcg@"}, {"sampled_recall@"}, {"sampled_mrr"}};
  f.validation_metric = "ndcg100";
  // NDCG at the largest --metrics_k cut-off (NDCG@100 with the defaults, as Mult-VAE's code).
  f.choose_validation_metric = &ndcg_at_largest_cutoff;
  f.make_task = &make_ease_task;
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(ease, ease_family());

}  // namespace
}  // namespace rsdist::train
