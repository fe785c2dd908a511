// GMF, MLP and NeuMF (He et al., WWW 2017) on an interaction-matrix corpus, with the official
// code's defaults: the families' shared [neumf] options, [train] defaults (Adam lr 1e-3, batch 256,
// 20 epochs, best epoch by HR@10; one intra-op thread, since a step of these models is a few dozen
// tiny operations and more threads only add synchronisation: 3x slower on 2 cores), metrics and
// registrations. The model is
// src/models/neumf_model.hpp, the task neumf_task.cpp.
#include "data/corpus_manifest.hpp"
#include "eval/ranking_metrics.hpp"
#include "families/neumf/neumf_task.hpp"
#include "train/model_family.hpp"

namespace rsdist::train {
namespace {

void add_neumf_options(OptionSchema& s) {
  s.group("neumf")
      .add_int("factors", 8, "GMF embedding size (predictive factors); gmf and neumf")
      .at_least(1)
      .add_string("layers", "64,32,16,8",
                  "MLP tower widths, input first (user and item embeddings are half the first "
                  "each); mlp and neumf")
      .add_int("num_negatives", 4, "negatives sampled per training positive, afresh each epoch")
      .at_least(1)
      .add_bool("full_ranking", true,
                "evaluate full ranking (every item, training items masked) besides the sampled "
                "1 + N candidates");
}

// HR@10 as the paper, on the stored candidates when the corpus has them (loo --negatives).
std::string hit_rate_criterion(const Config& config) {
  const std::vector<std::int64_t> cutoffs =
      eval::parse_cutoffs(config.get_string("metrics_k"), "--metrics_k");
  const std::int64_t k =
      std::find(cutoffs.begin(), cutoffs.end(), 10) != cutoffs.end() ? 10 : cutoffs.front();
  const data::CorpusManifest manifest = data::read_corpus_manifest(config.get_string("corpus"));
  const bool sampled = manifest.counts.value("negatives_per_user", std::int64_t{0}) > 0;
  return (sampled ? "sampled_hr" : "hr") + std::to_string(k);
}

ModelFamily family(const std::string& name, const std::string& summary, bool own_options) {
  ModelFamily f;
  f.name = name;
  f.summary = summary;
  f.corpus_kinds = {"ratings"};
  if (own_options) f.add_options = &add_neumf_options;
  f.train_defaults = {{"batch_size", "256"},
                      {"lr", "0.001"},
                      {"grad_clip", "0"},
                      {"epochs", "20"},
                      {"early_stopping_patience", "20"},
                      {"intra_op_threads", "1"}};
  f.metrics = {{"sampled_hr@"}, {"sampled_ndcg@"}, {"sampled_recall@"}, {"sampled_mrr"},
               {"hr@"},         {"recall@"},       {"ndcg@"},           {"mrr"}};
  f.validation_metric = "sampled_hr10";
  f.choose_validation_metric = &hit_rate_criterion;
  f.make_task = [name](const TaskContext& c) { return make_neumf_task(c, name); };
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(
    neumf, family("neumf", "NeuMF: GMF and MLP fused, implicit feedback, ratings corpus", true));
RSDIST_REGISTER_MODEL_FAMILY(
    gmf, family("gmf", "generalized matrix factorization (NCF paper), ratings corpus", false));
RSDIST_REGISTER_MODEL_FAMILY(
    mlp, family("mlp", "MLP over user and item embeddings (NCF paper), ratings corpus", false));

}  // namespace
}  // namespace rsdist::train
