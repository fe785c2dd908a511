// `rsdist preprocess seq|mind`: raw data -> a corpus directory, written atomically.
#include <chrono>
#include <ostream>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "core/stopwatch.hpp"
#include "core/staging.hpp"
#include "data/mind/mind_corpus.hpp"
#include "data/seq/seq_corpus.hpp"

namespace rsdist::app {
namespace {

int preprocess_seq(const Config& config, CommandIo& io) {
  // Required only for `seq`, so that the schema leaves room for the MIND options (issue 4).
  RSDIST_CHECK(config.has("input"), "rsdist preprocess seq: --input FILE is required");
  seq::SeqCorpusOptions options;
  options.input = config.get_string("input");
  options.format = config.get_string("format");
  options.normalization = seq::parse_witg_normalization(config.get_string("witg_normalization"));

  const auto start = SteadyClock::now();
  StagingDirectory staging(config.get_string("out"), config.get_bool("force"));
  const seq::SeqCorpusCounts c = seq::write_seq_corpus(options, staging.path());
  staging.commit();
  const double seconds = seconds_since(start);
  io.log.root->info(
      "preprocess seq: wrote {} in {:.2f} s ({} users, {} items, {} interactions; "
      "train/valid/test {}/{}/{}; graph {} nodes, {} edges, normalization {})",
      staging.destination().string(), seconds, c.users, c.items, c.interactions, c.train_examples,
      c.valid_examples, c.test_examples, c.graph_nodes, c.graph_edges,
      seq::witg_normalization_name(options.normalization));
  return 0;
}


int preprocess_mind(const Config& config, CommandIo& io) {
  // Required only for `mind` (checked here, as --input is for seq).
  for (const char* name : {"train", "dev", "glove"}) {
    RSDIST_CHECK(config.has(name), "rsdist preprocess mind: --{} is required", name);
  }
  mind::MindCorpusOptions o;
  o.train_dir = config.get_string("train");
  o.dev_dir = config.get_string("dev");
  if (config.has("test")) o.test_dir = config.get_string("test");
  o.glove = config.get_string("glove");
  o.shards = static_cast<std::int32_t>(config.get_int("shards"));
  o.seed = static_cast<std::uint64_t>(config.get_int("seed"));
  o.skip_bad_lines = config.get_bool("skip_bad_lines");
  o.skip_invalid_glove_words = config.get_string("invalid_glove_words") == "skip";
  o.entity_dim = static_cast<std::int32_t>(config.get_int("entity_dim"));
  o.vocabulary.word_threshold = config.get_int("word_threshold");
  o.tensors.max_title_length = static_cast<std::int32_t>(config.get_int("max_title_length"));
  o.tensors.max_abstract_length = static_cast<std::int32_t>(config.get_int("max_abstract_length"));
  o.behaviors.max_history_num = static_cast<std::int32_t>(config.get_int("max_history_num"));
  o.behaviors.missing_news = config.get_string("missing_news") == "skip" ? mind::MissingNews::kSkip
                                                                         : mind::MissingNews::kError;
  o.negative_sample_num = static_cast<std::int32_t>(config.get_int("negative_sample_num"));
  o.graph.self_connection = config.get_bool("self_connection");
  o.graph.adjacent_normalization = config.get_bool("adjacent_normalization");
  o.graph.normalization = config.get_string("gcn_normalization_type") == "symmetric"
                              ? mind::GraphNormalization::kSymmetric
                              : mind::GraphNormalization::kAsymmetric;

  const auto start = SteadyClock::now();
  StagingDirectory staging(config.get_string("out"), config.get_bool("force"));
  mind::MindStageSeconds t;
  const nlohmann::ordered_json c = mind::write_mind_corpus(o, staging.path(), &t);
  staging.commit();
  const double seconds = seconds_since(start);
  io.log.root->info(
      "preprocess mind: wrote {} in {:.2f} s ({} news, {} words ({} in GloVe), {} entities, {} "
      "users; train {} samples in {} shard(s), dev {} candidates{}; missing news {}; skipped lines "
      "{})",
      staging.destination().string(), seconds, c["news"].get<std::int64_t>(),
      c["words"].get<std::int64_t>(), c["glove_words_found"].get<std::int64_t>(),
      c["entities"].get<std::int64_t>(), c["users"].get<std::int64_t>(),
      c["train_samples"].get<std::int64_t>(), o.shards, c["dev_candidates"].get<std::int64_t>(),
      c.contains("test_candidates")
          ? fmt::format(", test {} candidates", c["test_candidates"].get<std::int64_t>())
          : std::string(),
      c["missing_news"].dump(), c["skipped_lines"].dump());
  io.log.root->info(
      "preprocess mind: stages (s): read news {:.2f}, tokenise+dictionaries {:.2f}, GloVe "
      "{:.2f} (overlapped), entities+behaviors pass 1 {:.2f}, digests {:.2f} (overlapped), "
      "write (behaviors pass 2) {:.2f}",
      t.read_inputs, t.dictionaries, t.glove, t.behaviors, t.digests, t.write);
  return 0;
}

}  // namespace

OptionSchema preprocess_schema() {
  OptionSchema s("rsdist preprocess");
  add_common_options(s);
  s.group("preprocess")
      .add_string("kind", std::nullopt, "what to preprocess: seq (sequences), mind (MIND news)")
      .required()
      .positional()
      .choices({"seq", "mind"})
      .add_string("out", std::nullopt, "corpus directory (written atomically)")
      .required()
      .add_flag("force", "replace an existing corpus directory");
  s.group("seq")
      .add_string("input", std::nullopt,
                  "sequence file: GCL4SR 'user i1,i2,...' or S3Rec 'user i i ...' lines")
      .add_string("format", "auto", "input format; auto: comma-separated if any ',' occurs")
      .choices({"auto", "gcl4sr", "s3rec"})
      .add_string("witg_normalization", "none",
                  "item transition graph weights: none (the seed notebook) or renorm (the "
                  "official code: w * (1/deg(row) + 1/deg(col)))")
      .choices({"none", "renorm"});
  // Defaults are NNR's config.py.
  const mind::MindCorpusOptions mind_defaults;
  s.group("mind")
      .add_string("train", std::nullopt, "MIND train folder (news.tsv, behaviors.tsv, *.vec)")
      .add_string("dev", std::nullopt, "MIND dev folder")
      .add_string("test", std::nullopt, "MIND test folder (optional; unlabeled impressions)")
      .add_string("glove", std::nullopt, "GloVe-format word vectors (text)")
      .add_int("shards", 1, "train sample files (contiguous ranges) for ranks to read apart")
      .at_least(1)
      .add_int("seed", 1, "seed of the noise of word vectors absent from GloVe")
      .at_least(0)
      .add_flag("skip_bad_lines", "skip and count malformed lines instead of stopping")
      .add_string("invalid_glove_words", "error",
                  "GloVe words that are not UTF-8: error, or skip and count (as torchtext)")
      .choices({"error", "skip"})
      .add_string("missing_news", "error",
                  "history/impression news ids absent from every news.tsv: error, or skip+count")
      .choices({"error", "skip"})
      .add_int("word_threshold", mind_defaults.vocabulary.word_threshold,
               "vocabulary: words counted at least this often")
      .at_least(1)
      .add_int("max_title_length", mind_defaults.tensors.max_title_length, "title tokens kept")
      .at_least(1)
      .add_int("max_abstract_length", mind_defaults.tensors.max_abstract_length,
               "abstract tokens kept")
      .at_least(1)
      .add_int("max_history_num", mind_defaults.behaviors.max_history_num,
               "most recent clicked news kept per history")
      .at_least(1)
      .add_int("entity_dim", mind_defaults.entity_dim, "entity/context vector size")
      .at_least(1)
      .add_int("negative_sample_num", mind_defaults.negative_sample_num,
               "negatives per positive (training time; recorded)")
      .at_least(1)
      .add_bool("self_connection", true, "history graph self-connections (training time)")
      .add_bool("adjacent_normalization", true, "normalise history graphs (training time)")
      .add_string("gcn_normalization_type", "symmetric", "history graph normalisation")
      .choices({"symmetric", "asymmetric"});
  return s;
}

int run_preprocess(const Config& config, CommandIo& io) {
  const std::string& kind = config.get_string("kind");
  if (kind == "seq") return preprocess_seq(config, io);
  RSDIST_CHECK(kind == "mind", "rsdist preprocess: unknown kind '{}'", kind);
  return preprocess_mind(config, io);
}

}  // namespace rsdist::app
