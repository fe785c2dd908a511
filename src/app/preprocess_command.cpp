// `rsdist preprocess seq|mind|ratings`: raw data -> a corpus directory, written atomically.
#include <chrono>
#include <optional>
#include <ostream>

#include "app/commands.hpp"
#include "core/error.hpp"
#include "core/staging.hpp"
#include "core/stopwatch.hpp"
#include "data/mind/mind_corpus.hpp"
#include "data/ratings/ratings_corpus.hpp"
#include "data/seq/seq_corpus.hpp"

namespace rsdist::app {
namespace {

int preprocess_seq(const Config& config, CommandIo& io) {
  // Required only for `seq`, so that the schema leaves room for the MIND options (issue 4).
  RSDIST_CHECK(config.has("input"), "rsdist preprocess seq: --input FILE is required");
  seq::SeqCorpusOptions options;
  options.input = config.get_string("input");
  options.format = config.get_string("format");
  RSDIST_CHECK(options.format == "auto" || options.format == "gcl4sr" || options.format == "s3rec",
               "rsdist preprocess seq: --format {} is a ratings format; expected auto, gcl4sr or "
               "s3rec",
               options.format);
  options.normalization = seq::parse_witg_normalization(config.get_string("witg_normalization"));
  if (config.has("attributes")) options.attributes = config.get_string("attributes");
  if (config.has("negatives")) options.negatives = config.get_int("negatives");
  options.seed = static_cast<std::uint64_t>(config.get_int("seed"));

  const auto start = SteadyClock::now();
  StagingDirectory staging(config.get_string("out"), config.get_bool("force"));
  const seq::SeqCorpusCounts c = seq::write_seq_corpus(options, staging.path());
  staging.commit();
  const double seconds = seconds_since(start);
  io.log.root->info(
      "preprocess seq: wrote {} in {:.2f} s ({} users, {} items, {} interactions; "
      "train/valid/test {}/{}/{}; graph {} nodes, {} edges, normalization {}; {} sampled "
      "negatives per user)",
      staging.destination().string(), seconds, c.users, c.items, c.interactions, c.train_examples,
      c.valid_examples, c.test_examples, c.graph_nodes, c.graph_edges,
      seq::witg_normalization_name(options.normalization), c.negatives_per_user);
  if (!c.negatives_note.empty()) io.log.root->warn("preprocess seq: {}", c.negatives_note);
  if (!options.attributes.empty()) {
    io.log.root->info(
        "preprocess seq: attributes from {}: {} ids (table {}), {} items with attributes, {} "
        "without, {} unknown items dropped",
        options.attributes, c.attributes.distinct_attributes, c.attribute_table,
        c.attributes.items_with_attributes, c.attributes.items_without_attributes,
        c.attributes.unknown_items);
  }
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
  o.behaviors.missing_news = config.get_string("missing_news") == "skip"
                                 ? mind::MissingNews::kSkip
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

// An option the command line or a config file gave, or none: options whose default depends on
// other options are declared without one.
std::optional<std::string> optional_string(const Config& config, const char* name) {
  return config.has(name) ? std::optional<std::string>(config.get_string(name)) : std::nullopt;
}

ratings::RatingsCorpusOptions ratings_options(const Config& config) {
  RSDIST_CHECK(config.has("input"), "rsdist preprocess ratings: --input FILE is required");
  ratings::RatingsCorpusOptions o;
  o.input.path = config.get_string("input");
  o.input.format = ratings::parse_ratings_format(config.get_string("format"));
  const bool csv = o.input.format == ratings::RatingsFormat::kCsv ||
                   o.input.format == ratings::RatingsFormat::kAuto;
  for (const char* name : {"delimiter", "header"}) {
    RSDIST_CHECK(csv || !config.has(name), "--{} applies to --format csv or auto, not {}", name,
                 config.get_string("format"));
  }
  o.input.delimiter = optional_string(config, "delimiter").value_or("auto");
  o.input.header = optional_string(config, "header").value_or("auto");
  o.input.user_column = optional_string(config, "user_column");
  o.input.item_column = optional_string(config, "item_column");
  o.input.rating_column = optional_string(config, "rating_column");
  o.input.time_column = optional_string(config, "time_column");
  if (config.has("implicit_threshold"))
    o.implicit_threshold = config.get_float("implicit_threshold");
  o.min_user_interactions = config.get_int("min_user_interactions");
  o.min_item_interactions = config.get_int("min_item_interactions");

  ratings::SplitOptions& split = o.split;
  split.method = ratings::parse_split_method(config.get_string("split"));
  split.seed = static_cast<std::uint64_t>(config.get_int("seed"));
  const bool loo = split.method == ratings::SplitMethod::kLoo;
  const bool ratio = split.method == ratings::SplitMethod::kRatio;
  const bool heldout = split.method == ratings::SplitMethod::kHeldoutUsers;
  RSDIST_CHECK(ratio || !config.has("ratio"), "--ratio applies to --split ratio only");
  if (config.has("ratio")) split.ratio = ratings::parse_split_ratio(config.get_string("ratio"));
  for (const char* name : {"heldout_users", "heldout_fraction"}) {
    RSDIST_CHECK(heldout || !config.has(name), "--{} applies to --split heldout_users only", name);
  }
  RSDIST_CHECK(!heldout || config.has("heldout_users"),
               "--split heldout_users needs --heldout_users N (validation and test users each)");
  if (heldout) split.heldout_users = config.get_int("heldout_users");
  if (config.has("heldout_fraction")) split.heldout_fraction = config.get_float("heldout_fraction");
  RSDIST_CHECK(loo || !config.has("negatives") || config.get_int("negatives") == 0,
               "--negatives applies to --split loo only (sampled candidates of the NCF protocol)");
  o.negatives = config.has("negatives") ? config.get_int("negatives")
                                        : (loo ? ratings::kDefaultLooNegatives : 0);
  return o;
}

int preprocess_ratings(const Config& config, CommandIo& io) {
  const ratings::RatingsCorpusOptions o = ratings_options(config);
  const auto start = SteadyClock::now();
  StagingDirectory staging(config.get_string("out"), config.get_bool("force"));
  const nlohmann::ordered_json c = ratings::write_ratings_corpus(o, staging.path());
  staging.commit();
  std::string parts;
  for (const std::string& name : ratings::split_part_names(o.split.method)) {
    parts += fmt::format("{}{} {}", parts.empty() ? "" : ", ", name,
                         c[name + "_interactions"].get<std::int64_t>());
  }
  io.log.root->info(
      "preprocess ratings: wrote {} in {:.2f} s ({} rows: {} users, {} items, {} interactions, "
      "density {:.5f}; {} duplicates, {} filtered; split {}: {}; {} negatives per user)",
      staging.destination().string(), seconds_since(start), c["input_rows"].get<std::int64_t>(),
      c["users"].get<std::int64_t>(), c["items"].get<std::int64_t>(),
      c["interactions"].get<std::int64_t>(), c["density"].get<double>(),
      c["duplicates"].get<std::int64_t>(), c["filtered_rows"].get<std::int64_t>(),
      ratings::split_method_name(o.split.method), parts, o.negatives);
  return 0;
}

}  // namespace

OptionSchema preprocess_schema() {
  OptionSchema s("rsdist preprocess");
  add_common_options(s);
  s.group("preprocess")
      .add_string("kind", std::nullopt,
                  "what to preprocess: seq (sequences), mind (MIND news), ratings (user-item "
                  "interactions)")
      .required()
      .positional()
      .choices({"seq", "mind", "ratings"})
      .add_string("out", std::nullopt, "corpus directory (written atomically)")
      .required()
      .add_flag("force", "replace an existing corpus directory")
      .add_string("input", std::nullopt,
                  "seq: sequence file ('user i1,i2,...' or 'user i i ...' lines); ratings: "
                  "ratings file (u.data, ratings.dat, ratings.csv or any CSV/TSV)")
      .add_string("format", "auto",
                  "seq: auto (comma-separated if any ',' occurs), gcl4sr, s3rec; ratings: auto "
                  "(by name and first line), ml100k, ml1m, csv")
      .choices({"auto", "gcl4sr", "s3rec", "ml100k", "ml1m", "csv"})
      .add_int("seed", 1,
               "mind: noise of word vectors absent from GloVe; ratings: the split and negatives; "
               "seq: the sampled negatives")
      .at_least(0);
  s.group("seq")
      .add_string("witg_normalization", "none",
                  "item transition graph weights: none (the seed notebook) or renorm (the "
                  "official code: w * (1/deg(row) + 1/deg(col)))")
      .choices({"none", "renorm"})
      .add_string("attributes", std::nullopt,
                  "item attributes: a JSON object of item id -> attribute ids (S3-Rec's "
                  "*_item2attributes.json), stored in the corpus");
  // Defaults are NNR's config.py.
  const mind::MindCorpusOptions mind_defaults;
  s.group("mind")
      .add_string("train", std::nullopt, "MIND train folder (news.tsv, behaviors.tsv, *.vec)")
      .add_string("dev", std::nullopt, "MIND dev folder")
      .add_string("test", std::nullopt, "MIND test folder (optional; unlabeled impressions)")
      .add_string("glove", std::nullopt, "GloVe-format word vectors (text)")
      .add_int("shards", 1, "train sample files (contiguous ranges) for ranks to read apart")
      .at_least(1)
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
  s.group("ratings")
      .add_string(
          "delimiter", std::nullopt,
          "csv: field separator (tab, ',', '::', ...); default auto: '::', else a tab, else "
          "',' as found in the first line")
      .add_string("header", std::nullopt,
                  "csv: whether line 1 names the columns; default auto: yes iff none of its fields "
                  "is a number")
      .choices({"auto", "true", "false"})
      .add_string("user_column", std::nullopt,
                  "csv: user column, a header name or 0-based index (default userId/user_id/user, "
                  "or 0)")
      .add_string("item_column", std::nullopt,
                  "csv: item column (default movieId/itemId/item_id/item, or 1)")
      .add_string("rating_column", std::nullopt,
                  "csv: rating column (default rating, or 2 if present; absent: ratings are 1)")
      .add_string("time_column", std::nullopt,
                  "csv: timestamp column (default timestamp/time, or 3 if present; absent: 0)")
      .add_float("implicit_threshold", std::nullopt,
                 "keep ratings >= this and store them as 1 (implicit feedback); absent: keep all "
                 "ratings as they are")
      .add_int("min_user_interactions", 0, "k-core: drop users with fewer (iterated with items)")
      .at_least(0)
      .add_int("min_item_interactions", 0, "k-core: drop items with fewer (iterated with users)")
      .at_least(0)
      .add_string("split", "loo",
                  "loo (latest by time is test, the one before valid), ratio (random per user), "
                  "heldout_users (Mult-VAE's strong generalisation)")
      .choices({"loo", "ratio", "heldout_users"})
      .add_string("ratio", std::nullopt, "ratio: train,valid,test shares (default 0.8,0.1,0.1)")
      .add_int("heldout_users", std::nullopt, "heldout_users: validation users = test users")
      .at_least(1)
      .add_float("heldout_fraction", std::nullopt,
                 "heldout_users: share of a held-out user's interactions held out (default 0.2)")
      .add_int(
          "negatives", std::nullopt,
          "seq and loo ratings: sampled evaluation candidates per user, never one of the user's "
          "items (default 99; 0: none)")
      .at_least(0);
  return s;
}

int run_preprocess(const Config& config, CommandIo& io) {
  const std::string& kind = config.get_string("kind");
  if (kind == "seq") return preprocess_seq(config, io);
  if (kind == "ratings") return preprocess_ratings(config, io);
  RSDIST_CHECK(kind == "mind", "rsdist preprocess: unknown kind '{}'", kind);
  return preprocess_mind(config, io);
}

}  // namespace rsdist::app
