// The most-popular baseline (`--model pop`): every user gets the items the training data
// interacted with most, ties by the lower item id. Closed form: each rank counts its share of the
// training interactions and the counts are all-reduced, so any number of ranks gives the counts of
// one process exactly. The counts are the model (a buffer, saved in checkpoints), evaluated and
// recommending like every other family:
// per corpus kind (population.hpp): sequences (full ranking, each user's prefix masked), MIND
// (candidates of impressions scored by training clicks), interaction matrices (full ranking with
// the user's known items masked, and the sampled protocol when the corpus stores candidates).
#include <ATen/ops/from_blob.h>
#include <ATen/ops/zeros.h>
#include <torch/nn/module.h>

#include "data/corpus_manifest.hpp"
#include "ddp/collectives.hpp"
#include "eval/ranking_metrics.hpp"
#include "families/pop/population.hpp"
#include "train/model_family.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

struct PopModel : torch::nn::Module {
  explicit PopModel(std::int64_t items)
      : counts(register_buffer("item_counts", at::zeros({items}, at::kDouble))) {}
  at::Tensor counts;  // [items], float64: whole numbers, exact
};

class PopTask final : public Task {
 public:
  explicit PopTask(const TaskContext& c) : device_(c.device) {
    const std::string kind = data::read_corpus_manifest(c.config.get_string("corpus")).kind;
    if (kind == "mind") {
      population_ = make_mind_population(c.config, c.device);
    } else if (kind == "ratings") {
      population_ = make_ratings_population(c.config, c.device);
    } else {
      population_ = make_seq_population(c.config, c.device);
    }
    model_ = std::make_shared<PopModel>(population_->items());
    model_->to(device_);
  }

  torch::nn::Module& model() override { return *model_; }
  bool closed_form() const override { return true; }

  void fit(ddp::Communicator& comm) override {
    const std::vector<double> local = population_->local_counts(comm.rank(), comm.world_size());
    const std::vector<double> all = ddp::all_reduce_sum(comm, local, device_);
    model_->counts.copy_(at::from_blob(const_cast<double*>(all.data()),
                                       {static_cast<std::int64_t>(all.size())}, at::kDouble));
  }

  bool has_split(Split split) const override { return population_->has_split(split); }
  bool split_labeled(Split split) const override { return population_->split_labeled(split); }
  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    return population_->evaluate(model_->counts, split, comm, options);
  }
  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    return population_->recommend(model_->counts, split, users, k, max_users);
  }

 private:
  at::Device device_;
  std::unique_ptr<Population> population_;
  std::shared_ptr<PopModel> model_;
};

ModelFamily pop_family() {
  ModelFamily f;
  f.name = "pop";
  f.summary = "most-popular baseline, closed form, on any corpus with items";
  f.corpus_kinds = {"seq", "mind", "ratings"};
  f.metrics = {{"hr@"},           {"recall@"},         {"ndcg@"},       {"mrr"}, {"sampled_hr@"},
               {"sampled_ndcg@"}, {"sampled_recall@"}, {"sampled_mrr"}, {"auc"}};
  f.validation_metric = "ndcg20";
  // MIND: AUC; items ranked for users: NDCG at the largest --metrics_k cut-off.
  f.choose_validation_metric = [](const Config& config) -> std::string {
    if (data::read_corpus_manifest(config.get_string("corpus")).kind == "mind") return "auc";
    return "ndcg" + std::to_string(
                        eval::parse_cutoffs(config.get_string("metrics_k"), "--metrics_k").back());
  };
  f.make_task = [](const TaskContext& c) -> std::unique_ptr<Task> {
    return std::make_unique<PopTask>(c);
  };
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(pop, pop_family());

}  // namespace
}  // namespace rsdist::train
