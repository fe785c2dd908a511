// NCF for explicit ratings as seed 001 trains it (src/models/ncf_model.hpp): the prediction is
// rating / 5 through a sigmoid, MSE loss, Adam. The seed leaves the sizes and the optimiser's
// settings to pytorch-fm, whose NCF it writes out; the defaults here are pytorch-fm's (embed_dim
// 16, mlp_dims 16,16, dropout 0.2, batch 2048, lr 1e-3, weight decay 1e-6), with one intra-op
// thread (steps of tiny operations, as NeuMF's).
//
// Every training rating is one instance (InteractionTask with no negatives). Evaluation: the
// split's ratings (the corpus's valid or test part; `ratio` is the split for explicit ratings)
// are predicted in fixed chunks, chunk c on rank c % world, and gathered, so every rank computes
// the same RMSE and MAE on the 1-5 scale and the AUC of the predictions with ratings >= 4 as
// positives (the seed's metrics). Early stopping on RMSE, lower is better. `rsdist recommend` lists
// the unseen items with the highest predicted ratings.
#include <ATen/core/grad_mode.h>
#include <ATen/ops/arange.h>
#include <ATen/ops/cat.h>
#include <ATen/ops/empty.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/mse_loss.h>
#include <ATen/ops/sigmoid.h>

#include <cmath>

#include "core/error.hpp"
#include "ddp/collectives.hpp"
#include "eval/rating_metrics.hpp"
#include "loader/ratings/ratings_eval_split.hpp"
#include "models/ncf_model.hpp"
#include "train/interaction_task.hpp"
#include "train/model_family.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {

constexpr double kRatingScale = 5.0;  // the seed's target: rating / 5
constexpr float kLikedRating = 4.0F;  // AUC positives: ratings >= 4

class NcfTask final : public InteractionTask {
 public:
  explicit NcfTask(const TaskContext& c)
      : InteractionTask(c, /*negatives=*/0), ranking_(ranking_settings(c.config)) {
    ranking_.item0_is_padding = false;
    RSDIST_CHECK(!corpus().implicit,
                 "--model ncf regresses ratings, but the corpus {} is implicit (preprocessed with "
                 "--implicit_threshold); preprocess the ratings without it (e.g. --split ratio)",
                 corpus_dir().string());
    RSDIST_CHECK(corpus().parts.count("valid") && corpus().parts.count("test"),
                 "--model ncf needs a corpus split into train/valid/test ratings (--split ratio or "
                 "loo); {} has split {}",
                 corpus_dir().string(), corpus().split);
    models::NcfOptions o;
    o.num_users = corpus().num_users();
    o.num_items = corpus().num_items();
    o.embed_dim = c.config.get_int("embed_dim");
    o.mlp_dims = c.config.get_int_list("mlp_dims", 1);
    o.dropout = c.config.get_float("mlp_dropout");
    o.init_seed = static_cast<std::uint64_t>(c.config.get_int("seed"));
    model_ = models::NcfModel(o);
    model_->to(device());
  }

  torch::nn::Module& model() override { return *model_; }
  bool has_split(Split) const override { return true; }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    RSDIST_CHECK(!options.prediction_file,
                 "--prediction writes MIND's prediction.txt; on a ratings corpus use 'rsdist "
                 "recommend' for top-k lists");
    const ratings::UserItemMatrix& part = corpus().parts.at(split == Split::kTest ? "test" : "valid");
    const std::vector<float> predicted = predict_part(part, comm, options);
    const eval::RatingErrors errors = eval::rating_errors(predicted, part.ratings);
    std::vector<std::uint8_t> liked;
    liked.reserve(part.ratings.size());
    for (const float r : part.ratings) liked.push_back(r >= kLikedRating ? 1 : 0);
    const double auc = eval::roc_auc(predicted, liked);
    return {{"rmse", errors.rmse},
            {"mae", errors.mae},
            {"auc", std::isnan(auc) ? 0.0 : auc},
            {"ratings", static_cast<double>(predicted.size())}};
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    const loader::RatingsEvalSplit eval_split(corpus(), split == Split::kTest);
    RankingSource source = ratings_ranking_source(eval_split);
    source.full_scores = [this, &eval_split](const RankingChunk& chunk) {
      const at::NoGradGuard no_grad;
      return at::sigmoid(
                 model_->score_all_items(ratings_chunk_users(eval_split, chunk, device()))) *
             kRatingScale;
    };
    model_->eval();
    return recommend_ratings(source, eval_split, users, k, max_users, ranking_,
                             corpus_dir().string());
  }

 private:
  at::Tensor batch_loss(const models::InteractionBatch& batch) override {
    return at::mse_loss(at::sigmoid(model_->forward(batch.users, batch.items)),
                        batch.targets / kRatingScale);
  }

  // Predicted ratings (1-5 scale) of every entry of `part`, in entry order, on every rank.
  std::vector<float> predict_part(const ratings::UserItemMatrix& part, ddp::Communicator& comm,
                                  const EvaluateOptions& options) {
    const at::NoGradGuard no_grad;
    model_->eval();
    const std::int64_t entries = part.num_interactions();
    std::vector<std::int32_t> users = part.entry_users();
    const std::int64_t chunk = ranking_.chunk_users;
    std::vector<at::Tensor> ids, scores;
    for (std::int64_t c = options.rank; c * chunk < entries; c += options.world) {
      const std::int64_t begin = c * chunk, n = std::min(chunk, entries - begin);
      const at::Tensor u = at::from_blob(users.data() + begin, {n}, at::kInt).to(device(), at::kLong);
      const at::Tensor i = at::from_blob(const_cast<std::int32_t*>(part.items.data()) + begin, {n},
                                         at::kInt)
                               .to(device(), at::kLong);
      scores.push_back(at::sigmoid(model_->forward(u, i)) * kRatingScale);
      ids.push_back(at::arange(begin, begin + n, at::TensorOptions().dtype(at::kLong)));
    }
    const auto joined = [&](std::vector<at::Tensor>& parts, at::ScalarType type) {
      return parts.empty() ? at::empty({0}, at::TensorOptions().dtype(type).device(device()))
                           : at::cat(parts).to(device());
    };
    const at::Tensor all_ids = ddp::all_gather_concat(comm, joined(ids, at::kLong)).cpu();
    const at::Tensor all_scores =
        ddp::all_gather_concat(comm, joined(scores, at::kFloat)).cpu().contiguous();
    std::vector<float> predicted(static_cast<std::size_t>(entries));
    const auto* id = all_ids.data_ptr<std::int64_t>();
    const auto* score = all_scores.data_ptr<float>();
    for (std::int64_t j = 0; j < all_ids.size(0); ++j) predicted[static_cast<std::size_t>(id[j])] = score[j];
    model_->train();
    return predicted;
  }

  RankingSettings ranking_;
  models::NcfModel model_{nullptr};
};

void add_ncf_options(OptionSchema& s) {
  s.group("ncf")
      .add_int("embed_dim", 16, "embedding size of users and items")
      .at_least(1)
      .add_string("mlp_dims", "16,16", "widths of the MLP's Linear+BatchNorm+ReLU+Dropout layers")
      .add_float("mlp_dropout", 0.2, "dropout after each MLP layer")
      .at_least(0)
      .at_most(1);
}

ModelFamily ncf_family() {
  ModelFamily f;
  f.name = "ncf";
  f.summary = "NCF rating regression (seed 001: GMF + MLP, sigmoid * 5, MSE), explicit ratings";
  f.corpus_kinds = {"ratings"};
  f.add_options = &add_ncf_options;
  f.train_defaults = {{"batch_size", "2048"},
                      {"lr", "0.001"},
                      {"weight_decay", "0.000001"},
                      {"grad_clip", "0"},
                      {"intra_op_threads", "1"}};
  f.metrics = {{"rmse", Direction::kLowerIsBetter},
               {"mae", Direction::kLowerIsBetter},
               {"auc"}};
  f.validation_metric = "rmse";
  f.make_task = [](const TaskContext& c) -> std::unique_ptr<Task> {
    return std::make_unique<NcfTask>(c);
  };
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(ncf, ncf_family());

}  // namespace
}  // namespace rsdist::train
