#include "data/corpus_manifest.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/staging.hpp"
#include "data/file_digest.hpp"

namespace rsdist::data {
namespace {

using Json = nlohmann::ordered_json;

const Json& field(const Json& object, const char* name, const std::string& source) {
  RSDIST_CHECK(object.is_object() && object.contains(name), "{}: missing field '{}'", source, name);
  return object.at(name);
}

template <class T>
T typed_field(const Json& object, const char* name, const std::string& source) {
  const Json& value = field(object, name, source);
  try {
    return value.get<T>();
  } catch (const nlohmann::json::exception&) {
    RSDIST_THROW("{}: field '{}' has the wrong type (got {})", source, name, value.dump());
  }
}

}  // namespace

ManifestInput describe_input(const std::string& role, const std::string& path,
                             const std::atomic<bool>* stop) {
  const FileDigest digest = digest_file(path, stop);
  return {role, path, digest.size_bytes, digest.sha256};
}

Json manifest_to_json(const CorpusManifest& manifest) {
  Json json;
  json["schema_version"] = manifest.schema_version;
  json["kind"] = manifest.kind;
  json["inputs"] = Json::array();
  for (const ManifestInput& input : manifest.inputs) {
    json["inputs"].push_back({{"role", input.role},
                              {"path", input.path},
                              {"size_bytes", input.size_bytes},
                              {"sha256", input.sha256}});
  }
  json["options"] = manifest.options;
  json["counts"] = manifest.counts;
  json["files"] = Json::array();
  for (const ManifestFile& file : manifest.files) {
    Json entry = {{"path", file.path}, {"role", file.role}};
    if (!file.sha256.empty()) {
      entry["size_bytes"] = file.size_bytes;
      entry["sha256"] = file.sha256;
    }
    json["files"].push_back(std::move(entry));
  }
  return json;
}

CorpusManifest manifest_from_json(const Json& json, const std::string& source) {
  CorpusManifest manifest;
  manifest.schema_version = typed_field<int>(json, "schema_version", source);
  RSDIST_CHECK(manifest.schema_version == kCorpusSchemaVersion,
               "{}: corpus schema version {} is not the version this rsdist reads ({}); rebuild "
               "the corpus with this rsdist's 'rsdist preprocess'",
               source, manifest.schema_version, kCorpusSchemaVersion);
  manifest.kind = typed_field<std::string>(json, "kind", source);
  for (const Json& input : field(json, "inputs", source)) {
    manifest.inputs.push_back({typed_field<std::string>(input, "role", source),
                               typed_field<std::string>(input, "path", source),
                               typed_field<std::uint64_t>(input, "size_bytes", source),
                               typed_field<std::string>(input, "sha256", source)});
  }
  manifest.options = field(json, "options", source);
  manifest.counts = field(json, "counts", source);
  for (const Json& file : field(json, "files", source)) {
    ManifestFile entry{typed_field<std::string>(file, "path", source),
                       typed_field<std::string>(file, "role", source)};
    if (file.contains("sha256")) {
      entry.size_bytes = typed_field<std::uint64_t>(file, "size_bytes", source);
      entry.sha256 = typed_field<std::string>(file, "sha256", source);
    }
    manifest.files.push_back(std::move(entry));
  }
  return manifest;
}

void write_corpus_manifest(const std::filesystem::path& dir, const CorpusManifest& manifest) {
  CorpusManifest described = manifest;
  for (ManifestFile& file : described.files) {
    const FileDigest digest = digest_file(dir / file.path);
    file.size_bytes = digest.size_bytes;
    file.sha256 = digest.sha256;
  }
  write_file_atomically(dir / kManifestFileName, manifest_to_json(described).dump(2) + "\n");
}

CorpusManifest read_corpus_manifest(const std::filesystem::path& dir) {
  const std::filesystem::path path = dir / kManifestFileName;
  RSDIST_CHECK(std::filesystem::is_directory(dir), "corpus directory {} does not exist",
               dir.string());
  RSDIST_CHECK(std::filesystem::exists(path),
               "{} is not a complete corpus: it has no {} (the manifest is written last; rerun "
               "'rsdist preprocess')",
               dir.string(), kManifestFileName);
  std::ifstream in(path, std::ios::binary);
  RSDIST_CHECK(in.good(), "cannot read {}", path.string());
  std::ostringstream text;
  text << in.rdbuf();
  Json json;
  try {
    json = Json::parse(text.str());
  } catch (const nlohmann::json::parse_error& e) {
    RSDIST_THROW("{}: not valid JSON ({})", path.string(), e.what());
  }
  return manifest_from_json(json, path.string());
}

void verify_corpus_files(const std::filesystem::path& dir, const CorpusManifest& manifest, int rank,
                         int world) {
  const std::string manifest_path = (dir / kManifestFileName).string();
  const std::string advice =
      "the corpus was damaged after it was written: rebuild it with 'rsdist preprocess' or copy "
      "it again";
  for (const ManifestFile& file : manifest.files) {
    const std::filesystem::path path = dir / file.path;
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(path, ec);
    RSDIST_CHECK(!ec, "corpus file {}, listed in {}, cannot be read: {}; {}", path.string(),
                 manifest_path, ec.message(), advice);
    RSDIST_CHECK(file.sha256.empty() || size == file.size_bytes,
                 "corpus file {} is {} bytes, {} records {}{}; {}", path.string(), size,
                 manifest_path, file.size_bytes, size < file.size_bytes ? " (truncated?)" : "",
                 advice);
  }
  const auto step = static_cast<std::size_t>(std::max(world, 1));
  for (std::size_t i = static_cast<std::size_t>(rank); i < manifest.files.size(); i += step) {
    const ManifestFile& file = manifest.files[i];
    if (file.sha256.empty()) continue;
    const std::filesystem::path path = dir / file.path;
    const std::string digest = digest_file(path).sha256;
    RSDIST_CHECK(digest == file.sha256,
                 "corpus file {} has SHA-256 {}, {} records {} (corrupted); {}", path.string(),
                 digest, manifest_path, file.sha256, advice);
  }
}

}  // namespace rsdist::data
