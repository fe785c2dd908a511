// --model pop on a sequence corpus: an item's count in the training sequences (each minus its last
// two items, the GCL4SR graph's input); full ranking with each user's prefix masked.
#include <ATen/ops/zeros.h>

#include "core/error.hpp"
#include "data/seq/seq_corpus.hpp"
#include "families/pop/population.hpp"
#include "loader/seq/seq_eval_split.hpp"
#include "train/ranking_evaluation.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

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
    if (eval_split.has_candidates()) {  // S3-Rec's 1 + 99 protocol
      source.sampled_scores = [scores, &eval_split, this](const RankingChunk& chunk) {
        const at::Tensor candidates = sequence_chunk_candidates(eval_split, chunk, device_);
        return scores.select(0, 0).index_select(0, candidates.view(-1)).view_as(candidates);
      };
    }
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

}  // namespace

std::unique_ptr<Population> make_seq_population(const Config& config, at::Device device) {
  return std::make_unique<SeqPopulation>(config, config.get_string("corpus"), device);
}

}  // namespace rsdist::train
