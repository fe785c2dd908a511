// The record framing of TensorBoard's event files (TFRecord), as TensorBoard's readers check it:
//
//   uint64 length (little-endian) | uint32 masked CRC-32C of those 8 bytes | data |
//   uint32 masked CRC-32C of the data
//
// CRC-32C is the Castagnoli polynomial (reflected 0x82F63B78, as iSCSI and ext4), computed here by
// a table so that the floor needs nothing beyond core; the mask rotates the CRC right by 15 bits
// and adds 0xa282ead8 (TensorFlow's rule, so that a CRC of data that itself holds CRCs is not
// trivially zero). Pure functions, tested on the standard check value and by the Python reader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace rsdist::tensorboard {

// CRC-32C of `bytes` (crc32c("123456789") == 0xE3069283).
std::uint32_t crc32c(std::string_view bytes);

// TensorFlow's masked form of a CRC-32C.
std::uint32_t mask_crc(std::uint32_t crc);

// One framed record holding `data`, ready to append to an event file.
std::string frame_record(std::string_view data);

}  // namespace rsdist::tensorboard
