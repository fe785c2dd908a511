// Mult-VAE (Liang et al., WWW 2018) on an interaction-matrix corpus: its [multvae] options (the
// layer widths, the input's dropout and its order against L2 normalisation, the KL weight's cap
// and annealing), [train] defaults (the paper's and seed 003 v2's: Adam lr 1e-3, batch 500 users,
// 200 epochs, patience 20 on NDCG@100), metrics and registration. The model is
// src/models/multvae_model.hpp, the task multvae_task.cpp.
#include "families/multvae/multvae_task.hpp"
#include "train/model_family.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {

void add_multvae_options(OptionSchema& s) {
  s.group("multvae")
      .add_string("multvae_dims", "600,200",
                  "hidden widths, the latent size last: encoder I -> 600 -> 2 x 200, decoder "
                  "200 -> 600 -> I")
      .add_float("input_dropout", 0.5, "dropout of the input's items in training (keep 1 - p)")
      .at_least(0)
      .at_most(0.99)
      .add_string("input_order", "normalize_dropout",
                  "normalize_dropout (the paper's code, RecBole) or dropout_normalize (seed 003's "
                  "fix): the order of the input's L2 normalisation and dropout")
      .choices({"normalize_dropout", "dropout_normalize"})
      .add_float("kl_cap", 0.2, "largest weight of the KL term")
      .at_least(0)
      .add_int("kl_anneal_steps", 20000,
               "optimizer steps over which the KL weight rises linearly from 0 to --kl_cap (0: "
               "the cap from the start; the paper's code's 1/200000 per step is 40000 with cap 0.2)")
      .at_least(0);
}

ModelFamily multvae_family() {
  ModelFamily f;
  f.name = "multvae";
  f.summary = "Mult-VAE variational autoencoder (Liang et al. 2018), ratings corpus";
  f.corpus_kinds = {"ratings"};
  f.add_options = &add_multvae_options;
  f.train_defaults = {{"batch_size", "500"},
                      {"lr", "0.001"},
                      {"grad_clip", "0"},
                      {"epochs", "200"},
                      {"early_stopping_patience", "20"},
                      {"metrics_k", "10,20,50,100"}};
  f.metrics = {{"hr@"},         {"recall@"},       {"ndcg@"},          {"mrr"},
               {"sampled_hr@"}, {"sampled_ndcg@"}, {"sampled_recall@"}, {"sampled_mrr"}};
  f.validation_metric = "ndcg100";
  f.choose_validation_metric = &ndcg_at_largest_cutoff;
  f.make_task = &make_multvae_task;
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(multvae, multvae_family());

}  // namespace
}  // namespace rsdist::train
