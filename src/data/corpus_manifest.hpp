// manifest.json: what a corpus directory holds and how it was made.
//
// Written last, into the staging directory, just before the rename: a corpus is complete iff its
// manifest exists. It records the schema version, the kind ("mind" | "seq" | "ratings"), every
// input file (path as given, size, SHA-256), every option used, the counts `rsdist inspect` reports
// and the corpus's files with their roles. It holds no timestamps or host names, so the same inputs
// and options give the same manifest. Each of the corpus's own files is recorded with its size
// and SHA-256 too, so that a file damaged afterwards (cut short by a full disk or a copy, a
// flipped bit) is named before anything trains on it (verify_corpus_files).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace rsdist::data {

// Bumped when a corpus's files change incompatibly; readers refuse other versions.
inline constexpr int kCorpusSchemaVersion = 1;
inline constexpr const char* kManifestFileName = "manifest.json";

struct ManifestInput {
  std::string role;  // e.g. "sequences", "train_behaviors", "glove"
  std::string path;  // as given on the command line
  std::uint64_t size_bytes = 0;
  std::string sha256;
};

struct ManifestFile {
  std::string path;  // relative to the corpus directory
  std::string role;
  // Filled by write_corpus_manifest; empty in corpora written before they were recorded.
  std::uint64_t size_bytes = 0;
  std::string sha256{};
};

struct CorpusManifest {
  int schema_version = kCorpusSchemaVersion;
  std::string kind;  // "mind" | "seq" | "ratings"
  std::vector<ManifestInput> inputs;
  nlohmann::ordered_json options = nlohmann::ordered_json::object();  // name -> value used
  nlohmann::ordered_json counts = nlohmann::ordered_json::object();   // name -> integer
  std::vector<ManifestFile> files;
};

// Size and SHA-256 of `path` (streamed), recorded under `role`.
ManifestInput describe_input(const std::string& role, const std::string& path,
                             const std::atomic<bool>* stop = nullptr);

nlohmann::ordered_json manifest_to_json(const CorpusManifest& manifest);
// Throws naming `source` (a file name for messages) on a missing or mistyped field.
CorpusManifest manifest_from_json(const nlohmann::ordered_json& json, const std::string& source);

// Writes DIR/manifest.json atomically (2-space indented JSON, trailing newline), with the size and
// SHA-256 of each of `manifest.files` read from DIR (each must exist).
void write_corpus_manifest(const std::filesystem::path& dir, const CorpusManifest& manifest);
// Reads DIR/manifest.json; a missing one means "not a complete corpus" and says so.
CorpusManifest read_corpus_manifest(const std::filesystem::path& dir);

// Checks DIR's files against `manifest` (read from DIR): every file's presence and size, then the
// SHA-256 of the files with index % world == rank, so that the processes of a job share the
// reading. Throws naming the file. Files without a recorded digest (older corpora) are checked
// for presence only.
void verify_corpus_files(const std::filesystem::path& dir, const CorpusManifest& manifest,
                         int rank = 0, int world = 1);

}  // namespace rsdist::data
