// CRC-32C on the standard check value and RFC 3720's vectors; the framing's layout; and records
// whose bytes TensorBoard's own (Python) record writer produces for the same data.
#include "tensorboard/record_framing.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <string>

namespace rsdist::tensorboard {
namespace {

std::string hex(std::string_view bytes) {
  std::string out;
  for (const char c : bytes) out += fmt::format("{:02x}", static_cast<unsigned char>(c));
  return out;
}

TEST(Crc32c, StandardCheckValueAndIscsiVectors) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  // RFC 3720, B.4: 32 bytes of zeros, of ones, ascending and descending.
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(crc32c(ascending), 0x46DD794Eu);
  EXPECT_EQ(crc32c(descending), 0x113FDB5Cu);
}

TEST(Crc32c, MaskRotatesAndAddsTheDelta) {
  EXPECT_EQ(mask_crc(0), 0xa282ead8u);
  EXPECT_EQ(mask_crc(1u << 15), 0xa282ead9u);  // bit 15 rotates to bit 0
  EXPECT_EQ(mask_crc(1), 0xa282ead8u + (1u << 17));
}

TEST(RecordFraming, LengthCrcDataCrc) {
  const std::string data = "an event";
  const std::string record = frame_record(data);
  ASSERT_EQ(record.size(), 8 + 4 + data.size() + 4);
  EXPECT_EQ(hex(record.substr(0, 8)), "0800000000000000");  // little-endian length
  EXPECT_EQ(record.substr(12, data.size()), data);
  const auto u32 = [&](std::size_t at) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(record[at + i]);
    return v;
  };
  EXPECT_EQ(u32(8), mask_crc(crc32c(record.substr(0, 8))));
  EXPECT_EQ(u32(12 + data.size()), mask_crc(crc32c(data)));
}

// The bytes of tensorboard.summary.writer.record_writer.RecordWriter (tensorboard 2.21.0) for the
// same data, an independent implementation of the framing and its masked CRC-32C.
TEST(RecordFraming, BytesAreThoseOfTensorBoardsRecordWriter) {
  EXPECT_EQ(hex(frame_record("")), "000000000000000029039807d8ea82a2");
  EXPECT_EQ(hex(frame_record("123456789")), "090000000000000037f97139313233343536373839e5b08ac7");
}

}  // namespace
}  // namespace rsdist::tensorboard
