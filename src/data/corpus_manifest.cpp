#include "data/corpus_manifest.hpp"

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
    json["files"].push_back({{"path", file.path}, {"role", file.role}});
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
    manifest.files.push_back({typed_field<std::string>(file, "path", source),
                              typed_field<std::string>(file, "role", source)});
  }
  return manifest;
}

void write_corpus_manifest(const std::filesystem::path& dir, const CorpusManifest& manifest) {
  write_file_atomically(dir / kManifestFileName, manifest_to_json(manifest).dump(2) + "\n");
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

}  // namespace rsdist::data
