#include "loader/mind/corpus_reading.hpp"

#include "core/error.hpp"
#include "data/corpus_manifest.hpp"

namespace rsdist::loader {
namespace {

template <class T>
T count_of(const nlohmann::ordered_json& counts, const char* name, const std::string& source) {
  RSDIST_CHECK(counts.contains(name), "{}: counts.{} is missing", source, name);
  try {
    return counts.at(name).get<T>();
  } catch (const nlohmann::json::exception&) {
    RSDIST_THROW("{}: counts.{} has the wrong type (got {})", source, name, counts.at(name).dump());
  }
}

}  // namespace

MindCounts read_mind_counts(const std::filesystem::path& corpus_dir) {
  const data::CorpusManifest manifest = data::read_corpus_manifest(corpus_dir);
  const std::string source = (corpus_dir / data::kManifestFileName).string();
  RSDIST_CHECK(manifest.kind == "mind",
               "{}: a '{}' corpus, not a MIND one (made by `rsdist preprocess mind`)", source,
               manifest.kind);
  MindCounts counts;
  counts.news = count_of<std::int64_t>(manifest.counts, "news", source);
  counts.categories = count_of<std::int64_t>(manifest.counts, "categories", source);
  counts.subcategories = count_of<std::int64_t>(manifest.counts, "subcategories", source);
  counts.train_shard_samples =
      count_of<std::vector<std::int64_t>>(manifest.counts, "train_shard_samples", source);
  RSDIST_CHECK(!counts.train_shard_samples.empty(), "{}: counts.train_shard_samples is empty",
               source);
  return counts;
}

h5::File open_corpus_file(const std::filesystem::path& path, const std::string& kind) {
  RSDIST_CHECK(std::filesystem::exists(path), "{} does not exist (is the corpus complete?)",
               path.string());
  h5::File file = h5::File::open(path);
  const std::string found = file.read_attribute("/", "kind");
  RSDIST_CHECK(found == kind, "{}: kind '{}', expected '{}'", path.string(), found, kind);
  const std::string version = file.read_attribute("/", "schema_version");
  RSDIST_CHECK(version == std::to_string(data::kCorpusSchemaVersion),
               "{}: schema version {}, this build reads {}; preprocess the corpus again",
               path.string(), version, data::kCorpusSchemaVersion);
  return file;
}

}  // namespace rsdist::loader
