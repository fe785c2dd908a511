// Size and SHA-256 of input files, for the corpus manifest's record of what a corpus was built
// from (the hash itself is core/sha256.hpp).
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>

namespace rsdist::data {

struct FileDigest {
  std::uint64_t size_bytes = 0;
  std::string sha256;  // lower-case hex, as `sha256sum` prints it
};

// Streams the file in 1 MiB blocks (constant memory); throws naming the path if it cannot be read.
// A set `*stop` (checked per block) abandons the work with an rsdist::Error: hashing runs beside
// parsing, and a parse error must not wait for gigabytes of hashing.
FileDigest digest_file(const std::filesystem::path& path, const std::atomic<bool>* stop = nullptr);

}  // namespace rsdist::data
