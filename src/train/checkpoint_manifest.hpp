// The manifest of a checkpoint directory: size and SHA-256 of every file, written last.
//
// manifest.txt is plain text so that it can be read and checked by hand:
//   rsdist-checkpoint-manifest 1
//   checksum sha256
//   file model.pt 1180 f73d63...      (one line per file: name, size in bytes, SHA-256 in hex)
//   end 5                             (the number of file lines: a cut-short manifest is refused)
// `grep '^file' manifest.txt | awk '{print $4"  "$2}' | sha256sum -c` verifies a checkpoint
// without rsdist.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace rsdist::train {

inline constexpr const char* kManifestFile = "manifest.txt";

struct ManifestEntry {
  std::string name;  // a plain file name inside the checkpoint directory
  std::uintmax_t size = 0;
  std::string sha256;  // lower-case hex
};

// "checkpoint '<dir>'", the subject of every message about a checkpoint.
std::string checkpoint_where(const std::filesystem::path& checkpoint);

// A name without '/' that is not "." or "..": manifest entries never point outside the directory.
bool plain_file_name(const std::string& name);

ManifestEntry manifest_entry(std::string name, std::string_view bytes);
std::string manifest_text(const std::vector<ManifestEntry>& entries);

// Parses `checkpoint`/manifest.txt; throws rsdist::Error when the directory or the manifest is
// missing or the manifest is malformed or cut short.
std::vector<ManifestEntry> read_manifest(const std::filesystem::path& checkpoint);

// Compares every listed file's size with the manifest (cheap: no file is read), so that a
// truncated file is named before any large file is hashed.
void check_sizes(const std::filesystem::path& checkpoint,
                 const std::vector<ManifestEntry>& entries);

// Reads one listed file and checks its size and SHA-256 against the manifest.
std::string read_verified(const std::filesystem::path& checkpoint, const ManifestEntry& entry);

// The entry for `name`; throws if the manifest does not list it.
const ManifestEntry& entry_for(const std::filesystem::path& checkpoint,
                               const std::vector<ManifestEntry>& entries, const std::string& name);

// Plain whole-file I/O with errors naming the path.
void write_plain_file(const std::filesystem::path& path, const std::string& bytes);
std::string read_whole_file(const std::filesystem::path& path);

}  // namespace rsdist::train
