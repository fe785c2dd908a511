// Size and SHA-256 of input files, for the corpus manifest's record of what a corpus was built
// from (the hash itself is core/sha256.hpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace rsdist::data {

struct FileDigest {
  std::uint64_t size_bytes = 0;
  std::string sha256;  // lower-case hex, as `sha256sum` prints it
};

// Streams the file in 1 MiB blocks (constant memory); throws naming the path if it cannot be read.
FileDigest digest_file(const std::filesystem::path& path);

}  // namespace rsdist::data
