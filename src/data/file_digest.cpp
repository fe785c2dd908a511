#include "data/file_digest.hpp"

#include <fstream>
#include <vector>

#include "core/error.hpp"
#include "core/sha256.hpp"

namespace rsdist::data {

FileDigest digest_file(const std::filesystem::path& path, const std::atomic<bool>* stop) {
  std::ifstream in(path, std::ios::binary);
  RSDIST_CHECK(in.good(), "cannot read {} to compute its checksum", path.string());
  Sha256 sha;
  FileDigest digest;
  std::vector<char> buffer(std::size_t{1} << 20);
  while (in) {
    RSDIST_CHECK(stop == nullptr || !stop->load(std::memory_order_relaxed),
                 "checksum of {} abandoned", path.string());
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    const auto got = static_cast<std::size_t>(in.gcount());
    sha.update(buffer.data(), got);
    digest.size_bytes += got;
  }
  RSDIST_CHECK(in.eof(), "error while reading {} to compute its checksum", path.string());
  static constexpr char kHex[] = "0123456789abcdef";
  digest.sha256.reserve(64);
  for (const std::uint8_t byte : sha.finish()) {
    digest.sha256.push_back(kHex[byte >> 4]);
    digest.sha256.push_back(kHex[byte & 0xF]);
  }
  return digest;
}

}  // namespace rsdist::data
