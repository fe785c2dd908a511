#include "train/gcl4sr_task.hpp"

#include <ATen/core/grad_mode.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "core/error.hpp"
#include "core/rng.hpp"
#include "data/corpus_manifest.hpp"
#include "data/seq/seq_corpus.hpp"
#include "ddp/control.hpp"
#include "eval/full_ranking.hpp"
#include "loader/seq_batcher.hpp"
#include "models/gcl4sr_model.hpp"

namespace rsdist::train {
namespace {
namespace fs = std::filesystem;

constexpr std::uint64_t kEvalStream = 0x6576616c;  // "eval": graph views of evaluation chunks

// The items of each example's prefix, distinct and sorted: what full ranking masks.
seq::SequenceCorpus prefix_mask(const seq::SeqCorpus& corpus, const seq::PrefixExamples& examples,
                                std::span<const std::int64_t> ids) {
  seq::SequenceCorpus prefixes;
  for (const std::int64_t e : ids) {
    prefixes.append(e,
                    seq::example_prefix(corpus.sequences, examples, static_cast<std::size_t>(e)));
  }
  return seq::training_rating_matrix(prefixes);
}

class Gcl4srTask final : public Task {
 public:
  explicit Gcl4srTask(const TaskContext& c)
      : config_(c.config), corpus_dir_(c.config.get_string("corpus")), device_(c.device) {
    RSDIST_CHECK(fs::exists(corpus_dir_ / "manifest.json"),
                 "--corpus {}: no manifest.json (not a complete corpus from 'rsdist preprocess "
                 "seq')",
                 corpus_dir_.string());
    const data::CorpusManifest manifest = data::read_corpus_manifest(corpus_dir_);
    RSDIST_CHECK(manifest.kind == "seq",
                 "--corpus {}: a '{}' corpus; GCL4SR trains on a 'seq' corpus ('rsdist "
                 "preprocess seq')",
                 corpus_dir_.string(), manifest.kind);
    corpus_ = seq::read_seq_corpus(corpus_dir_);
    RSDIST_CHECK(!corpus_.splits.train.rows.empty(), "--corpus {}: no training examples",
                 corpus_dir_.string());
    models::Gcl4srOptions o;
    o.num_users = static_cast<std::int64_t>(corpus_.sequences.num_sequences());
    o.num_items = corpus_.graph.num_nodes;
    o.hidden_size = c.config.get_int("hidden_size");
    o.max_seq_length = c.config.get_int("max_seq_length");
    o.num_layers = c.config.get_int("num_hidden_layers");
    o.num_heads = c.config.get_int("num_attention_heads");
    o.dropout = c.config.get_float("hidden_dropout_prob");
    o.init_seed = static_cast<std::uint64_t>(c.config.get_int("seed"));
    model_ = models::Gcl4srModel(o);
    model_->to(device_);
    weights_.lambda_gcl = c.config.get_float("lambda_gcl");
    weights_.lambda_mmd = c.config.get_float("lambda_mmd");
    weights_.temperature = c.config.get_float("temperature");
    batch_options_.max_seq_length = o.max_seq_length;
    batch_options_.sample_size = static_cast<int>(c.config.get_int("sample_size_hop1"));
    rank_ = c.rank;
  }

  torch::nn::Module& model() override { return *model_; }
  std::vector<std::int64_t> shard_sizes() const override {
    return {static_cast<std::int64_t>(corpus_.splits.train.size())};
  }
  std::string default_validation_metric() const override { return "ndcg20"; }

  double learning_rate_factor(std::int64_t epoch) const override {
    return std::pow(config_.get_float("lr_decay"),
                    static_cast<double>(epoch / config_.get_int("lr_decay_every")));
  }

  void begin_epoch(std::int64_t epoch, std::vector<std::int64_t> samples, std::int64_t batch_size,
                   std::int64_t skip_batches) override {
    batcher_.reset();
    const auto skip = std::min<std::int64_t>(skip_batches * batch_size,
                                             static_cast<std::int64_t>(samples.size()));
    samples.erase(samples.begin(), samples.begin() + skip);
    loader::SeqBatcherOptions options;
    options.batch_size = batch_size;
    options.batch = batch_options_;
    options.seed = static_cast<std::uint64_t>(config_.get_int("seed"));
    options.epoch = epoch;
    options.rank = rank_;
    options.first_batch = skip_batches;
    options.threads = static_cast<std::int32_t>(config_.get_int("loader_threads"));
    options.device = device_;
    batcher_ = std::make_unique<loader::SeqBatcher>(corpus_, corpus_.splits.train,
                                                    std::move(samples), options);
    model_->train();
  }

  std::optional<StepLoss> next_loss() override {
    RSDIST_CHECK(batcher_ != nullptr, "next_loss() before begin_epoch()");
    std::optional<models::SeqBatch> batch = batcher_->next();
    if (!batch) return std::nullopt;
    const models::Gcl4srLosses l = model_->losses(*batch, weights_);
    return StepLoss{l.total,
                    batch->size(),
                    {{"main", l.main.detach()}, {"gcl", l.gcl.detach()}, {"mmd", l.mmd.detach()}}};
  }

  std::string loader_summary() const override {
    if (!batcher_) return {};
    const loader::SeqLoaderStatistics s = batcher_->statistics();
    return fmt::format(
        "loader wait {:.2f} s; building batches {:.2f} s on the loader threads, of which "
        "neighbour sampling {:.2f} s; {:.0f} sampled edges per batch",
        s.wait_seconds, s.build_seconds, s.sample_seconds,
        s.batches ? static_cast<double>(s.edges) / static_cast<double>(s.batches) : 0.0);
  }

  bool has_split(Split) const override { return true; }
  bool split_labeled(Split) const override { return true; }

  Metrics evaluate(Split split, ddp::Communicator& comm, const EvaluateOptions& options) override {
    RSDIST_CHECK(!options.prediction_file,
                 "--prediction writes MIND's prediction.txt, which GCL4SR has no equivalent of; "
                 "use 'rsdist recommend' for top-k lists");
    const seq::PrefixExamples& examples = examples_of(split);
    const auto count = static_cast<std::int64_t>(examples.size());
    const std::int64_t chunk = config_.get_int("batch_size");
    at::NoGradGuard no_grad;
    model_->eval();
    eval::TopKMetrics metrics;
    std::int64_t unmaskable = 0;
    std::vector<std::int64_t> ids;
    for (std::int64_t c = options.rank; c * chunk < count; c += options.world) {
      ids.clear();
      for (std::int64_t e = c * chunk; e < std::min(count, (c + 1) * chunk); ++e) ids.push_back(e);
      const at::Tensor users = user_representation(examples, ids, eval_stream(split, c));
      const seq::SequenceCorpus mask = prefix_mask(corpus_, examples, ids);
      std::vector<std::int32_t> targets;
      for (const std::int64_t e : ids)
        targets.push_back(examples.targets[static_cast<std::size_t>(e)]);
      unmaskable += eval::evaluate_full_ranking(users, model_->item_embedding(),
                                                {mask.offsets, mask.items}, targets, metrics);
    }
    model_->train();
    const auto packed = metrics.pack();
    std::vector<double> sums(packed.begin(), packed.end());
    sums.push_back(static_cast<double>(unmaskable));
    const std::vector<double> all = ddp::all_reduce_sum(comm, sums, device_);
    const eval::TopKResult r = eval::TopKMetrics::unpack(std::span<const double>(all).first(
                                                             eval::TopKMetrics::kPackedSize))
                                   .result();
    return {{"recall10", r.recall10},
            {"recall20", r.recall20},
            {"ndcg10", r.ndcg10},
            {"ndcg20", r.ndcg20},
            {"hr10", r.recall10},
            {"hr20", r.recall20},
            {"users", static_cast<double>(r.users)},
            {"unmaskable_targets", all[eval::TopKMetrics::kPackedSize]}};
  }

  std::vector<Recommendation> recommend(Split split, const std::vector<std::string>& users,
                                        std::int64_t k, std::int64_t max_users) override {
    const seq::PrefixExamples& examples = examples_of(split);
    std::unordered_map<std::string, std::int64_t> example_of;
    for (std::size_t e = 0; e < examples.size(); ++e) {
      example_of.emplace(
          std::to_string(corpus_.sequences.users[static_cast<std::size_t>(examples.rows[e])]),
          static_cast<std::int64_t>(e));
    }
    std::vector<std::int64_t> ids;
    if (users.empty()) {
      for (std::int64_t e = 0; e < std::min<std::int64_t>(max_users, examples.size()); ++e)
        ids.push_back(e);
    }
    for (const std::string& name : users) {
      const auto it = example_of.find(name);
      RSDIST_CHECK(it != example_of.end(), "--users: '{}' is no user of {}", name,
                   corpus_dir_.string());
      ids.push_back(it->second);
    }
    std::vector<Recommendation> out;
    if (ids.empty()) return out;
    at::NoGradGuard no_grad;
    model_->eval();
    const at::Tensor repr = user_representation(examples, ids, eval_stream(split, -1));
    const seq::SequenceCorpus mask = prefix_mask(corpus_, examples, ids);
    const at::Tensor items = model_->item_embedding();
    const eval::TopKLists lists =
        eval::full_ranking_topk(repr, items, {mask.offsets, mask.items}, k);
    for (std::int64_t u = 0; u < lists.num_users; ++u) {
      Recommendation r;
      r.user = std::to_string(corpus_.sequences.users[static_cast<std::size_t>(
          examples.rows[static_cast<std::size_t>(ids[static_cast<std::size_t>(u)])])]);
      for (const std::int64_t item : lists.row(u)) {
        if (item < 0) break;
        r.items.push_back(std::to_string(item));
        r.scores.push_back(
            at::dot(repr[u].to(at::kFloat), items[item].to(at::kFloat)).item<float>());
      }
      out.push_back(std::move(r));
    }
    return out;
  }

 private:
  const seq::PrefixExamples& examples_of(Split split) const {
    return split == Split::kDev ? corpus_.splits.valid : corpus_.splits.test;
  }

  Rng eval_stream(Split split, std::int64_t chunk) const {
    return Rng::stream(
        static_cast<std::uint64_t>(config_.get_int("seed")),
        {kEvalStream, static_cast<std::uint64_t>(split), static_cast<std::uint64_t>(chunk)});
  }

  // Eval-mode user representations of examples `ids`, [B, D] on the device.
  at::Tensor user_representation(const seq::PrefixExamples& examples,
                                 const std::vector<std::int64_t>& ids, Rng rng) {
    const models::SeqBatch batch =
        loader::build_seq_batch(corpus_, examples, ids, batch_options_, rng).to(device_);
    return model_->user_representation(batch);
  }

  const Config& config_;
  fs::path corpus_dir_;
  at::Device device_;
  int rank_ = 0;
  seq::SeqCorpus corpus_;
  models::Gcl4srModel model_{nullptr};
  models::Gcl4srLossWeights weights_;
  loader::SeqBatchOptions batch_options_;
  std::unique_ptr<loader::SeqBatcher> batcher_;
};

}  // namespace

std::unique_ptr<Task> make_gcl4sr_task(const TaskContext& context) {
  return std::make_unique<Gcl4srTask>(context);
}

}  // namespace rsdist::train
