#include "train/checkpoint_manifest.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/error.hpp"
#include "core/sha256.hpp"
#include "core/staging.hpp"

namespace rsdist::train {
namespace fs = std::filesystem;

namespace {
constexpr const char* kManifestMagic = "rsdist-checkpoint-manifest";
constexpr int kManifestVersion = 1;
}  // namespace

std::string checkpoint_where(const fs::path& checkpoint) {
  return fmt::format("checkpoint '{}'", checkpoint.string());
}

ManifestEntry manifest_entry(std::string name, std::string_view bytes) {
  return {std::move(name), bytes.size(), sha256_hex(bytes)};
}

void write_plain_file(const fs::path& path, const std::string& bytes) {
  write_whole_file(path, bytes);
}

std::string read_whole_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  RSDIST_CHECK(in.good(), "cannot open '{}': {}", path.string(), std::strerror(errno));
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  RSDIST_CHECK(!in.bad(), "reading '{}' failed", path.string());
  return bytes;
}

bool plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos;
}

std::string manifest_text(const std::vector<ManifestEntry>& entries) {
  // "end <count>" closes the manifest, so that a manifest cut short is itself detected.
  std::string text = fmt::format("{} {}\nchecksum sha256\n", kManifestMagic, kManifestVersion);
  for (const auto& e : entries) text += fmt::format("file {} {} {}\n", e.name, e.size, e.sha256);
  text += fmt::format("end {}\n", entries.size());
  return text;
}

std::vector<ManifestEntry> read_manifest(const fs::path& checkpoint) {
  RSDIST_CHECK(fs::is_directory(checkpoint), "{} does not exist or is not a directory",
               checkpoint_where(checkpoint));
  const fs::path path = checkpoint / kManifestFile;
  RSDIST_CHECK(fs::is_regular_file(path),
               "{} has no {}: it was not written completely (interrupted?) or is not an rsdist "
               "checkpoint; resume from another one",
               checkpoint_where(checkpoint), kManifestFile);
  std::istringstream in(read_whole_file(path));
  std::vector<ManifestEntry> entries;
  std::string line;
  int line_number = 0;
  bool ended = false;
  const auto malformed = [&](const std::string& why) {
    RSDIST_THROW("{}: {} line {} is malformed ({}): '{}'", checkpoint_where(checkpoint),
                 kManifestFile, line_number, why, line);
  };
  while (std::getline(in, line)) {
    ++line_number;
    RSDIST_CHECK(!ended, "{}: {} has content after its end line", checkpoint_where(checkpoint),
                 kManifestFile);
    std::istringstream fields(line);
    std::string keyword;
    fields >> keyword;
    if (line_number == 1) {
      int version = 0;
      if (keyword != kManifestMagic || !(fields >> version)) malformed("not an rsdist manifest");
      RSDIST_CHECK(version == kManifestVersion,
                   "{}: {} has version {}; this build reads version {}",
                   checkpoint_where(checkpoint), kManifestFile, version, kManifestVersion);
    } else if (keyword == "checksum") {
      std::string algorithm;
      fields >> algorithm;
      RSDIST_CHECK(algorithm == "sha256", "{}: {} uses checksum '{}'; only sha256 is known",
                   checkpoint_where(checkpoint), kManifestFile, algorithm);
    } else if (keyword == "file") {
      ManifestEntry e;
      if (!(fields >> e.name >> e.size >> e.sha256) || !plain_file_name(e.name) ||
          e.sha256.size() != 64) {
        malformed("expected: file NAME SIZE SHA256");
      }
      entries.push_back(std::move(e));
    } else if (keyword == "end") {
      std::size_t count = 0;
      if (!(fields >> count)) malformed("expected: end COUNT");
      RSDIST_CHECK(count == entries.size(), "{}: {} lists {} files but its end line says {}",
                   checkpoint_where(checkpoint), kManifestFile, entries.size(), count);
      ended = true;
    } else {
      malformed(fmt::format("unknown keyword '{}'", keyword));
    }
  }
  RSDIST_CHECK(line_number > 0, "{}: {} is empty", checkpoint_where(checkpoint), kManifestFile);
  RSDIST_CHECK(ended, "{}: {} has no end line (truncated?)", checkpoint_where(checkpoint),
               kManifestFile);
  return entries;
}

void check_sizes(const fs::path& checkpoint, const std::vector<ManifestEntry>& entries) {
  for (const auto& e : entries) {
    const fs::path path = checkpoint / e.name;
    RSDIST_CHECK(fs::is_regular_file(path), "{}: file {} is listed in {} but missing",
                 checkpoint_where(checkpoint), e.name, kManifestFile);
    const auto size = fs::file_size(path);
    RSDIST_CHECK(size == e.size, "{}: file {} is {} bytes, manifest says {}{}",
                 checkpoint_where(checkpoint), e.name, size, e.size,
                 size < e.size ? " (truncated?)" : " (appended to?)");
  }
}

std::string read_verified(const fs::path& checkpoint, const ManifestEntry& e) {
  std::string bytes = read_whole_file(checkpoint / e.name);
  RSDIST_CHECK(bytes.size() == e.size,
               "{}: file {} is {} bytes, manifest says {} (changed while "
               "reading?)",
               checkpoint_where(checkpoint), e.name, bytes.size(), e.size);
  const std::string digest = sha256_hex(bytes);
  RSDIST_CHECK(digest == e.sha256,
               "{}: file {} has SHA-256 {}, manifest says {} (corrupted; resume from another "
               "checkpoint)",
               checkpoint_where(checkpoint), e.name, digest, e.sha256);
  return bytes;
}

const ManifestEntry& entry_for(const fs::path& checkpoint,
                               const std::vector<ManifestEntry>& entries, const std::string& name) {
  for (const auto& e : entries) {
    if (e.name == name) return e;
  }
  RSDIST_THROW("{}: {} does not list {}", checkpoint_where(checkpoint), kManifestFile, name);
}

}  // namespace rsdist::train
