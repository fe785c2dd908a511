// SHA-256: checkpoint manifests (src/train) and the inputs recorded in corpus manifests (src/data).
//
// Why SHA-256 rather than a faster 64-bit hash: a manifest line can be checked by hand with the
// standard `sha256sum` tool, the algorithm is fixed by FIPS 180-4 (no "which xxhash variant"), and
// 256 bits leave no doubt about accidental collisions. Its cost (a few hundred MB/s on one core) is
// small next to writing the same bytes to disk once per epoch. Implemented here to add no
// dependency.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace rsdist {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view bytes) { update(bytes.data(), bytes.size()); }
  // Pads and returns the digest; the object must not be updated afterwards.
  std::array<std::uint8_t, 32> finish();

 private:
  void compress(const std::uint8_t* block);

  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t total_bytes_ = 0;
  bool finished_ = false;
};

// Lower-case hex of the SHA-256 of `bytes` (64 characters, as `sha256sum` prints it).
std::string sha256_hex(std::string_view bytes);

}  // namespace rsdist
