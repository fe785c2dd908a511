#include "families/ease/ease_task.hpp"

#include <ATen/core/grad_mode.h>
#include <ATen/ops/tensor.h>
#include <ATen/ops/zeros.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>

#include "core/error.hpp"
#include "core/memory_info.hpp"
#include "core/stopwatch.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "ddp/backends.hpp"
#include "loader/ratings/ratings_eval_split.hpp"
#include "models/ease_solve.hpp"
#include "models/sparse_rows.hpp"
#include "train/model_family.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {

struct EaseModuleImpl : torch::nn::Module {
  explicit EaseModuleImpl(std::int64_t items)
      : item_weights(register_buffer("item_weights", at::zeros({items, items}))) {}
  at::Tensor item_weights;  // B
};

// The Gram matrix of users rank, rank + world, ... of `rows`, on the host in float32 (exact
// integer counts below 2^24 co-occurrences).
at::Tensor local_gram(const ratings::UserItemMatrix& rows, std::int64_t items, int rank,
                      int world) {
  at::Tensor gram = at::zeros({items, items}, at::kFloat);
  float* g = gram.data_ptr<float>();
  for (std::int64_t u = rank; u < rows.num_users(); u += world) {
    const auto row = rows.items_of(u);
    for (const std::int32_t a : row) {
      float* line = g + static_cast<std::int64_t>(a) * items;
      for (const std::int32_t b : row) line[b] += 1.0F;
    }
  }
  return gram;
}

class EaseTask final : public Task {
 public:
  explicit EaseTask(const TaskContext& c)
      : config_(c.config),
        corpus_dir_(c.config.get_string("corpus")),
        device_(c.device),
        rank_(c.rank),
        world_(c.world),
        corpus_(ratings::read_ratings_corpus(corpus_dir_)),
        ranking_(ranking_settings(c.config)),
        lambdas_(lambdas_of(c.config)),
        dtype_(c.config.get_string("ease_dtype") == "float64" ? at::kDouble : at::kFloat) {
    ranking_.item0_is_padding = false;
    models::check_ease_memory(corpus_.num_items(), dtype_, available_memory(), device_.str());
    model_ = torch::nn::ModuleHolder<EaseModuleImpl>(corpus_.num_items());
    model_->to(device_);
  }

  torch::nn::Module& model() override { return *model_; }
  bool closed_form() const override { return true; }

  void fit(ddp::Communicator& comm) override {
    auto start = SteadyClock::now();
    at::Tensor gram = local_gram(corpus_.parts.at("train"), corpus_.num_items(), rank_, world_)
                          .to(device_, dtype_);
    synchronize();
    const double gram_seconds = seconds_since(start);
    start = SteadyClock::now();
    comm.all_reduce(gram, ddp::ReduceOp::kSum);
    comm.barrier();
    const double reduce_seconds = seconds_since(start);
    start = SteadyClock::now();
    double best = lambdas_.front();
    if (lambdas_.size() > 1) {
      const Criterion criterion = run_criterion(config_);
      std::optional<double> best_value;
      for (const double lambda : lambdas_) {
        solve_into_model(gram, lambda);
        const double value =
            evaluate(Split::kDev, comm, {rank_, world_, std::nullopt}).at(criterion.metric);
        sweep_.emplace_back(lambda, value);
        const bool better = !best_value || (criterion.direction == Direction::kHigherIsBetter
                                                ? value > *best_value
                                                : value < *best_value);
        if (better) {
          best_value = value;
          best = lambda;
        }
      }
      summary_ = fmt::format("lambda sweep by dev {}: {}; chosen {}", criterion.metric,
                             fmt::join(sweep_text(), ", "), best);
    }
    solve_into_model(gram, best);
    synchronize();
    lambda_ = best;
    if (summary_.empty()) summary_ = fmt::format("lambda {}", best);
    summary_ += fmt::format(
        "; Gram matrix {:.2f} s (this rank's rows), all-reduce {:.2f} s, solve{} {:.2f} s",
        gram_seconds, reduce_seconds, lambdas_.size() > 1 ? "s and dev evaluations" : "",
        seconds_since(start));
  }

  std::string epoch_summary() const override { return summary_; }
  TaskState state() const override {
    return {{"lambda", at::tensor({lambda_}, at::kDouble)}};
  }
  void load_state(const TaskState& state) override {
    if (const auto it = state.find("lambda"); it != state.end()) lambda_ = it->second.item<double>();
  }

  bool has_split(Split) const override { return true; }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    const loader::RatingsEvalSplit eval_split(corpus_, split == Split::kTest);
    return evaluate_ranking(ranking_source(eval_split), ranking_, comm, options, device_);
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    const loader::RatingsEvalSplit eval_split(corpus_, split == Split::kTest);
    return recommend_ratings(ranking_source(eval_split), eval_split, users, k, max_users, ranking_,
                             corpus_dir_.string());
  }

 private:
  static std::vector<double> lambdas_of(const Config& config) {
    std::vector<double> out;
    for (const std::string& item : config.get_string_list("ease_lambda")) {
      char* end = nullptr;
      const double value = std::strtod(item.c_str(), &end);
      RSDIST_CHECK(end == item.c_str() + item.size() && value > 0, "invalid value '{}' for --ease_lambda ({}): '{}' is not a positive "
                   "number",
                   config.get_string("ease_lambda"), config.origin("ease_lambda"), item);
      out.push_back(value);
    }
    RSDIST_CHECK(!out.empty(), "--ease_lambda ({}) names no value", config.origin("ease_lambda"));
    return out;
  }

  // Waits for the device's queued work, so that the phase timings are the work's.
  void synchronize() const {
    if (device_.is_cuda()) (void)model_->item_weights.sum().item<float>();
  }

  std::optional<std::int64_t> available_memory() const {
    return device_.is_cuda() ? std::optional<std::int64_t>(ddp::cuda_free_memory_bytes())
                             : host_available_memory_bytes();
  }

  void solve_into_model(const at::Tensor& gram, double lambda) {
    const at::NoGradGuard no_grad;
    model_->item_weights.copy_(models::ease_weights(gram, lambda));
  }

  std::vector<std::string> sweep_text() const {
    std::vector<std::string> out;
    for (const auto& [lambda, value] : sweep_) out.push_back(fmt::format("{} -> {:.4f}", lambda, value));
    return out;
  }

  // Scores x_u B of a chunk's users from their known items: the sum of B's rows of those items.
  RankingSource ranking_source(const loader::RatingsEvalSplit& split) {
    RankingSource source = ratings_ranking_source(split);
    source.full_scores = [this, &split](const RankingChunk& chunk) {
      const at::NoGradGuard no_grad;
      return models::sparse_rows_mm(ratings_chunk_known_rows(split, chunk, device_),
                                    model_->item_weights);
    };
    sample_from_full_scores(source, split, device_);
    return source;
  }

  const Config& config_;
  std::filesystem::path corpus_dir_;
  at::Device device_;
  int rank_ = 0, world_ = 1;
  ratings::RatingsCorpus corpus_;
  RankingSettings ranking_;
  std::vector<double> lambdas_;
  at::ScalarType dtype_;
  torch::nn::ModuleHolder<EaseModuleImpl> model_{nullptr};
  double lambda_ = 0;
  std::vector<std::pair<double, double>> sweep_;
  std::string summary_;
};

}  // namespace

std::unique_ptr<Task> make_ease_task(const TaskContext& context) {
  return std::make_unique<EaseTask>(context);
}

}  // namespace rsdist::train
