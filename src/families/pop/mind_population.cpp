// --model pop on a MIND corpus: a news's clicks in the training impressions; candidates scored by
// it, recommendations from the split's candidate pool.
#include <algorithm>
#include <map>
#include <numeric>

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "families/pop/population.hpp"
#include "loader/mind/eval_impressions.hpp"
#include "loader/mind/train_samples.hpp"
#include "train/impression_protocol.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

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

}  // namespace

std::unique_ptr<Population> make_mind_population(const Config& config, at::Device device) {
  return std::make_unique<MindPopulation>(config.get_string("corpus"), device);
}

}  // namespace rsdist::train
