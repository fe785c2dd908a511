// "probe", a model family for the multi-process tests of the distributed runtime
// (mpirun_test.cpp): a small regression MLP trained by the real trainer (`rsdist train`, through
// rsdist_probe, the rsdist binary with this family linked in), so that the mpirun tests exercise
// the same loop users run: replica sync, DistributedSampler, bucketed reducer, Adam, checkpoints,
// resume, signals. Data: y = sin(sum x) + noise, deterministic per sample id, made from the options
// (the corpus directory only carries a manifest of kind "probe"). Failure switches make one rank
// throw, SIGKILL or SIGTERM itself at a global step, or build a wider layer than the others.
// With --probe_eval_users > 0 it has a dev split, ranked through the shared sharded evaluator
// (train/ranking_evaluation.hpp), so that a fault can strike during an evaluation.
#include <ATen/TensorOperators.h>
#include <ATen/ops/from_blob.h>
#include <ATen/ops/matmul.h>
#include <ATen/ops/randn.h>
#include <ATen/ops/tanh.h>
#include <torch/nn/module.h>

#include <cmath>
#include <csignal>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "train/model_family.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {

struct ProbeModel : torch::nn::Module {
  explicit ProbeModel(std::int64_t hidden) {
    // Every rank draws its own values (the trainer seeds each rank apart): replica sync must make
    // them equal.
    p0 = register_parameter("p0", at::randn({4, hidden}, at::kDouble) * 0.5);
    p1 = register_parameter("p1", at::randn({hidden}, at::kDouble) * 0.5);
    p2 = register_parameter("p2", at::randn({hidden, 1}, at::kDouble) * 0.5);
    p3 = register_parameter("p3", at::randn({1}, at::kDouble) * 0.5);
  }
  at::Tensor forward(const at::Tensor& x) const {
    return at::matmul(at::tanh(at::matmul(x, p0) + p1), p2) + p3;
  }
  at::Tensor p0, p1, p2, p3;
};

class ProbeTask final : public Task {
 public:
  explicit ProbeTask(const TaskContext& c) : config_(c.config), rank_(c.rank) {
    const std::int64_t samples = c.config.get_int("probe_samples");
    std::vector<double> x(static_cast<std::size_t>(samples * 4)),
        y(static_cast<std::size_t>(samples));
    for (std::int64_t i = 0; i < samples; ++i) {
      Rng rng = Rng::stream(7, {static_cast<std::uint64_t>(i)});
      double s = 0;
      for (int j = 0; j < 4; ++j) s += (x[static_cast<std::size_t>(i * 4 + j)] = rng.normal());
      y[static_cast<std::size_t>(i)] = std::sin(s) + 0.1 * rng.normal();
    }
    x_ = at::from_blob(x.data(), {samples, 4}, at::kDouble).clone().to(c.device);
    y_ = at::from_blob(y.data(), {samples, 1}, at::kDouble).clone().to(c.device);
    const std::int64_t hidden = c.config.get_int("probe_hidden");
    model_ = std::make_shared<ProbeModel>(
        c.rank == c.config.get_int("probe_mismatch_rank") ? hidden + 1 : hidden);
    model_->to(c.device);
  }

  torch::nn::Module& model() override { return *model_; }
  std::vector<std::int64_t> shard_sizes() const override { return {x_.size(0)}; }

  void begin_epoch(EpochPlan plan) override {
    plan_ = std::move(plan);
    step_ = plan_.global_step;
    next_ = plan_.skip_batches * plan_.batch_size;
  }

  std::optional<StepLoss> next_loss() override {
    const auto end = std::min<std::int64_t>(next_ + plan_.batch_size,
                                            static_cast<std::int64_t>(plan_.samples.size()));
    if (next_ >= end) return std::nullopt;
    inject_failure();
    std::vector<std::int64_t> rows(plan_.samples.begin() + next_, plan_.samples.begin() + end);
    next_ = end;
    ++step_;
    const at::Tensor index =
        at::from_blob(rows.data(), {static_cast<std::int64_t>(rows.size())}, at::kLong)
            .to(x_.device());
    const at::Tensor error = model_->forward(x_.index_select(0, index)) - y_.index_select(0, index);
    return StepLoss{error.pow(2).mean().to(at::kFloat), static_cast<std::int64_t>(rows.size()), {}};
  }

  bool has_split(Split split) const override {
    return split == Split::kDev && config_.get_int("probe_eval_users") > 0;
  }
  bool split_labeled(Split split) const override { return has_split(split); }
  // Dev: user u ranks kEvalItems items, item i scored by the model on sample u * kEvalItems + i,
  // held-out item u % kEvalItems, nothing known.
  Metrics evaluate(Split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    RankingSource source;
    source.users = config_.get_int("probe_eval_users");
    source.full_scores = [this](const RankingChunk& chunk) {
      std::vector<std::int64_t> rows;
      for (const std::int64_t u : chunk.users) {
        for (std::int64_t i = 0; i < kEvalItems; ++i)
          rows.push_back((u * kEvalItems + i) % x_.size(0));
      }
      const at::Tensor index =
          at::from_blob(rows.data(), {static_cast<std::int64_t>(rows.size())}, at::kLong)
              .to(x_.device());
      return model_->forward(x_.index_select(0, index))
          .reshape({static_cast<std::int64_t>(chunk.users.size()), kEvalItems})
          .to(at::kFloat);
    };
    source.known_items = [](const RankingChunk& chunk) {
      return UserItems{std::vector<std::int64_t>(chunk.users.size() + 1, 0), {}};
    };
    source.heldout_items = [](const RankingChunk& chunk) {
      UserItems items;
      for (const std::int64_t u : chunk.users) {
        items.items.push_back(static_cast<std::int32_t>(u % kEvalItems));
        items.offsets.push_back(static_cast<std::int64_t>(items.items.size()));
      }
      return items;
    };
    RankingSettings settings = ranking_settings(config_);
    settings.item0_is_padding = false;
    return evaluate_ranking(source, settings, comm, options, x_.device());
  }
  std::vector<Recommendation> recommend(Split, const std::vector<std::string>&, std::int64_t,
                                        std::int64_t) override {
    RSDIST_THROW("the probe model recommends nothing");
  }

 private:
  static constexpr std::int64_t kEvalItems = 8;

  void inject_failure() const {
    if (step_ != config_.get_int("probe_fail_step")) return;
    if (rank_ == config_.get_int("probe_throw_rank")) {
      RSDIST_THROW("injected failure at step {}", step_);
    }
    if (rank_ == config_.get_int("probe_kill_rank")) std::raise(SIGKILL);
    if (rank_ == config_.get_int("probe_signal_rank")) std::raise(SIGTERM);
  }

  const Config& config_;
  int rank_;
  at::Tensor x_, y_;
  std::shared_ptr<ProbeModel> model_;
  EpochPlan plan_;
  std::int64_t next_ = 0, step_ = 0;
};

ModelFamily probe_family() {
  ModelFamily f;
  f.name = "probe";
  f.summary = "a test family: a small regression MLP for the runtime's multi-process tests";
  f.corpus_kinds = {"probe"};
  f.add_options = [](OptionSchema& s) {
    s.group("probe")
        .add_int("probe_samples", 96, "training samples")
        .at_least(1)
        .add_int("probe_hidden", 16, "hidden units")
        .at_least(1)
        .add_int("probe_mismatch_rank", -1, "rank whose hidden layer is one unit wider")
        .add_int("probe_throw_rank", -1, "rank that throws at --probe_fail_step")
        .add_int("probe_kill_rank", -1, "rank that SIGKILLs itself at --probe_fail_step")
        .add_int("probe_signal_rank", -1, "rank that sends itself SIGTERM at --probe_fail_step")
        .add_int("probe_fail_step", 3, "global step of the failure")
        .add_int("probe_eval_users", 0, "users of a dev split (0: none)")
        .at_least(0)
        .add_string("probe_tag", "", "marker so a test can find its processes");
  };
  // Early stopping and best follow the training loss; small buckets so that several are reduced.
  f.train_defaults = {{"validate", "false"},
                      {"lr", "0.01"},
                      {"grad_clip", "0"},
                      {"loader_threads", "0"},
                      {"bucket_cap_mb", "0.000256"},
                      {"first_bucket_mb", "0.000064"},
                      {"collective_timeout_s", "60"}};
  f.metrics = {{"hr@", Direction::kHigherIsBetter},
               {"ndcg@", Direction::kHigherIsBetter},
               {"mrr", Direction::kHigherIsBetter}};
  f.validation_metric = "mrr";
  f.make_task = [](const TaskContext& c) -> std::unique_ptr<Task> {
    return std::make_unique<ProbeTask>(c);
  };
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(probe, probe_family());

}  // namespace
}  // namespace rsdist::train
