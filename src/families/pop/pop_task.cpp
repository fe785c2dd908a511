// The most-popular baseline (`--model pop`): every user gets the items the training data
// interacted with most, ties by the lower item id. Closed form: each rank counts its share of the
// training interactions and the counts are all-reduced, so any number of ranks gives the counts of
// one process exactly. The counts are the model (a buffer, saved in checkpoints), evaluated and
// recommending like every other family:
//  * sequence corpora: an item's count in the training sequences (each minus its last two items,
//    the GCL4SR graph's input); full ranking with each user's prefix masked (eval/ranking.hpp);
//  * MIND corpora: a news's clicks in the training impressions; candidates scored by it.
#include <ATen/ops/from_blob.h>
#include <ATen/ops/zeros.h>
#include <torch/nn/module.h>

#include <algorithm>
#include <numeric>

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "data/seq/seq_corpus.hpp"
#include "ddp/collectives.hpp"
#include "loader/mind/eval_impressions.hpp"
#include "loader/mind/train_samples.hpp"
#include "loader/seq/seq_eval_split.hpp"
#include "train/impression_protocol.hpp"
#include "train/model_family.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

struct PopModel : torch::nn::Module {
  explicit PopModel(std::int64_t items)
      : counts(register_buffer("item_counts", at::zeros({items}, at::kDouble))) {}
  at::Tensor counts;  // [items], float64: whole numbers, exact
};

// Interaction counts of one corpus kind: how a rank counts its share, how a split is judged.
class Population {
 public:
  virtual ~Population() = default;
  virtual std::int64_t items() const = 0;
  // This rank's share of the training interactions, per item.
  virtual std::vector<double> local_counts(int rank, int world) const = 0;
  virtual bool has_split(Split split) const = 0;
  virtual bool split_labeled(Split split) const = 0;
  virtual Metrics evaluate(const at::Tensor& counts, Split split, ddp::Communicator& comm,
                           const EvaluateOptions& options) = 0;
  virtual std::vector<Recommendation> recommend(const at::Tensor& counts, Split split,
                                                const std::vector<std::string>& users,
                                                std::int64_t k, std::int64_t max_users) = 0;
};

class SeqPopulation final : public Population {
 public:
  SeqPopulation(const Config& config, const fs::path& dir, at::Device device)
      : dir_(dir),
        device_(device),
        corpus_(seq::read_seq_corpus(dir)),
        ranking_(ranking_settings(config)) {}

  std::int64_t items() const override { return corpus_.graph.num_nodes; }

  std::vector<double> local_counts(int rank, int world) const override {
    std::vector<double> counts(static_cast<std::size_t>(items()), 0.0);
    const seq::SequenceCorpus& train = corpus_.splits.all_train_sequences;
    for (std::size_t row = static_cast<std::size_t>(rank); row < train.num_sequences();
         row += static_cast<std::size_t>(world)) {
      for (const std::int32_t item : train.sequence(row))
        counts[static_cast<std::size_t>(item)] += 1;
    }
    return counts;
  }

  bool has_split(Split) const override { return true; }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(const at::Tensor& counts, Split split, ddp::Communicator& comm,
                   const EvaluateOptions& options) override {
    RSDIST_CHECK(!options.prediction_file,
                 "--prediction writes MIND's prediction.txt; on a sequence corpus use 'rsdist "
                 "recommend' for top-k lists");
    const loader::SeqEvalSplit eval_split(corpus_, examples_of(split));
    return evaluate_ranking(ranking_source(counts, eval_split), ranking_, comm, options, device_);
  }

  std::vector<Recommendation> recommend(const at::Tensor& counts, Split split,
                                        const std::vector<std::string>& users, std::int64_t k,
                                        std::int64_t max_users) override {
    const loader::SeqEvalSplit eval_split(corpus_, examples_of(split));
    return recommend_ranking(
        ranking_source(counts, eval_split), eval_split.select(users, max_users, dir_.string()), k,
        ranking_, [&](std::int64_t e) { return eval_split.user_name(e); },
        [](std::int64_t item) { return std::to_string(item); });
  }

 private:
  // Every user's scores are the counts.
  RankingSource ranking_source(const at::Tensor& counts, const loader::SeqEvalSplit& eval_split) {
    RankingSource source = sequence_ranking_source(eval_split);
    const at::Tensor scores = counts.to(device_, at::kFloat).unsqueeze(0);
    source.full_scores = [scores](const RankingChunk& chunk) {
      return scores.expand({static_cast<std::int64_t>(chunk.users.size()), scores.size(1)});
    };
    return source;
  }

  const seq::PrefixExamples& examples_of(Split split) const {
    return split == Split::kDev ? corpus_.splits.valid : corpus_.splits.test;
  }

  fs::path dir_;
  at::Device device_;
  seq::SeqCorpus corpus_;
  RankingSettings ranking_;
};

class MindPopulation final : public Population {
 public:
  MindPopulation(const fs::path& dir, at::Device device)
      : dir_(dir),
        device_(device),
        news_(data::read_corpus_manifest(dir).counts.at("news").get<std::int64_t>()) {}

  std::int64_t items() const override { return news_; }

  // Rank r counts the clicks of training shards r, r + world, ...
  std::vector<double> local_counts(int rank, int world) const override {
    const auto sizes = loader::TrainSamples::read_shard_sizes(dir_);
    std::vector<std::int32_t> shards;
    for (std::size_t k = static_cast<std::size_t>(rank); k < sizes.size();
         k += static_cast<std::size_t>(world)) {
      shards.push_back(static_cast<std::int32_t>(k));
    }
    std::vector<double> counts(static_cast<std::size_t>(news_), 0.0);
    if (shards.empty()) return counts;
    const loader::TrainSamples samples = loader::TrainSamples::load_shards(dir_, shards);
    for (const std::int32_t shard : shards) {
      const std::int64_t first =
          std::accumulate(sizes.begin(), sizes.begin() + shard, std::int64_t{0});
      for (std::int64_t s = first; s < first + sizes[static_cast<std::size_t>(shard)]; ++s) {
        counts[static_cast<std::size_t>(samples.sample(s).positive)] += 1;
      }
    }
    return counts;
  }

  bool has_split(Split split) const override {
    return fs::exists(dir_ / (split == Split::kDev ? "dev.h5" : "test.h5"));
  }
  bool split_labeled(Split split) const override {
    const auto& label = impressions(split).label;
    return std::none_of(label.begin(), label.end(), [](std::int32_t l) { return l < 0; });
  }

  Metrics evaluate(const at::Tensor& counts, Split split, ddp::Communicator& comm,
                   const EvaluateOptions& options) override {
    const loader::EvalImpressions& e = impressions(split);
    const at::Tensor host = counts.cpu().contiguous();
    const auto score = [&](loader::ImpressionRange range) {
      std::vector<float> scores;
      for (std::int64_t i = range.begin; i < range.end; ++i) {
        for (const std::int32_t news : e.candidates_of(i)) {
          scores.push_back(static_cast<float>(host.data_ptr<double>()[news]));
        }
      }
      return scores;
    };
    return evaluate_impressions(e, score, split_labeled(split), comm, options, device_);
  }

  std::vector<Recommendation> recommend(const at::Tensor& counts, Split split,
                                        const std::vector<std::string>& users, std::int64_t k,
                                        std::int64_t max_users) override {
    const at::Tensor scores = counts.to(device_, at::kFloat);
    const auto score = [&](std::int64_t, const at::Tensor& pool) {
      return scores.index_select(0, pool);
    };
    return recommend_from_impressions(impressions(split), dir_, split, users, k, max_users, score,
                                      device_);
  }

 private:
  const loader::EvalImpressions& impressions(Split split) const {
    auto it = eval_.find(split);
    if (it == eval_.end()) {
      RSDIST_CHECK(has_split(split), "{} has no {} split", dir_.string(), split_name(split));
      const auto which = split == Split::kDev ? loader::EvalSplit::kDev : loader::EvalSplit::kTest;
      it = eval_.emplace(split, loader::EvalImpressions::load(dir_, which)).first;
    }
    return it->second;
  }

  fs::path dir_;
  at::Device device_;
  std::int64_t news_;
  mutable std::map<Split, loader::EvalImpressions> eval_;
};

class PopTask final : public Task {
 public:
  explicit PopTask(const TaskContext& c) : device_(c.device) {
    const fs::path dir = c.config.get_string("corpus");
    if (data::read_corpus_manifest(dir).kind == "mind") {
      population_ = std::make_unique<MindPopulation>(dir, c.device);
    } else {
      population_ = std::make_unique<SeqPopulation>(c.config, dir, c.device);
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
  f.corpus_kinds = {"seq", "mind"};
  f.metrics = {{"hr@"}, {"recall@"}, {"ndcg@"}, {"mrr"}, {"auc"}};
  f.validation_metric = "ndcg20";
  f.choose_validation_metric = [](const Config& config) -> std::string {
    return data::read_corpus_manifest(config.get_string("corpus")).kind == "mind" ? "auc"
                                                                                  : "ndcg20";
  };
  f.make_task = [](const TaskContext& c) -> std::unique_ptr<Task> {
    return std::make_unique<PopTask>(c);
  };
  return f;
}

RSDIST_REGISTER_MODEL_FAMILY(pop, pop_family());

}  // namespace
}  // namespace rsdist::train
