// --model pop on an interaction-matrix corpus: an item's count among the training interactions
// (loo and ratio: every user's training part; heldout_users: the training users'); full ranking
// with the user's known items masked, and NCF's sampled protocol (the held-out item against the
// corpus's stored negatives) when the corpus has candidates. Items start at 0 (no padding item).
#include "core/error.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "families/pop/population.hpp"
#include "loader/ratings/ratings_eval_split.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {

class RatingsPopulation final : public Population {
 public:
  RatingsPopulation(const Config& config, at::Device device)
      : source_dir_(config.get_string("corpus")),
        device_(device),
        corpus_(ratings::read_ratings_corpus(source_dir_)),
        ranking_(ranking_settings(config)) {
    ranking_.item0_is_padding = false;
  }

  std::int64_t items() const override { return corpus_.num_items(); }

  // Rank r counts users r, r + world, ...
  std::vector<double> local_counts(int rank, int world) const override {
    std::vector<double> counts(static_cast<std::size_t>(items()), 0.0);
    const ratings::UserItemMatrix& train = corpus_.parts.at("train");
    for (std::int64_t u = rank; u < train.num_users(); u += world) {
      for (const std::int32_t item : train.items_of(u)) counts[static_cast<std::size_t>(item)] += 1;
    }
    return counts;
  }

  bool has_split(Split) const override { return true; }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(const at::Tensor& counts, Split split, ddp::Communicator& comm,
                   const EvaluateOptions& options) override {
    const loader::RatingsEvalSplit eval_split(corpus_, split == Split::kTest);
    return evaluate_ranking(ranking_source(counts, eval_split), ranking_, comm, options, device_);
  }

  std::vector<Recommendation> recommend(const at::Tensor& counts, Split split,
                                        const std::vector<std::string>& users, std::int64_t k,
                                        std::int64_t max_users) override {
    const loader::RatingsEvalSplit eval_split(corpus_, split == Split::kTest);
    return recommend_ratings(ranking_source(counts, eval_split), eval_split, users, k, max_users,
                             ranking_, source_dir_.string());
  }

 private:
  // Every user's scores are the counts; the sampled protocol picks the candidates' counts.
  RankingSource ranking_source(const at::Tensor& counts, const loader::RatingsEvalSplit& split) {
    RankingSource source = ratings_ranking_source(split);
    const at::Tensor scores = counts.to(device_, at::kFloat);
    source.full_scores = [scores](const RankingChunk& chunk) {
      return scores.unsqueeze(0).expand(
          {static_cast<std::int64_t>(chunk.users.size()), scores.size(0)});
    };
    if (split.has_candidates()) {
      source.sampled_scores = [scores, &split, this](const RankingChunk& chunk) {
        const at::Tensor candidates = ratings_chunk_candidates(split, chunk, device_);
        return scores.index_select(0, candidates.view(-1)).view_as(candidates);
      };
    }
    return source;
  }

  std::filesystem::path source_dir_;
  at::Device device_;
  ratings::RatingsCorpus corpus_;
  RankingSettings ranking_;
};

}  // namespace

std::unique_ptr<Population> make_ratings_population(const Config& config, at::Device device) {
  return std::make_unique<RatingsPopulation>(config, device);
}

}  // namespace rsdist::train
