#include "data/ratings/ratings_corpus.hpp"

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"
#include "data/hdf5/file.hpp"
#include "data/ratings/negatives.hpp"
#include "data/ratings/ratings_filters.hpp"

namespace rsdist::ratings {
namespace {

void write_strings(h5::File& file, const std::string& group, const std::vector<std::string>& s) {
  std::vector<std::uint8_t> bytes;
  std::vector<std::int64_t> offsets{0};
  offsets.reserve(s.size() + 1);
  for (const std::string& id : s) {
    bytes.insert(bytes.end(), id.begin(), id.end());
    offsets.push_back(static_cast<std::int64_t>(bytes.size()));
  }
  file.write(group + "/bytes", bytes);
  file.write(group + "/offsets", offsets);
}

std::vector<std::string> read_strings(const h5::File& file, const std::string& group) {
  const auto bytes = file.read<std::uint8_t>(group + "/bytes");
  const auto offsets = file.read<std::int64_t>(group + "/offsets");
  RSDIST_CHECK(!offsets.empty() && offsets.front() == 0 &&
                   offsets.back() == static_cast<std::int64_t>(bytes.size()),
               "{}: '{}' offsets do not cover its {} bytes", file.path(), group, bytes.size());
  std::vector<std::string> s;
  s.reserve(offsets.size() - 1);
  for (std::size_t k = 0; k + 1 < offsets.size(); ++k) {
    RSDIST_CHECK(offsets[k] <= offsets[k + 1], "{}: '{}/offsets' decreases at {}", file.path(),
                 group, k);
    s.emplace_back(reinterpret_cast<const char*>(bytes.data()) + offsets[k],
                   static_cast<std::size_t>(offsets[k + 1] - offsets[k]));
  }
  return s;
}

UserItemMatrix read_matrix(const h5::File& file, const std::string& group, std::int64_t users,
                           std::int64_t items) {
  UserItemMatrix m;
  m.offsets = file.read<std::int64_t>(group + "/offsets");
  m.items = file.read<std::int32_t>(group + "/items");
  m.ratings = file.read<float>(group + "/ratings");
  m.timestamps = file.read<std::int64_t>(group + "/timestamps");
  const auto n = static_cast<std::int64_t>(m.items.size());
  RSDIST_CHECK(m.num_users() == users && m.offsets.front() == 0 && m.offsets.back() == n &&
                   std::is_sorted(m.offsets.begin(), m.offsets.end()) &&
                   m.ratings.size() == m.items.size() && m.timestamps.size() == m.items.size(),
               "{}: '{}' is not a CSR over {} users (offsets {}, items {}, ratings {}, "
               "timestamps {})",
               file.path(), group, users, m.offsets.size(), m.items.size(), m.ratings.size(),
               m.timestamps.size());
  for (const std::int32_t item : m.items) {
    RSDIST_CHECK(item >= 0 && item < items, "{}: '{}/items' holds {}, outside 0..{}", file.path(),
                 group, item, items - 1);
  }
  return m;
}

std::vector<std::int32_t> read_negatives(const h5::File& file, const std::string& name,
                                         std::int64_t users, std::int64_t items,
                                         std::int64_t& per_user) {
  const h5::DatasetInfo info = file.info(name);
  RSDIST_CHECK(info.shape.size() == 2 && static_cast<std::int64_t>(info.shape[0]) == users,
               "{}: '{}' is not a [{}, N] matrix", file.path(), name, users);
  per_user = static_cast<std::int64_t>(info.shape[1]);
  std::vector<std::int32_t> values = file.read<std::int32_t>(name);
  for (const std::int32_t item : values) {
    RSDIST_CHECK(item >= -1 && item < items, "{}: '{}' holds {}, outside -1..{}", file.path(), name,
                 item, items - 1);
  }
  return values;
}

nlohmann::ordered_json options_json(const RatingsCorpusOptions& o, const RatingsLayout& layout) {
  const auto column = [](int index) {
    return index >= 0 ? nlohmann::ordered_json(index) : nullptr;
  };
  nlohmann::ordered_json j;
  j["format"] = ratings_format_name(o.input.format);
  j["resolved_format"] = ratings_format_name(layout.format);
  j["delimiter"] = layout.delimiter;
  j["header"] = layout.header;
  j["user_column"] = layout.user_column;
  j["item_column"] = layout.item_column;
  j["rating_column"] = column(layout.rating_column);
  j["time_column"] = column(layout.time_column);
  j["implicit_threshold"] =
      o.implicit_threshold ? nlohmann::ordered_json(*o.implicit_threshold) : nullptr;
  j["min_user_interactions"] = o.min_user_interactions;
  j["min_item_interactions"] = o.min_item_interactions;
  j["split"] = split_method_name(o.split.method);
  j["seed"] = o.split.seed;
  if (o.split.method == SplitMethod::kRatio) j["ratio"] = o.split.ratio;
  if (o.split.method == SplitMethod::kHeldoutUsers) {
    j["heldout_users"] = o.split.heldout_users;
    j["heldout_fraction"] = o.split.heldout_fraction;
  }
  j["negatives"] = o.negatives;
  return j;
}

}  // namespace

RatingsCorpus build_ratings_corpus(const RatingsCorpusOptions& o, RatingsBuildReport* report) {
  RSDIST_CHECK(o.negatives == 0 || o.split.method == SplitMethod::kLoo,
               "--negatives {} applies to --split loo only (the split is {})", o.negatives,
               split_method_name(o.split.method));
  RSDIST_CHECK(o.negatives >= 0, "--negatives {}: expected a count >= 0", o.negatives);
  RawRatings raw = read_ratings(o.input);
  const RatingsLayout layout = raw.layout;
  RSDIST_CHECK(!o.implicit_threshold || layout.rating_column >= 0,
               "--implicit_threshold: {} has no rating column to threshold", o.input.path);
  const std::int64_t input_rows = raw.rows();
  const std::int64_t blank_lines = raw.blank_lines;
  const auto raw_items = static_cast<std::int64_t>(raw.item_ids.size());
  UserItemMatrix all = group_by_user(raw);
  RatingsCorpus corpus;
  corpus.user_ids = std::move(raw.user_ids);
  corpus.item_ids = std::move(raw.item_ids);

  const std::int64_t duplicates = drop_duplicates(all);
  const std::int64_t below_threshold =
      o.implicit_threshold
          ? apply_implicit_threshold(all, static_cast<float>(*o.implicit_threshold))
          : 0;
  const KCoreResult core = k_core(all, raw_items, o.min_user_interactions, o.min_item_interactions);
  compact_ids(all, corpus.user_ids, corpus.item_ids);
  RSDIST_CHECK(all.num_interactions() > 0,
               "{}: no interactions are left after the filters ({} rows: {} duplicates, {} below "
               "--implicit_threshold, {} removed by --min_user_interactions/"
               "--min_item_interactions)",
               o.input.path, input_rows, duplicates, below_threshold, core.removed_interactions);
  const std::int64_t interactions = all.num_interactions();

  Splits splits = split_interactions(all, o.split);
  all = UserItemMatrix{};
  corpus.split = split_method_name(o.split.method);
  corpus.implicit = o.implicit_threshold.has_value() || layout.rating_column < 0;
  if (o.negatives > 0) {
    NegativeCandidates negatives = sample_negatives(splits.parts, corpus.num_items(), o.negatives,
                                                    o.split.seed, corpus.user_ids);
    corpus.negatives_per_user = negatives.per_user;
    corpus.valid_negatives = std::move(negatives.valid);
    corpus.test_negatives = std::move(negatives.test);
  }
  corpus.parts = std::move(splits.parts);

  if (report != nullptr) {
    report->layout = layout;
    nlohmann::ordered_json& c = report->counts;
    c["input_rows"] = input_rows;
    c["blank_lines"] = blank_lines;
    c["duplicates"] = duplicates;
    c["below_threshold"] = below_threshold;
    c["kcore_removed_interactions"] = core.removed_interactions;
    c["kcore_passes"] = core.passes;
    c["filtered_rows"] = duplicates + below_threshold + core.removed_interactions;
    c["users"] = corpus.num_users();
    c["items"] = corpus.num_items();
    c["interactions"] = interactions;
    c["density"] = static_cast<double>(interactions) / (static_cast<double>(corpus.num_users()) *
                                                        static_cast<double>(corpus.num_items()));
    for (const std::string& name : split_part_names(o.split.method)) {
      c[name + "_interactions"] = corpus.parts.at(name).num_interactions();
    }
    if (o.split.method == SplitMethod::kHeldoutUsers) {
      c["train_users"] = corpus.num_users() - 2 * o.split.heldout_users;
      c["valid_users"] = o.split.heldout_users;
      c["test_users"] = o.split.heldout_users;
      c["heldout_users_unsplit"] = splits.counts.heldout_users_unsplit;
    } else {
      c["users_without_valid"] = splits.counts.users_without_valid;
      c["users_without_test"] = splits.counts.users_without_test;
    }
    c["negatives_per_user"] = corpus.negatives_per_user;
  }
  return corpus;
}

void write_ratings_corpus_file(const RatingsCorpus& corpus, const std::filesystem::path& path) {
  h5::File file = h5::File::create(path);
  file.write_attribute("/", "kind", "ratings");
  file.write_attribute("/", "schema_version", std::to_string(data::kCorpusSchemaVersion));
  file.write_attribute("/", "split", corpus.split);
  file.write("implicit", std::vector<std::int32_t>{corpus.implicit ? 1 : 0});
  write_strings(file, "user_ids", corpus.user_ids);
  write_strings(file, "item_ids", corpus.item_ids);
  for (const auto& [name, part] : corpus.parts) {
    file.write(name + "/offsets", part.offsets);
    file.write(name + "/items", part.items);
    file.write(name + "/ratings", part.ratings);
    file.write(name + "/timestamps", part.timestamps);
  }
  if (corpus.negatives_per_user > 0) {
    const std::vector<std::uint64_t> shape = {
        static_cast<std::uint64_t>(corpus.num_users()),
        static_cast<std::uint64_t>(corpus.negatives_per_user)};
    file.write("negatives/valid", corpus.valid_negatives, shape);
    file.write("negatives/test", corpus.test_negatives, shape);
  }
  file.close();
}

nlohmann::ordered_json write_ratings_corpus(const RatingsCorpusOptions& o,
                                            const std::filesystem::path& dir) {
  data::CorpusManifest manifest;
  manifest.kind = "ratings";
  manifest.inputs.push_back(data::describe_input("ratings", o.input.path));
  RatingsBuildReport report;
  const RatingsCorpus corpus = build_ratings_corpus(o, &report);
  write_ratings_corpus_file(corpus, dir / kRatingsCorpusFileName);
  manifest.options = options_json(o, report.layout);
  manifest.counts = report.counts;
  manifest.files.push_back(
      {kRatingsCorpusFileName,
       "per-user CSRs of the split's parts (items, ratings, timestamps), user and item id maps" +
           std::string(corpus.negatives_per_user > 0 ? ", sampled evaluation negatives" : "")});
  data::write_corpus_manifest(dir, manifest);
  return report.counts;
}

RatingsCorpus read_ratings_corpus(const std::filesystem::path& dir) {
  const h5::File file = h5::File::open(dir / kRatingsCorpusFileName);
  const std::string kind = file.read_attribute("/", "kind");
  RSDIST_CHECK(kind == "ratings", "{}: kind '{}', expected a ratings corpus", file.path(), kind);
  const std::string version = file.read_attribute("/", "schema_version");
  RSDIST_CHECK(version == std::to_string(data::kCorpusSchemaVersion),
               "{}: schema version {}, this rsdist reads version {}", file.path(), version,
               data::kCorpusSchemaVersion);
  RatingsCorpus corpus;
  corpus.split = file.read_attribute("/", "split");
  const SplitMethod method = parse_split_method(corpus.split);
  const auto implicit = file.read<std::int32_t>("implicit");
  RSDIST_CHECK(implicit.size() == 1 && (implicit[0] == 0 || implicit[0] == 1),
               "{}: 'implicit' is not one 0/1 value", file.path());
  corpus.implicit = implicit[0] == 1;
  corpus.user_ids = read_strings(file, "user_ids");
  corpus.item_ids = read_strings(file, "item_ids");
  for (const std::string& name : split_part_names(method)) {
    corpus.parts[name] = read_matrix(file, name, corpus.num_users(), corpus.num_items());
  }
  if (file.exists("negatives")) {
    std::int64_t valid_n = 0;
    std::int64_t test_n = 0;
    corpus.valid_negatives =
        read_negatives(file, "negatives/valid", corpus.num_users(), corpus.num_items(), valid_n);
    corpus.test_negatives =
        read_negatives(file, "negatives/test", corpus.num_users(), corpus.num_items(), test_n);
    RSDIST_CHECK(valid_n == test_n, "{}: negatives/valid has {} columns, negatives/test {}",
                 file.path(), valid_n, test_n);
    corpus.negatives_per_user = valid_n;
  }
  return corpus;
}

std::int64_t RatingsCorpusStatistics::interactions() const {
  std::int64_t total = 0;
  for (const auto& [name, n] : part_interactions) total += n;
  return total;
}

double RatingsCorpusStatistics::density() const {
  return users > 0 && items > 0 ? static_cast<double>(interactions()) /
                                      (static_cast<double>(users) * static_cast<double>(items))
                                : 0.0;
}

RatingsCorpusStatistics read_ratings_corpus_statistics(const std::filesystem::path& dir) {
  const h5::File file = h5::File::open(dir / kRatingsCorpusFileName);
  RatingsCorpusStatistics s;
  s.split = file.read_attribute("/", "split");
  const auto implicit = file.read<std::int32_t>("implicit");
  s.implicit = !implicit.empty() && implicit[0] == 1;
  s.users = static_cast<std::int64_t>(file.info("user_ids/offsets").shape.at(0)) - 1;
  s.items = static_cast<std::int64_t>(file.info("item_ids/offsets").shape.at(0)) - 1;
  for (const std::string& name : split_part_names(parse_split_method(s.split))) {
    s.part_interactions.emplace_back(
        name, static_cast<std::int64_t>(file.info(name + "/items").shape.at(0)));
  }
  if (file.exists("negatives/test")) {
    s.negatives_per_user = static_cast<std::int64_t>(file.info("negatives/test").shape.at(1));
  }
  return s;
}

}  // namespace rsdist::ratings
