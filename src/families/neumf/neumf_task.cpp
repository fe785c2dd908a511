#include "families/neumf/neumf_task.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/binary_cross_entropy_with_logits.h>

#include "core/error.hpp"
#include "loader/ratings/ratings_eval_split.hpp"
#include "models/neumf_model.hpp"
#include "train/interaction_task.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {

class NeuMfTask final : public InteractionTask {
 public:
  NeuMfTask(const TaskContext& c, const std::string& variant)
      : InteractionTask(c, c.config.get_int("num_negatives")), ranking_(ranking_settings(c.config)) {
    ranking_.item0_is_padding = false;
    models::NeuMfOptions o;
    o.kind = models::neumf_kind(variant);
    o.num_users = corpus().num_users();
    o.num_items = corpus().num_items();
    o.factors = c.config.get_int("factors");
    o.layers = c.config.get_int_list("layers", 1);
    o.init_seed = static_cast<std::uint64_t>(c.config.get_int("seed"));
    model_ = models::NeuMfModel(o);
    model_->to(device());
    full_ranking_ = c.config.get_bool("full_ranking");
  }

  torch::nn::Module& model() override { return *model_; }

  DerivedTensors initialise_from_unmatched(
      const std::map<std::string, at::Tensor>& unmatched) override {
    const auto get = [&](const std::string& name) {
      const auto it = unmatched.find(name);
      return it == unmatched.end() ? at::Tensor() : it->second.to(device());
    };
    if (!model_->set_pretrained_output(get("gmf_out.weight"), get("gmf_out.bias"),
                                       get("mlp_out.weight"), get("mlp_out.bias"))) {
      return {};
    }
    return {{"out.bias", "out.weight"},
            {"gmf_out.bias", "gmf_out.weight", "mlp_out.bias", "mlp_out.weight"}};
  }

  bool has_split(Split) const override { return true; }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    const loader::RatingsEvalSplit eval_split(corpus(), split == Split::kTest);
    RankingSource source = ranking_source(eval_split);
    if (!full_ranking_) source.full_scores = nullptr;
    RSDIST_CHECK(source.full_scores || source.sampled_scores,
                 "--full_ranking false on {}: the corpus has no sampled candidates (preprocess "
                 "with --split loo --negatives N), so nothing would be evaluated",
                 corpus_dir().string());
    model_->eval();
    const Metrics metrics = evaluate_ranking(source, ranking_, comm, options, device());
    model_->train();
    return metrics;
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    const loader::RatingsEvalSplit eval_split(corpus(), split == Split::kTest);
    model_->eval();
    return recommend_ratings(ranking_source(eval_split), eval_split, users, k, max_users, ranking_,
                             corpus_dir().string());
  }

 private:
  at::Tensor batch_loss(const models::InteractionBatch& batch) override {
    return at::binary_cross_entropy_with_logits(model_->forward(batch.users, batch.items),
                                                batch.targets);
  }

  // Full ranking scores every item; the sampled protocol the candidates [held-out, negatives...].
  RankingSource ranking_source(const loader::RatingsEvalSplit& split) {
    RankingSource source = ratings_ranking_source(split);
    source.full_scores = [this, &split](const RankingChunk& chunk) {
      const at::NoGradGuard no_grad;
      return model_->score_all_items(ratings_chunk_users(split, chunk, device()));
    };
    if (split.has_candidates()) {
      source.sampled_scores = [this, &split](const RankingChunk& chunk) {
        const at::NoGradGuard no_grad;
        const at::Tensor items = ratings_chunk_candidates(split, chunk, device());
        const at::Tensor users =
            ratings_chunk_users(split, chunk, device()).repeat_interleave(items.size(1));
        return model_->forward(users, items.view(-1)).view_as(items);
      };
    }
    return source;
  }

  RankingSettings ranking_;
  models::NeuMfModel model_{nullptr};
  bool full_ranking_ = true;
};

}  // namespace

std::unique_ptr<Task> make_neumf_task(const TaskContext& context, const std::string& variant) {
  return std::make_unique<NeuMfTask>(context, variant);
}

}  // namespace rsdist::train
