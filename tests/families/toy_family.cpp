// A model family defined only here, in the test's own file, to show that a family needs nothing
// outside its own files: "toy" factorises users (corpus rows) and items of a sequence corpus and
// learns the next item by softmax cross-entropy over all items. It exercises what the real
// families rely on: its own option group and [train] defaults, the global step in the epoch plan,
// task state kept in checkpoints (an exponential average of the loss that scales the loss, so a
// resume that lost it would diverge), the shared ranking evaluation, and --init_from (the optional
// `head` exists only when --toy_head is true; --toy_dim changes every shape).
#include <ATen/TensorOperators.h>
#include <ATen/core/grad_mode.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/log_softmax.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/nll_loss.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/scalar_tensor.h>
#include <ATen/ops/tanh.h>
#include <torch/nn/module.h>

#include "core/error.hpp"
#include "data/seq/seq_corpus.hpp"
#include "loader/seq/seq_eval_split.hpp"
#include "train/model_family.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

struct ToyModel : torch::nn::Module {
  ToyModel(std::int64_t users, std::int64_t items, std::int64_t dim, bool head) {
    user_factors = register_parameter("user_factors", at::randn({users, dim}) * 0.1);
    item_factors = register_parameter("item_factors", at::randn({items, dim}) * 0.1);
    if (head) head_weight = register_parameter("head_weight", at::randn({dim, dim}) * 0.1);
  }
  at::Tensor users_of(const at::Tensor& rows) const {
    const at::Tensor u = user_factors.index_select(0, rows);
    return head_weight.defined() ? at::matmul(u, head_weight) : u;
  }
  at::Tensor user_factors, item_factors, head_weight;
};

at::Tensor long_tensor(std::vector<std::int64_t> values) {
  return at::from_blob(values.data(), {static_cast<std::int64_t>(values.size())}, at::kLong)
      .clone();
}

class ToyTask final : public Task {
 public:
  explicit ToyTask(const TaskContext& c)
      : config_(c.config),
        corpus_dir_(c.config.get_string("corpus")),
        corpus_(seq::read_seq_corpus(corpus_dir_)),
        ranking_(ranking_settings(c.config)) {
    model_ = std::make_shared<ToyModel>(
        static_cast<std::int64_t>(corpus_.sequences.num_sequences()), corpus_.graph.num_nodes,
        c.config.get_int("toy_dim"), c.config.get_bool("toy_head"));
  }

  torch::nn::Module& model() override { return *model_; }
  std::vector<std::int64_t> shard_sizes() const override {
    return {static_cast<std::int64_t>(corpus_.splits.train.size())};
  }

  void begin_epoch(EpochPlan plan) override {
    // The plan's global step is the steps this task has seen: on a fresh run, and on a resume
    // when the trainer restored the task's state.
    RSDIST_CHECK(plan.global_step == steps_, "toy: the plan says step {} but the task saw {}",
                 plan.global_step, steps_);
    plan_ = std::move(plan);
    next_ = plan_.skip_batches * plan_.batch_size;
  }

  std::optional<StepLoss> next_loss() override {
    const auto& examples = corpus_.splits.train;
    const auto end = std::min<std::int64_t>(next_ + plan_.batch_size,
                                            static_cast<std::int64_t>(plan_.samples.size()));
    if (next_ >= end) return std::nullopt;
    std::vector<std::int64_t> rows, targets;
    for (std::int64_t i = next_; i < end; ++i) {
      const auto e = static_cast<std::size_t>(plan_.samples[static_cast<std::size_t>(i)]);
      rows.push_back(examples.rows[e]);
      targets.push_back(examples.targets[e]);
    }
    next_ = end;
    const at::Tensor scores =
        at::matmul(model_->users_of(long_tensor(rows)), model_->item_factors.t());
    const at::Tensor ce = at::nll_loss(at::log_softmax(scores, 1), long_tensor(targets));
    const at::Tensor loss = ce * (1.0 + 0.1 * at::tanh(at::scalar_tensor(ema_loss_)));
    ema_loss_ = 0.9 * ema_loss_ + 0.1 * ce.item<double>();
    ++steps_;
    return StepLoss{loss, static_cast<std::int64_t>(rows.size()), {}};
  }

  TaskState state() const override {
    return {{"ema_loss", at::scalar_tensor(ema_loss_, at::kDouble)},
            {"steps", at::scalar_tensor(steps_, at::kLong)}};
  }
  void load_state(const TaskState& state) override {
    if (state.empty()) return;  // a checkpoint without task state: a fresh task's
    ema_loss_ = state.at("ema_loss").item<double>();
    steps_ = state.at("steps").item<std::int64_t>();
  }

  bool has_split(Split) const override { return true; }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    const loader::SeqEvalSplit eval_split(corpus_, examples_of(split));
    return evaluate_ranking(ranking_source(eval_split), ranking_, comm, options, at::kCPU);
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    const loader::SeqEvalSplit eval_split(corpus_, examples_of(split));
    return recommend_ranking(
        ranking_source(eval_split), eval_split.select(users, max_users, corpus_dir_.string()), k,
        ranking_, [&](std::int64_t e) { return eval_split.user_name(e); },
        [](std::int64_t item) { return std::to_string(item); });
  }

 private:
  RankingSource ranking_source(const loader::SeqEvalSplit& eval_split) {
    RankingSource source = sequence_ranking_source(eval_split);
    source.full_scores = [this, &eval_split](const RankingChunk& c) {
      const at::NoGradGuard no_grad;
      return at::matmul(users_of_examples(eval_split, c.users), model_->item_factors.t());
    };
    return source;
  }

  const seq::PrefixExamples& examples_of(Split split) const {
    return split == Split::kDev ? corpus_.splits.valid : corpus_.splits.test;
  }
  at::Tensor users_of_examples(const loader::SeqEvalSplit& split,
                               const std::vector<std::int64_t>& ids) {
    std::vector<std::int64_t> rows;
    for (const std::int64_t e : ids)
      rows.push_back(split.examples().rows[static_cast<std::size_t>(e)]);
    return model_->users_of(long_tensor(rows));
  }

  const Config& config_;
  fs::path corpus_dir_;
  seq::SeqCorpus corpus_;
  RankingSettings ranking_;
  std::shared_ptr<ToyModel> model_;
  EpochPlan plan_;
  std::int64_t next_ = 0;
  double ema_loss_ = 0.0;
  std::int64_t steps_ = 0;
};

ModelFamily toy_family() {
  ModelFamily f;
  f.name = "toy";
  f.summary = "a test family: user and item factors on a sequence corpus";
  f.corpus_kinds = {"seq"};
  f.add_options = [](OptionSchema& s) {
    s.group("toy")
        .add_int("toy_dim", 8, "factor size")
        .at_least(1)
        .add_bool("toy_head", false, "a linear head on the user factors");
  };
  f.train_defaults = {{"lr", "0.05"}, {"batch_size", "32"}, {"grad_clip", "0"}};
  f.metrics = {{"hr@"}, {"recall@"}, {"ndcg@"}, {"mrr"}};
  f.validation_metric = "ndcg10";
  f.make_task = [](const TaskContext& c) -> std::unique_ptr<Task> {
    return std::make_unique<ToyTask>(c);
  };
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(toy, toy_family());

}  // namespace
}  // namespace rsdist::train
